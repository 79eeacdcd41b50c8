"""Execution environments: one OS process each, started cold, kept warm, killed on timeout.

A `Worker` is what Lambda calls an execution environment: a process running
`bootstrap.py` with the function's environment, which handles one invocation at a time
and is reused for the next (warm) until it fails, times out or is retired. A cold start
is a new process: its init (imports, top-level code) is timed and reported as Lambda's
`Init Duration`.

The protocol is one JSON line each way on the process's stdin/stdout; the function's own
output goes to a file per process (its stdout and stderr), which the parent reads after
each invocation, so output printed just before a crash is kept.

Known limits (what differs from Lambda): the process runs with this machine's Python
and the local cloud's installed packages behind the artifact's own code (see
`artifacts`); memory is reported (max RSS), not enforced; there is no freeze between
invocations, so a background thread started by the handler keeps running; /tmp is the
machine's.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["INIT_TIMEOUT", "EncodedJson", "Outcome", "Worker", "WorkerSpec", "request_line"]

logger = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
INIT_TIMEOUT = 10.0  # seconds: Lambda's limit for the init phase of on-demand functions


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process is started from; a change means new processes."""

    function_name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    key: str  # code hash and configuration: workers of an older key are retired


@dataclass
class Outcome:
    """One invocation as the worker saw it."""

    status: str  # "ok", "error" (the handler failed), "timeout", "crash", "init"
    payload: str | None = None  # the JSON result, for "ok"
    error: dict[str, Any] | None = None  # errorMessage, errorType, stackTrace
    duration_ms: float = 0.0
    init_ms: float | None = None  # set on the invocation that started the process
    max_memory_mb: int = 0
    output: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class EncodedJson:
    """An invocation's event already encoded as JSON: the request line carries the text
    as it is, instead of encoding the event again (the mappings' records, `poller`)."""

    text: str


def request_line(request: dict[str, Any]) -> bytes:
    """The request as one line of JSON, for the worker's stdin."""
    event = request.get("event")
    if not isinstance(event, EncodedJson):
        return json.dumps(request).encode("utf-8") + b"\n"
    rest = json.dumps({key: value for key, value in request.items() if key != "event"})
    head = rest[:-1] + (", " if rest != "{}" else "")
    return f'{head}"event": {event.text}}}\n'.encode()


class WorkerGoneError(Exception):
    """The process ended or stopped answering; the worker is dead."""


class Worker:
    """One execution environment (see the module docstring)."""

    def __init__(self, spec: WorkerSpec, log_dir: Path) -> None:
        self.spec = spec
        now = datetime.now(UTC)
        self.stream_name = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.log_path = log_dir / f"{uuid.uuid4().hex}.log"
        self._log_offset = 0
        self._buffer = b""
        self.process: subprocess.Popen[bytes] | None = None
        self.init_ms: float | None = None
        self.pending_init: float | None = None  # reported by the first invocation
        self.last_used = time.monotonic()
        self.invocations = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> Outcome | None:
        """Start the process and run the init phase; an Outcome if the init failed."""
        environment = {
            **self.spec.environment,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream_name,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter and script
                [sys.executable, "-I", "-u", str(BOOTSTRAP), str(self.spec.code_dir),
                 self.spec.handler],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=environment,
                cwd=self.spec.code_dir,
                start_new_session=True,  # a Ctrl-C on the terminal stops the cloud, not this
            )  # fmt: skip
        started = time.monotonic()
        try:
            ready = self._read(started + INIT_TIMEOUT)
        except WorkerGoneError as gone:
            self.kill()
            return Outcome("init", error=_init_error(str(gone)), output=self.take_output())
        except TimeoutError:
            self.kill()
            error = _init_error(f"init did not finish within {INIT_TIMEOUT:.0f} s")
            return Outcome("init", error=error, output=self.take_output())
        self.init_ms = float(ready.get("init_ms", (time.monotonic() - started) * 1000))
        if not ready.get("ready"):
            self.kill()
            return Outcome(
                "init", error=ready.get("error"), init_ms=self.init_ms, output=self.take_output()
            )
        self.pending_init = self.init_ms
        return None

    def invoke(self, request: dict[str, Any], timeout: float) -> Outcome:
        """Run one invocation; on timeout or crash the process is killed (and dead)."""
        self.invocations += 1
        init_ms, self.pending_init = self.pending_init, None
        started = time.monotonic()
        try:
            self._write(request)
            reply = self._read(started + timeout)
        except TimeoutError:
            self.kill()
            return self._ended("timeout", started, init_ms)
        except WorkerGoneError as gone:
            self.kill()
            outcome = self._ended("crash", started, init_ms)
            outcome.error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request['request_id']} Error: Runtime exited "
                f"with error: {gone}",
            }
            return outcome
        finally:
            self.last_used = time.monotonic()
        duration = (time.monotonic() - started) * 1000
        return Outcome(
            "ok" if reply.get("ok") else "error",
            payload=reply.get("payload"),
            error=reply.get("error"),
            duration_ms=duration,
            init_ms=init_ms,
            max_memory_mb=int(reply.get("max_memory_mb", 0)),
            output=self.take_output(),
        )

    def _ended(self, status: str, started: float, init_ms: float | None) -> Outcome:
        return Outcome(
            status,
            duration_ms=(time.monotonic() - started) * 1000,
            init_ms=init_ms,
            output=self.take_output(),
        )

    def take_output(self) -> list[str]:
        """The lines the function wrote since the last call."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                data = log.read()
        except FileNotFoundError:
            return []
        # Keep a partial last line for the next call, unless the process is gone.
        cut = len(data) if not self.alive else data.rfind(b"\n") + 1
        self._log_offset += cut
        text = data[:cut].decode("utf-8", "replace")
        return text.splitlines()

    def _write(self, request: dict[str, Any]) -> None:
        if self.process is None or self.process.stdin is None:
            raise WorkerGoneError("the runtime was never started")
        try:
            self.process.stdin.write(request_line(request))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            raise WorkerGoneError(self._exit_reason()) from error

    def _read(self, deadline: float) -> dict[str, Any]:
        """One reply line, or TimeoutError at `deadline`, or WorkerGoneError."""
        if self.process is None or self.process.stdout is None:
            raise WorkerGoneError("the runtime was never started")
        stream = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            readable, _, _ = select.select([stream], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(stream, 65536)
            if not chunk:
                self.process.wait(timeout=5)
                raise WorkerGoneError(self._exit_reason())
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _exit_reason(self) -> str:
        """As Lambda words it: `signal: killed`, `exit status 1`."""
        code = None if self.process is None else self.process.poll()
        if code is None:
            return "the runtime stopped answering"
        if code < 0:
            name = signal.Signals(-code).name.removeprefix("SIG").lower()
            return f"signal: {'killed' if name == 'kill' else name}"
        return f"exit status {code}"

    def kill(self) -> None:
        """End the process now (timeout, crash, retirement); its log file goes too."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()

    def discard(self) -> None:
        self.kill()
        self.log_path.unlink(missing_ok=True)


def _init_error(reason: str) -> dict[str, Any]:
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"Runtime exited with error: {reason}",
    }
