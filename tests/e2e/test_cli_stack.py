"""`messaging deploy | outputs | destroy` as subprocesses against a local cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from messaging.localcloud.server import LocalCloud

pytestmark = pytest.mark.e2e

MESSAGING = Path(sys.executable).with_name("messaging")


def run(
    cloud: LocalCloud, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cloud.client_environment(), "COLUMNS": "200"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [str(MESSAGING), *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_deploy_is_idempotent_outputs_are_readable_and_destroy_cleans_up(
    cloud: LocalCloud,
) -> None:
    name = ["--stack-name", "cli-e2e"]
    first = run(cloud, "deploy", *name, "--parameter", "NamePrefix=cli-")
    assert first.returncode == 0, first.stderr
    assert "CREATE_COMPLETE" in first.stdout
    assert "AWS::KinesisFirehose::DeliveryStream" in first.stdout  # progress per resource

    again = run(cloud, "deploy", *name, "--parameter", "NamePrefix=cli-")
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout

    shown = run(cloud, "outputs", *name, "--json")
    assert shown.returncode == 0, shown.stderr
    outputs = json.loads(shown.stdout)
    assert outputs["OrdersTableName"] == "cli-orders-consumers"
    # The contract of DESIGN.md, plus AccessLogsBucketName and PublisherPolicyArn.
    assert len(outputs) == 11

    declined = run(cloud, "destroy", *name, stdin="n\n")
    assert declined.returncode != 0
    assert run(cloud, "outputs", *name).returncode == 0  # still there

    destroyed = run(cloud, "destroy", *name, "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Deleted stack cli-e2e" in destroyed.stdout

    gone = run(cloud, "outputs", *name)
    assert gone.returncode == 1
    assert "does not exist" in gone.stderr


def test_bad_input_gets_a_clear_error_and_no_traceback(cloud: LocalCloud) -> None:
    typo = run(cloud, "deploy", "--stack-name", "cli-bad", "--parameter", "BufferSecs=3")
    assert typo.returncode == 1
    assert "unknown parameter 'BufferSecs'" in typo.stderr
    assert "Traceback" not in typo.stderr + typo.stdout

    bad_name = run(cloud, "outputs", "--stack-name", "1-bad_name")
    assert bad_name.returncode == 2
    assert "stack name" in bad_name.stderr

    unreachable = run(cloud, "outputs", "--endpoint-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 1
    assert "Could not connect" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_help_explains_every_command(cloud: LocalCloud) -> None:
    shown = run(cloud, "--help")
    assert shown.returncode == 0
    for command in ("up", "deploy", "destroy", "outputs"):
        assert command in shown.stdout
    up_help = run(cloud, "up", "--help")
    assert "--parameter" in up_help.stdout
    assert "Example" in up_help.stdout
