"""Start and stop the local cloud: moto's WSGI app plus our plug-ins, on loopback.

Why not `moto_server` or `ThreadedMotoServer` as they are: we must install the
plug-ins before the first backend is built, run the Firehose flusher beside the HTTP
server, deliver every buffered record when the cloud stops, and stop Lambda's pollers
and worker processes first (their in-flight invocations still need the server).

Why waitress rather than werkzeug's development server (what moto uses): werkzeug closes
the connection after every response ("Always close the connection" in `run_wsgi`), so
every AWS call paid a new TCP connection and a new thread. waitress keeps connections
alive and serves them from a thread pool; `transport` bounds bodies, connections and
threads (256 concurrent long polls, 1,024 connections by default).

Every request passes, outermost first: `instance` (every response names the instance),
`guard` (only the user's own clients: Origin, Referer, Host, CORS), `precheck`
(AWS's syntax checks and limits), `admin` (reset and health, and the gate that lets a
reset run alone), `longpoll` (the long-poll budget), `faults` (injected latency and
failures, when asked for), `failsafe` (exceptions from moto, classified), the state
gate (a snapshot sees no half-done request), DynamoDB's requests one at a time
(`dynamodb.one_at_a_time`: each atomic, as on DynamoDB), then moto. Refused requests
never reach fault injection. What the precheck decoded, moto does not decode again
(`form_body`, `json_parser`).

State lives in memory unless a state directory is given (`state.persistence`): then it is
restored on start, saved periodically and saved once more on stop, after the Firehose
buffers were delivered.

Any standard client works against it with `AWS_ENDPOINT_URL`. moto does not check
signatures, so the local cloud accepts any credentials; `client_environment()` gives
placeholder ones for processes that have none (they are not secrets and grant nothing).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from moto import backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import wasyncore
from waitress.server import create_server

from messaging.errors import MessagingError
from messaging.localcloud import awslambda, install, tracking
from messaging.localcloud.admin import HEALTH_PATH, AdminEndpoints
from messaging.localcloud.awslambda import functions
from messaging.localcloud.dynamodb.one_at_a_time import DynamoDBOneAtATime
from messaging.localcloud.failsafe import Failsafe
from messaging.localcloud.faults import FaultInjector, FaultPlan
from messaging.localcloud.firehose.backend import BufferFlusher, FlushReport, timing
from messaging.localcloud.form_body import DecodedOnceRequest
from messaging.localcloud.guard import GuardPolicy, OriginGuard
from messaging.localcloud.instance import InstanceHeader, new_instance_id
from messaging.localcloud.longpoll import LongPollGate
from messaging.localcloud.precheck import RequestChecks
from messaging.localcloud.state.gate import GateMiddleware, gate
from messaging.localcloud.state.persistence import Persistence, SnapshotInfo, StateError
from messaging.localcloud.transport import ServerLimits, configure

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_REGION",
    "SERVICES",
    "GuardPolicy",
    "LocalCloud",
    "LocalCloudNotReadyError",
    "ServerLimits",
    "is_loopback",
]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
# The services the local cloud stands in for (what the template and the CLI use).
SERVICES = (
    "cloudformation", "dynamodb", "firehose", "iam", "kms", "lambda", "logs", "s3", "sns",
    "sqs", "sts",
)  # fmt: skip
# Placeholders: moto ignores signatures, but SDKs refuse to sign without credentials.
PLACEHOLDER_KEY = "localcloud"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalCloudNotReadyError(MessagingError):
    """The server answers, but its health report says a service is not ready."""


def backend_app(service: Any) -> Any:
    """moto's Flask app for `service`, its form bodies decoded once (`form_body`)."""
    app = create_backend_app(service)
    app.request_class = DecodedOnceRequest
    return app


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
        policy: GuardPolicy | None = None,
        limits: ServerLimits | None = None,
        state: Persistence | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.region = region
        self._clock = clock
        self._plan = faults
        self.policy = policy or GuardPolicy.build(host)
        self.limits = limits or ServerLimits()
        self.faults: FaultInjector | None = None
        self.guard: OriginGuard | None = None
        self.checks: RequestChecks | None = None
        self.admin: AdminEndpoints | None = None
        self.long_polls: LongPollGate | None = None
        self.failsafe: Failsafe | None = None
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
        self._sockets: dict[int, Any] = {}  # waitress's socket map, ours to close on stop
        self._server = create_server(
            self._application(),
            map=self._sockets,
            host=self.host,
            port=self.port,
            ident="messaging-localcloud",
            channel_request_lookahead=1,  # exposes the connection to fault injection
            clear_untrusted_proxy_headers=True,
            **self.limits.waitress_options(),
        )
        configure(self._server, self.limits)
        self._restore()
        self.port = int(self._server.effective_port)
        functions.endpoint.serve(self.endpoint_url)  # where Lambda functions call back
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

    def _application(self) -> Any:
        """moto's app inside our layers (see the module docstring for the order)."""
        self.failsafe = Failsafe(GateMiddleware(DynamoDBOneAtATime(_Dispatcher(backend_app))))
        app: Any = self.failsafe
        if self._plan is not None and self._plan.active:
            app = self.faults = FaultInjector(app, self._plan)
        app = self.long_polls = LongPollGate(app, self.limits.long_polls)
        app = self.admin = AdminEndpoints(app, reset=self.reset, health=self.health)
        app = self.checks = RequestChecks(app)
        app = self.guard = OriginGuard(app, self.policy)
        # Outermost: a refusal names the instance too, so a client reads the refusal,
        # not a missing header.
        return InstanceHeader(app, lambda: self.instance_id)

    def reset(self) -> None:
        """Every service back to empty, as after a restart (see `admin` for when it runs)."""
        # A reset changes state: a snapshot must not see it half done.
        with gate.shared(), self._flusher.paused():
            moto_api_backend.reset()

    def health(self) -> dict[str, str]:
        """Readiness per service: its backend answers, and Firehose's flusher runs."""
        states: dict[str, str] = {}
        for name in SERVICES:
            try:
                # Regional services by region; global ones (IAM, S3, STS) by partition.
                per_account = backends.get_backend(name)[DEFAULT_ACCOUNT_ID]  # type: ignore[call-overload]
                per_account[self.region if self.region in per_account else "aws"]
            except (KeyError, ValueError, TypeError, AttributeError) as error:
                states[name] = f"not ready: {type(error).__name__}"
                continue
            states[name] = "ready"
        if not self._flusher.running:
            states["firehose"] = "not ready: the buffer flusher is not running"
        return states

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
        """Stop Lambda pollers and functions (in-flight invocations finish while the cloud
        still serves them), stop serving, deliver every buffered Firehose record, then
        save the state."""
        awslambda.shutdown()
        functions.endpoint.release(self.endpoint_url)
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
        # The health endpoint goes through every layer and reports every service.
        url = f"{self.endpoint_url}{HEALTH_PATH}"  # always http://, built here
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:  # 503: a service is not ready
            raise LocalCloudNotReadyError(error.read().decode("utf-8", "replace")) from None

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
