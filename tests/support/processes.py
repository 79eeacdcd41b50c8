"""Processes the e2e and chaos suites drive: the CLI, and `messaging up` with its clients."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

BIN = Path(sys.executable).parent


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, needle: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"{needle!r} not printed; output so far:\n" + "\n".join(self.seen))


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


def start_cloud(*args: str, port: int = 0, services_host: str = "external") -> Cloud:
    """`messaging up` on a free port. Its stack runs the services where `services_host`
    says: `external` by default, since most suites drive `messaging consume` themselves
    (on `lambda` the stack's functions would consume the same queues)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if "--no-deploy" not in args and not any(a.startswith("ServicesHost=") for a in args):
        args = (*args, "--parameter", f"ServicesHost={services_host}")
    process = subprocess.Popen(
        [str(BIN / "messaging"), "up", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    running = Running(process)
    endpoint = running.wait_line("listening on", timeout=120).rsplit(" ", 1)[1]
    running.wait_line("Press Ctrl-C to stop.", timeout=120)
    return Cloud(running, endpoint)
