"""`messaging deploy | outputs | destroy`: bad input and help, as subprocesses.

Deploying, previewing, failing and destroying a stack end to end: test_deploy_safety.
"""

from __future__ import annotations

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


def test_bad_input_gets_a_clear_error_and_no_traceback(cloud: LocalCloud) -> None:
    typo = run(cloud, "deploy", "--stack-name", "cli-bad", "--parameter", "BufferSecs=3")
    assert typo.returncode == 1
    assert "unknown parameter 'BufferSecs'" in typo.stderr
    assert "Traceback" not in typo.stderr + typo.stdout

    bad_name = run(cloud, "outputs", "--stack-name", "1-bad_name")
    assert bad_name.returncode == 2
    assert "stack name" in bad_name.stderr

    misplaced = run(cloud, "deploy", "--skip-resource", "Queue")
    assert misplaced.returncode == 2
    assert misplaced.stderr.strip() == "error: --skip-resource goes with --continue-rollback"

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
