"""Processes for the chaos suite: a faulty `messaging up`, and CLI subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.test_up import Running

BIN = Path(sys.executable).parent


@dataclass
class Cloud:
    """A `messaging up` subprocess and what talks to it."""

    running: Running
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return {
            **base,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "chaos",
            "AWS_SECRET_ACCESS_KEY": "chaos",
            "COLUMNS": "200",
        }

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",  # type: ignore[call-overload]
            aws_access_key_id="chaos",
            aws_secret_access_key="chaos",
        )

    def spawn(self, *args: str) -> Running:
        """A CLI process whose output (stdout and stderr) is read as it comes."""
        process = subprocess.Popen(
            [str(BIN / "messaging"), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return Running(process)

    def consumer(self, service: str) -> Running:
        """`consume <service>`, returned once SIGTERM would stop it gracefully."""
        running = self.spawn("consume", service, "--concurrency", "4", "--json")
        running.wait_line("consuming", timeout=120)
        return running

    def run_json(self, *args: str) -> Any:
        done = subprocess.run(
            [str(BIN / "messaging"), *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"
        return json.loads(done.stdout)

    def outputs(self) -> dict[str, str]:
        return dict(self.run_json("outputs"))

    def stop(self) -> list[str]:
        """SIGTERM the cloud; its last words (what it flushed, what it injected)."""
        self.running.process.send_signal(signal.SIGTERM)
        self.running.wait_line("Stopped.", timeout=120)
        assert self.running.process.wait(timeout=60) == 0
        return self.running.seen


def start_cloud(*args: str) -> Cloud:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [str(BIN / "messaging"), "up", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    running = Running(process)
    endpoint = running.wait_line("listening on", timeout=120).rsplit(" ", 1)[1]
    running.wait_line("Press Ctrl-C to stop.", timeout=120)
    return Cloud(running, endpoint)


@pytest.fixture
def cloud_factory() -> Iterator[Any]:
    started: list[Cloud] = []

    def start(*args: str) -> Cloud:
        cloud = start_cloud(*args)
        started.append(cloud)
        return cloud

    yield start
    for cloud in started:
        if cloud.running.process.poll() is None:
            cloud.running.process.kill()
            cloud.running.process.wait(timeout=30)
