"""Start and stop the local cloud: moto's WSGI app plus our plug-ins, on loopback.

Why not `moto_server` or `ThreadedMotoServer` as they are: we must install the
plug-ins before the first backend is built, run the Firehose flusher beside the HTTP
server, and deliver every buffered record when the cloud stops.

Why waitress rather than werkzeug's development server (what moto uses): werkzeug closes
the connection after every response ("Always close the connection" in `run_wsgi`), so
every AWS call paid a new TCP connection and a new thread. waitress keeps connections
alive and serves them from a thread pool, large enough for every long poll in flight.

Any standard client works against it with `AWS_ENDPOINT_URL`. moto does not check
signatures, so the local cloud accepts any credentials; `client_environment()` gives
placeholder ones for processes that have none (they are not secrets and grant nothing).

State lives in memory unless a state directory is given (`state.persistence`): then it is
restored on start, saved periodically and saved once more on stop, after the Firehose
buffers were delivered. Every response names the instance (`instance`).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import wasyncore
from waitress.server import create_server

from messaging.localcloud import install, tracking
from messaging.localcloud.faults import FaultInjector, FaultPlan
from messaging.localcloud.firehose.backend import BufferFlusher, FlushReport, timing
from messaging.localcloud.instance import InstanceHeader, new_instance_id
from messaging.localcloud.state.gate import GateMiddleware
from messaging.localcloud.state.persistence import Persistence, SnapshotInfo, StateError

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_REGION", "LocalCloud", "is_loopback"]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
# Requests in flight at once: every long poll (up to 20 s) holds one.
SERVER_THREADS = 128
# Placeholders: moto ignores signatures, but SDKs refuse to sign without credentials.
PLACEHOLDER_KEY = "localcloud"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host.

    moto lists its own package directory on the file system for every request to find
    out (`list_of_moto_modules`); the answer never changes while the cloud runs.
    """

    def __init__(self, create_app: Callable[..., Any]) -> None:
        super().__init__(create_app)
        self._backend_of: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backend_of:
            self._backend_of[host] = super().get_backend_for_host(host)
        return self._backend_of[host]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        tracking.ensure_bounded()  # classes moto imported late, or lists a reset replaced
        return super().__call__(environ, start_response)


class LocalCloud:
    """The embedded AWS: serve, flush Firehose buffers on time, flush all on stop."""

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        region: str = DEFAULT_REGION,
        clock: Callable[[], float] | None = None,
        faults: FaultPlan | None = None,
        state: Persistence | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.region = region
        self._clock = clock
        self._plan = faults
        self.faults: FaultInjector | None = None
        self._server: Any = None  # a waitress server (untyped)
        self._thread: threading.Thread | None = None
        self._flusher = BufferFlusher()
        self.state = state
        self.instance_id = ""
        self.restored = False
        self.final_snapshot: SnapshotInfo | None = None
        self.state_error: str | None = None

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def placeholder_credentials(self) -> tuple[str, str]:
        return PLACEHOLDER_KEY, PLACEHOLDER_KEY

    def client_environment(self) -> dict[str, str]:
        """Environment for a process that should talk to this cloud."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": PLACEHOLDER_KEY,
            "AWS_SECRET_ACCESS_KEY": PLACEHOLDER_KEY,
        }

    def start(self) -> Self:
        install()
        tracking.bound_all()
        if self._clock is not None:
            timing.clock = self._clock
        app: Any = GateMiddleware(_Dispatcher(create_backend_app))
        if self._plan is not None and self._plan.active:
            app = self.faults = FaultInjector(app, self._plan)
        app = InstanceHeader(app, lambda: self.instance_id)
        self._sockets: dict[int, Any] = {}  # waitress's socket map, ours to close on stop
        self._server = create_server(
            app,
            map=self._sockets,
            host=self.host,
            port=self.port,
            threads=SERVER_THREADS,
            connection_limit=1000,
            channel_timeout=120,  # idle keep-alive connections; long polls last 20 s
            ident="messaging-localcloud",
            channel_request_lookahead=1,  # exposes the connection to fault injection
            clear_untrusted_proxy_headers=True,
        )
        self._restore()
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(
            target=self._server.run, name="localcloud-http", daemon=True
        )
        self._thread.start()
        self._flusher.start()
        timing.wakeup.set()  # restored buffers may be due already
        if self.state is not None:
            self.state.start(self.instance_id)
        self._wait_ready()
        logger.info("local cloud listening on %s", self.endpoint_url)
        return self

    def _restore(self) -> None:
        """The saved state, before the first request is served (or a new instance)."""
        try:
            restored = self.state.open() if self.state is not None else None
        except Exception:
            wasyncore.close_all(self._sockets)  # bound but never served
            self._server = None
            raise
        self.restored = restored is not None
        self.instance_id = restored or new_instance_id()

    def flush_due(self) -> float | None:
        """Deliver every Firehose buffer whose interval has elapsed (for injected clocks)."""
        return self._flusher.flush_due()

    def stop(self) -> FlushReport:
        """Stop serving, deliver every buffered Firehose record, then save the state."""
        if self._server is not None:
            # Workers first (a long poll may still be running), then every socket: the
            # listener, the trigger and the keep-alive connections, which ends the loop.
            self._server.task_dispatcher.shutdown(timeout=2)
            wasyncore.close_all(self._sockets)
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        report = self._flusher.stop()
        if report.undelivered:
            logger.error(
                "local cloud stopped with %d Firehose records undelivered", report.undelivered
            )
        if self.state is not None:
            try:
                self.final_snapshot = self.state.close()  # after the flush: the lake is in it
            except (StateError, OSError) as error:
                self.state_error = str(error)
                logger.exception("local cloud stopped without saving its state")
        return report

    def _wait_ready(self, timeout: float = 10.0) -> None:
        # One real request through the WSGI app proves the whole stack answers.
        url = f"{self.endpoint_url}/moto-api/config"  # always http://, built here
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310
            pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        *_: Any,
    ) -> None:
        self.stop()
