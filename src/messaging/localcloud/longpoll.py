"""WSGI middleware: a bounded number of long polls, so quick calls always find a thread.

An SQS ReceiveMessage may wait up to 20 s (its WaitTimeSeconds, or the queue's
ReceiveMessageWaitTimeSeconds), holding one server thread all along. The server has
`long_polls + quick_threads` threads (`transport.ServerLimits`); this gate admits at
most `long_polls` ReceiveMessage calls at once. One more is answered at once with SQS's
throttling error (`RequestThrottled`, HTTP 400), which every SDK retries with back-off,
the way AWS throttles a caller over its limits. Every ReceiveMessage counts, whatever
its wait: the queue's default wait is not known before the call runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from messaging.localcloud.aws_errors import RefusalError, answer
from messaging.localcloud.route import route_of

__all__ = ["LongPollGate", "drained", "is_long_poll"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_long_poll(environ: dict[str, Any]) -> bool:
    route = route_of(environ)
    return route.service == "sqs" and route.operation == "ReceiveMessage"


class LongPollGate:
    def __init__(self, app: WsgiApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self.throttled = 0
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not is_long_poll(environ):
            return self.app(environ, start_response)
        with self._lock:
            admitted = self.in_flight < self.limit
            if admitted:
                self.in_flight += 1
            else:
                self.throttled += 1
        if not admitted:
            route = route_of(environ)
            refused = RefusalError(
                400,
                "com.amazonaws.sqs#RequestThrottled",
                f"More than {self.limit} ReceiveMessage calls are waiting at once",
                query_code="RequestThrottled",
            )
            return answer(start_response, route.protocol, refused)
        try:
            return drained(self.app(environ, start_response))
        finally:
            with self._lock:
                self.in_flight -= 1


def drained(result: Iterable[bytes]) -> list[bytes]:
    """The whole response body, produced now (and the iterable closed, as WSGI asks)."""
    try:
        return [b"".join(result)]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
