"""Loopback by default, a warning otherwise, and secrets never printed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from messaging.localcloud.server import LocalCloud
from tests.support.processes import Running

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SECRET = "SECRETMARKER" + "x7Qz" * 7  # what a real secret key looks like to a log reader


def up(*args: str) -> Running:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [str(BIN / "messaging"), "up", "--port", "0", "--no-deploy", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return Running(process)


def stop(running: Running) -> None:
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=60) == 0


def test_the_local_cloud_binds_loopback_by_default_without_a_warning() -> None:
    running = up()
    try:
        endpoint = running.wait_line("listening on")
        assert "http://127.0.0.1:" in endpoint
        running.wait_line("Press Ctrl-C to stop.")
        assert not any("warning" in line for line in running.seen)
    finally:
        stop(running)


def test_binding_elsewhere_needs_host_and_warns() -> None:
    running = up("--host", "0.0.0.0")  # noqa: S104 - the point of the test
    try:
        running.wait_line("warning: binding 0.0.0.0")
        running.wait_line("Press Ctrl-C to stop.")
    finally:
        stop(running)


def test_no_command_prints_the_credentials_it_was_given(cloud: LocalCloud) -> None:
    env = {
        **os.environ,
        **cloud.client_environment(),
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "COLUMNS": "200",
    }
    env.pop("AWS_PROFILE", None)
    commands = [
        # `consume` drains the queues itself: no functions compete for them.
        [
            "deploy",
            "--stack-name",
            "sec-e2e",
            "-p",
            "NamePrefix=sec-",
            "-p",
            "ServicesHost=external",
        ],
        ["produce", "--stack-name", "sec-e2e", "--count", "20", "--seed", "1"],
        ["consume", "all", "--stack-name", "sec-e2e", "--until-empty"],
        ["status", "--stack-name", "sec-e2e", "--json"],
        ["outputs", "--stack-name", "nope"],  # an error path too
        ["destroy", "--stack-name", "sec-e2e", "--yes"],
    ]
    for command in commands:
        done = subprocess.run(
            [str(BIN / "messaging"), *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == (1 if "nope" in command else 0), done.stderr
        assert SECRET not in done.stdout + done.stderr, command
        assert "x7Qz" not in done.stdout + done.stderr, command
