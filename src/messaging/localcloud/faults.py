"""Latency and fault injection in the local cloud's HTTP layer.

On AWS, calls are slow, get throttled, fail with 5xx and lose connections. The system's
promise (nothing lost, nothing applied twice) is proven by running those faults, so the
local cloud can inject them, seeded so that a failing run can be replayed:

- latency: a fixed delay plus uniform jitter, in milliseconds, before every request;
- faults, at a rate, on every operation or on the listed `service:Operation` ones:
  - throttling, with the error each service really returns (SNS `Throttling`, SQS
    `RequestThrottled`, Firehose `ServiceUnavailableException`, DynamoDB
    `ProvisionedThroughputExceededException`, S3 `SlowDown`, others `Throttling`);
  - HTTP 500 (`InternalFailure`) and 503 (`ServiceUnavailable`);
  - a connection dropped before the request is served, and one dropped after it was
    served (the client sees an error for work that happened: the nastiest case for
    at-least-once systems).

The operation is read the way AWS routes it: the service from the SigV4 credential
scope, the operation from `X-Amz-Target` (JSON protocols) or the `Action` form field
(query protocols); S3 requests are `s3:<METHOD>`. Requests to moto's own `/moto-api`
are never touched.
"""

from __future__ import annotations

import contextlib
import io
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from messaging.localcloud.aws_errors import Protocol, RefusalError, Response, render

__all__ = ["FaultInjector", "FaultPlan", "parse_operations"]

KINDS = ("throttle", "error500", "error503", "drop_before", "drop_after")

# (status, code) per protocol family for a throttle; JSON services name it in __type.
THROTTLING = {
    "sns": (400, "Throttling"),
    "sqs": (400, "RequestThrottled"),
    "firehose": (503, "ServiceUnavailableException"),
    "dynamodb": (400, "ProvisionedThroughputExceededException"),
    "s3": (503, "SlowDown"),
}
JSON_SERVICES = {"sqs", "firehose", "dynamodb"}


def parse_operations(text: str | None) -> frozenset[str] | None:
    """`sqs:ReceiveMessage,sns:*` -> a set; None (all operations) for an empty text."""
    if not text:
        return None
    operations = frozenset(part.strip() for part in text.split(",") if part.strip())
    for operation in operations:
        service, sep, name = operation.partition(":")
        if not sep or not service or not name:
            raise ValueError(f"{operation!r} is not service:Operation (e.g. sqs:ReceiveMessage)")
    return operations


@dataclass(frozen=True)
class FaultPlan:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fault_rate: float = 0.0
    operations: frozenset[str] | None = None  # None: every operation
    seed: int | None = None
    kinds: tuple[str, ...] = KINDS

    def __post_init__(self) -> None:
        if not 0 <= self.fault_rate <= 1:
            raise ValueError(f"fault rate must be within 0..1, got {self.fault_rate}")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency and jitter must not be negative")
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {', '.join(KINDS)}")

    @property
    def active(self) -> bool:
        return self.fault_rate > 0 or self.latency_ms > 0 or self.jitter_ms > 0

    def targets(self, service: str, operation: str) -> bool:
        if self.operations is None:
            return True
        return bool({f"{service}:{operation}", f"{service}:*"} & self.operations)


def identify(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, operation) of a request, from its signature and target or action."""
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[-1].split(",")[0]
    parts = scope.split("/")
    service = parts[3] if len(parts) >= 5 else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if service == "s3":
        return service, environ.get("REQUEST_METHOD", "GET")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # the app reads it again
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", ["unknown"])[0]
    return service, action


def _error(service: str, status: int, code: str, message: str) -> Response:
    protocol: Protocol = (
        "json" if service in JSON_SERVICES else "rest-xml" if service == "s3" else "query"
    )
    query_code = code if service == "sqs" else None  # SQS's JSON names its query code too
    refused = RefusalError(status, code, message, query_code=query_code)
    return render(protocol, refused, request_id="injected-fault")


class InjectedDropError(ConnectionResetError):
    """Raised mid-response to make the server drop the connection."""


class _QuietDrops(logging.Filter):
    """waitress logs every exception from the app with a traceback; ours are on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedDropError))


logging.getLogger("waitress").addFilter(_QuietDrops())


@dataclass
class FaultInjector:
    """WSGI middleware around moto's app; `injected` counts what it did, by kind and op."""

    app: Callable[..., Iterable[bytes]]
    plan: FaultPlan
    sleep: Callable[[float], None] = time.sleep
    injected: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.plan.seed)  # noqa: S311 - replayable, not secret

    def _draw(self) -> tuple[float, float, int]:
        with self._lock:  # one seeded sequence for all server threads
            return self._random.random(), self._random.random(), self._random.randrange(1 << 30)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        service, operation = identify(environ)
        plan = self.plan  # one plan per request, even if it is switched meanwhile
        jitter, roll, pick = self._draw()
        delay = plan.latency_ms + jitter * plan.jitter_ms
        if delay:
            self.sleep(delay / 1000)
        if not (plan.targets(service, operation) and roll < plan.fault_rate):
            return self.app(environ, start_response)
        kind = plan.kinds[pick % len(plan.kinds)]
        with self._lock:
            self.injected[f"{kind} {service}:{operation}"] += 1
        if kind in ("drop_before", "drop_after"):
            if kind == "drop_after":  # served, but the answer never arrives
                for _ in self.app(environ, lambda *_: None):
                    pass
            self._drop(environ)
        status, code = {
            "throttle": THROTTLING.get(service, (400, "Throttling")),
            "error500": (500, "InternalFailure"),
            "error503": (503, "ServiceUnavailable"),
        }[kind]
        line, headers, body = _error(service, status, code, f"injected {kind}")
        start_response(line, headers)
        return [body]

    @staticmethod
    def _drop(environ: dict[str, Any]) -> None:
        """Close the client's connection with no answer at all.

        waitress hands the app its connection only as the bound method behind
        `waitress.client_disconnected`; its owner is the channel, whose socket we shut.
        """
        probe = environ.get("waitress.client_disconnected")
        channel = getattr(probe, "__self__", None)
        connection = getattr(channel, "socket", None)
        if connection is not None:
            with contextlib.suppress(OSError):  # already gone is just as dropped
                connection.shutdown(socket.SHUT_RDWR)
        raise InjectedDropError("injected dropped connection")

    def switch(self, plan: FaultPlan) -> None:
        """Inject `plan` from now on (an outage that starts or ends while clients run)."""
        with self._lock:
            self.plan = plan
            self._random = random.Random(plan.seed)  # noqa: S311 - replayable, not secret

    def total(self) -> int:
        with self._lock:
            return sum(self.injected.values())
