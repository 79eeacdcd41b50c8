"""WSGI middleware: the local cloud's own endpoints, reset and health, and nothing else.

The gap it closes: moto serves `/moto-api/*` to anyone, including `data.json` (the body
of every message ever sent, deleted ones too), the recorder (which wrote files into the
working directory) and a dashboard. Only two endpoints are kept, behind the same guard
as the AWS APIs (`guard`):

- `POST /moto-api/reset` (the path moto users know): everything back to empty, as after
  a restart: every moto backend, and with them our plug-ins' state (Firehose buffers,
  SQS stores, stacks); the Firehose flusher is paused while it runs. The caches of pure
  functions (parsed expressions, method lists, service models) are kept: they hold no
  state, only answers that never change;
- `GET /_localcloud/health`: readiness per service, as JSON (LocalStack's
  `/_localstack/health` does the same): `{"status": "ready", "services": {"sqs":
  "ready", ...}}`, HTTP 200 when every service is ready, 503 otherwise.

Every other path under `/moto-api` and `/_localcloud` is 404.

Reset is safe while requests run: `ResetGate` holds new requests back, waits for those in
flight to finish (up to `drain_timeout`), resets, and lets them go. SQS long polls are
not waited for: while they wait they touch only their queue's own store, which a reset
leaves to them and then drops; they end with whatever that queue held.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from messaging.localcloud.aws_errors import RefusalError, answer, status_line
from messaging.localcloud.longpoll import drained, is_long_poll

__all__ = ["HEALTH_PATH", "RESET_PATH", "AdminEndpoints", "ResetGate"]

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
RESET_PATH = "/moto-api/reset"
HEALTH_PATH = "/_localcloud/health"
_OWN_PREFIXES = ("/moto-api", "/_localcloud", "/favicon.ico")


class ResetGate:
    """Requests run together; a reset runs alone, once those in flight are done."""

    def __init__(self, drain_timeout: float = 30.0) -> None:
        self.drain_timeout = drain_timeout
        self._cond = threading.Condition()
        self._in_flight = 0
        self._closed = False

    @contextmanager
    def request(self, *, counted: bool) -> Iterator[None]:
        with self._cond:
            while self._closed:
                self._cond.wait()
            if counted:
                self._in_flight += 1
        try:
            yield
        finally:
            if counted:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._closed:  # one reset at a time
                self._cond.wait()
            self._closed = True
            drained_in_time = self._cond.wait_for(
                lambda: self._in_flight == 0, timeout=self.drain_timeout
            )
        try:
            if not drained_in_time:
                raise RefusalError(
                    503, "ServiceUnavailable", "requests still running; try the reset again"
                )
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()


def _respond(
    start_response: Callable[..., Any], status: int, document: dict[str, Any]
) -> list[bytes]:
    body = json.dumps(document, sort_keys=True).encode()
    start_response(
        status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class AdminEndpoints:
    """Serves reset and health itself; every other request runs through the gate."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        reset: Callable[[], None],
        health: Callable[[], dict[str, str]],
        gate: ResetGate | None = None,
    ) -> None:
        self.app = app
        self._reset = reset
        self._health = health
        self.gate = gate or ResetGate()
        self.resets = 0

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(_OWN_PREFIXES):
            with self.gate.request(counted=not is_long_poll(environ)):
                return drained(self.app(environ, start_response))
        method = environ.get("REQUEST_METHOD", "GET")
        if path == RESET_PATH:
            if method != "POST":
                return _respond(start_response, 405, {"error": "reset takes POST"})
            return self._do_reset(start_response)
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _respond(start_response, 405, {"error": "health takes GET"})
            services = self._health()
            ready = all(state == "ready" for state in services.values())
            document = {"status": "ready" if ready else "not ready", "services": services}
            return _respond(start_response, 200 if ready else 503, document)
        return _respond(
            start_response,
            404,
            {"error": f"{path[:100]} is not served; only {RESET_PATH} and {HEALTH_PATH} are"},
        )

    def _do_reset(self, start_response: Callable[..., Any]) -> list[bytes]:
        try:
            with self.gate.exclusive():
                self._reset()
                self.resets += 1
        except RefusalError as refused:
            return answer(start_response, "rest-json", refused)
        logger.info("local cloud reset: every service is empty")
        return _respond(start_response, 200, {"status": "ok"})
