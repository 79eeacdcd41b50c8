"""One function's compute: its warm pool, its concurrency, and the invoke path.

An invocation takes a concurrency slot (refused when the function's reserved
concurrency, or the local cap, is in use: Lambda's throttle), takes a warm worker or
starts one (a cold start), runs, and writes its log lines. A worker that timed out or
crashed is discarded, as Lambda discards such an environment; the next invocation is
a cold start.

Environment, as Lambda sets it: the function's `Environment.Variables`, then
`AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_VERSION`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
`AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_LAMBDA_LOG_GROUP_NAME`,
`AWS_LAMBDA_LOG_STREAM_NAME`, `AWS_EXECUTION_ENV`, `_HANDLER`, `LAMBDA_TASK_ROOT`,
`TZ`, the local cloud's placeholder credentials (never the caller's), and
`AWS_ENDPOINT_URL` pointing back at the local cloud. Nothing else of the local cloud's
own environment is passed on.

Known limits: without reserved concurrency, a function runs at most `LOCAL_CONCURRENCY`
invocations at once (an account has 1,000 on AWS: this machine has a few cores); idle
workers are retired after `IDLE_SECONDS` (AWS: unspecified, minutes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from messaging.localcloud.awslambda import logs
from messaging.localcloud.awslambda.artifacts import CodeCache
from messaging.localcloud.awslambda.workers import Outcome, Worker, WorkerSpec

__all__ = [
    "IDLE_SECONDS",
    "LOCAL_CONCURRENCY",
    "Endpoint",
    "FunctionConfig",
    "FunctionRuntime",
    "Invocation",
    "ThrottledError",
    "endpoint",
]

logger = logging.getLogger(__name__)

LOCAL_CONCURRENCY = 10
IDLE_SECONDS = 120.0
PLACEHOLDER_KEY = "localcloud"


@dataclass
class Endpoint:
    """Where functions reach the local cloud: the latest one serving in this process.

    moto's backends are process-wide, so one process can serve them from more than one
    local cloud at a time (tests do); a cloud that stops hands the functions back to one
    still serving instead of leaving them calling a closed port.
    """

    serving: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.serving[-1] if self.serving else ""

    def serve(self, url: str) -> None:
        self.serving.append(url)

    def release(self, url: str) -> None:
        if url in self.serving:
            self.serving.remove(url)


endpoint = Endpoint()


class ThrottledError(Exception):
    """No concurrency left for this function (Lambda: TooManyRequestsException)."""


@dataclass(frozen=True)
class FunctionConfig:
    """What an invocation needs of a function, read from moto's model at call time."""

    account_id: str
    region: str
    name: str
    arn: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    variables: dict[str, str]
    code: bytes
    code_digest: str
    log_group: str
    reserved: int | None

    @classmethod
    def of(cls, function: Any) -> FunctionConfig:
        reserved = function.reserved_concurrency
        return cls(
            account_id=function.account_id,
            region=function.region,
            name=function.function_name,
            arn=function.function_arn,
            handler=str(function.handler),
            runtime=str(function.run_time),
            memory_mb=int(function.memory_size),
            timeout_s=float(function.timeout),
            variables={str(k): str(v) for k, v in (function.environment_vars or {}).items()},
            code=function.code_bytes,
            code_digest=function.code_digest or hashlib.sha256(function.code_bytes).hexdigest(),
            log_group=getattr(function, "log_group", None)
            or f"/aws/lambda/{function.function_name}",
            reserved=None if reserved is None else int(reserved),
        )

    @property
    def limit(self) -> int:
        return LOCAL_CONCURRENCY if self.reserved is None else min(self.reserved, LOCAL_CONCURRENCY)

    @property
    def key(self) -> str:
        """Workers are reused only for the same code and configuration."""
        raw = json.dumps(
            [self.code_digest, self.handler, self.runtime, self.memory_mb, self.variables,
             self.log_group, endpoint.url],
            sort_keys=True,
        )  # fmt: skip
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Invocation:
    """The answer to one invocation."""

    request_id: str
    outcome: Outcome
    log_tail: list[str] = field(default_factory=list)

    @property
    def payload(self) -> bytes:
        """The response body Invoke returns: the result, or the error document."""
        outcome = self.outcome
        if outcome.ok:
            return (outcome.payload or "null").encode("utf-8")
        if outcome.status == "timeout":
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {self.request_id} Error: Task timed out after "
                f"{outcome.duration_ms / 1000:.2f} seconds",
            }
        else:
            error = {"requestId": self.request_id, **(outcome.error or {})}
        return json.dumps(error).encode("utf-8")


class FunctionRuntime:
    """The warm pool and concurrency of one function (see the module docstring)."""

    def __init__(self, codes: CodeCache) -> None:
        self._codes = codes
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self.in_flight = 0
        self.peak = 0
        self.cold_starts = 0
        self.throttles = 0
        self._closed = False

    def try_acquire(self, config: FunctionConfig) -> bool:
        with self._lock:
            if self._closed or self.in_flight >= config.limit:
                self.throttles += 1
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def release(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def invoke(self, config: FunctionConfig, event: Any) -> Invocation:
        """Run one invocation in a slot the caller holds (`try_acquire`)."""
        request_id = str(uuid.uuid4())
        worker, failed_init = self._worker(config)
        if failed_init is not None:
            self._log(config, worker, request_id, failed_init)
            return Invocation(request_id, failed_init)
        request = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": int((time.time() + config.timeout_s) * 1000),
            "invoked_function_arn": config.arn,
        }
        outcome = worker.invoke(request, config.timeout_s)
        if outcome.status == "timeout":
            outcome.duration_ms = config.timeout_s * 1000
        self._return(worker)
        lines = self._log(config, worker, request_id, outcome)
        return Invocation(request_id, outcome, lines)

    def _worker(self, config: FunctionConfig) -> tuple[Worker, Outcome | None]:
        key = config.key
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.spec.key == key and worker.alive:
                    self._busy.add(worker)
                    return worker, None
                worker.discard()
            self.cold_starts += 1
        code_dir = self._codes.directory(config.code_digest, config.code)
        worker = Worker(self._spec(config, code_dir, key), self._codes.root)
        failed = worker.start()
        with self._lock:
            self._busy.add(worker)
        if failed is not None:
            self._return(worker)
        return worker, failed

    def _return(self, worker: Worker) -> None:
        now = time.monotonic()
        with self._lock:
            self._busy.discard(worker)
            if self._closed or not worker.alive:
                retired = [worker]
            else:
                self._idle.append(worker)
                retired = [w for w in self._idle if now - w.last_used > IDLE_SECONDS]
                self._idle = [w for w in self._idle if w not in retired]
        for old in retired:
            old.discard()

    @staticmethod
    def _spec(config: FunctionConfig, code_dir: Path, key: str) -> WorkerSpec:
        environment = {
            **config.variables,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_ACCESS_KEY_ID": PLACEHOLDER_KEY,
            "AWS_SECRET_ACCESS_KEY": PLACEHOLDER_KEY,
            "AWS_SESSION_TOKEN": PLACEHOLDER_KEY,
            "_HANDLER": config.handler,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
        if endpoint.url:
            environment["AWS_ENDPOINT_URL"] = endpoint.url
        return WorkerSpec(config.name, code_dir, config.handler, environment, key)

    @staticmethod
    def _log(
        config: FunctionConfig, worker: Worker, request_id: str, outcome: Outcome
    ) -> list[str]:
        lines = logs.invocation_lines(request_id, outcome, config.memory_mb, config.timeout_s)
        logs.write_lines(
            config.account_id, config.region, config.log_group, worker.stream_name, lines
        )
        return lines

    def workers(self) -> list[Worker]:
        """Every live worker (idle and busy), e.g. for a chaos test to kill one."""
        with self._lock:
            return [w for w in [*self._idle, *self._busy] if w.alive]

    def close(self) -> None:
        """Retire every worker: idle ones now, busy ones when their invocation returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.discard()

    def kill_all(self) -> None:
        """End every process now, busy ones too (their invocations fail as crashes)."""
        self.close()
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.kill()
