"""Where a simulation's services run: long-running workers here, or Lambda functions.

The simulation asks one thing of its services: start, say how far each has got, which
AWS requests they made, and stop. Two hosts answer it:

- `WorkersHost`: the long-running workers, as threads of this process (`Runner`), on a
  stack with `ServicesHost=external`; their sessions count their requests;
- `LambdaHost`: the stack's Lambda functions, which run in the cloud (AWS, or the
  local cloud's own runtime). It reads what they did from their CloudWatch Logs
  (`function_logs`): events done per service, outcomes, the AWS calls each invocation
  made, latencies, invocations and concurrency. The requests of the event source
  mappings (their polling of the queues) are not in any log: a `MappingMeter` reads
  them where an endpoint exposes them (AWS does not). A mapping counts from its
  creation, so the host reads the counts when it starts and reports what was added
  since: a run on a stack that earlier runs used is not charged with their polling.

A host that sees a backlog no one works on for `stall_timeout` stops the run with the
reason (for Lambda: nothing runs the mappings, or every invocation fails before it logs)
instead of letting it wait out the drain timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerOptions
from messaging.core.metering import Usage, merge
from messaging.core.retry import describe
from messaging.core.services import Service
from messaging.errors import MessagingError
from messaging.ops import status
from messaging.ops.aws import Aws
from messaging.ops.log_window import LogReader
from messaging.simulation.cost import Extras
from messaging.simulation.function_logs import FunctionActivity
from messaging.simulation.ledger import Ledger

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "HOSTS",
    "FunctionSample",
    "HostError",
    "LambdaHost",
    "MappingMeter",
    "ServiceHost",
    "WorkersHost",
    "stack_host",
]

logger = logging.getLogger(__name__)

HOSTS: Final = ("lambda", "workers")
# What each host needs of the stack's ServicesHost parameter.
_STACK_HOST: Final = {"lambda": "lambda", "workers": "external"}

# Function name -> the SQS requests its event source mapping made ("sqs:ReceiveMessage"),
# or None where the endpoint does not expose them.
MappingMeter = Callable[[str], Mapping[str, int] | None]


def stack_host(host: str) -> str:
    """The stack's ServicesHost for a simulation's `--services` choice."""
    return _STACK_HOST[host]


@dataclass(frozen=True)
class FunctionSample:
    """One function at one moment, for the live view."""

    invocations: int
    errors: int
    concurrency: float


class ServiceHost(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def alive(self) -> bool: ...

    @property
    def errors(self) -> list[str]: ...

    def done(self) -> dict[str, int]:
        """Events applied or found duplicate, per service."""
        ...

    def applied(self) -> dict[str, int]:
        """Events applied (effects written), per service."""
        ...

    def failures(self) -> int:
        """Failed handlings, commits, invocations and API errors (each retried)."""
        ...

    def latencies(self) -> list[float]:
        """Recent publish -> stored latencies (ms)."""
        ...

    def requests(self) -> dict[str, int]:
        """AWS requests the services made that no session of this process counted."""
        ...

    def functions(self) -> dict[str, FunctionSample]:
        """Per service, for the live view; empty where services are not functions."""
        ...

    def billing(self) -> tuple[dict[str, Usage], Extras]:
        """Billing units no session of this process metered, and the functions' own bill."""
        ...


class WorkersHost:
    """The long-running workers, as threads of this process. Every result they reach is
    reported by event id to the run's `ledger`, so progress counts the run's events only
    and a backlog is told apart."""

    name = "workers"

    def __init__(
        self,
        services: Iterable[Service],
        outputs: Mapping[str, str],
        session: Callable[[str], Aws],
        options: WorkerOptions,
        ledger: Ledger,
    ) -> None:
        self.ledger = ledger
        self.runner = Runner(services, outputs, session, options, on_result=ledger.observe)

    def start(self) -> None:
        self.runner.start()

    def stop(self) -> None:
        self.runner.stop()

    @property
    def alive(self) -> bool:
        return self.runner.alive

    @property
    def errors(self) -> list[str]:
        return self.runner.errors

    def done(self) -> dict[str, int]:
        return {run.name: self.ledger.done(run.name) for run in self.runner.runs}

    def applied(self) -> dict[str, int]:
        return {run.name: run.worker.stats["handled"] for run in self.runner.runs}

    def failures(self) -> int:
        stats = [run.worker.stats for run in self.runner.runs]
        return sum(s["failed"] + s["held"] + s["errors"] for s in stats)

    def latencies(self) -> list[float]:
        return [v for run in self.runner.runs for v in run.worker.latencies.snapshot()]

    def requests(self) -> dict[str, int]:
        return {}  # each worker's session counts its own

    def functions(self) -> dict[str, FunctionSample]:
        return {}

    def billing(self) -> tuple[dict[str, Usage], Extras]:
        return {}, Extras()  # each worker's session meters its own


class LambdaHost:
    """The stack's functions, followed through their logs."""

    name = "lambda"

    def __init__(
        self,
        services: Iterable[Service],
        outputs: Mapping[str, str],
        session: Aws,
        *,
        started_ms: int | None = None,
        interval: float = 1.0,
        stall_timeout: float = 60.0,
        mapping_meter: MappingMeter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = list(services)
        self.functions_by_service: dict[str, str] = {}
        for service in self.services:
            function = outputs.get(service.function_output)
            if not function:
                raise HostError(
                    f"{service.name}: the stack has no output {service.function_output}, so "
                    "its services do not run on Lambda; deploy with ServicesHost=lambda or "
                    "run --services workers"
                )
            self.functions_by_service[service.name] = function
        self.queues = {s.name: outputs[s.queue_output] for s in self.services}
        self.session = session
        self.interval = interval
        self.stall_timeout = stall_timeout
        self.mapping_meter = mapping_meter
        self.clock = clock
        since = started_ms if started_ms is not None else int(time.time() * 1000)
        logs = session.client("logs")
        self.readers = {
            name: LogReader(logs, f"/aws/lambda/{function}", since)
            for name, function in self.functions_by_service.items()
        }
        self.activity = {name: FunctionActivity() for name in self.functions_by_service}
        self._lock = threading.Lock()
        self._errors: list[str] = []
        self._last_progress = dict.fromkeys(self.functions_by_service, clock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.read_failures = 0
        self._metered: set[str] = set()
        # Each mapping's counts when the host started (None: unreadable, so not metered).
        self._polled_before: dict[str, Mapping[str, int] | None] = {}
        # What each mapping polled during the run, read once after it (`_polling`).
        self._polled_during: dict[str, dict[str, int] | None] | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Check that every function exists, then follow their logs."""
        client = self.session.client("lambda")
        for name, function in self.functions_by_service.items():
            try:
                client.get_function(FunctionName=function)
            except ClientError as error:
                raise HostError(f"{name}: function {function}: {describe(error)}") from error
        for name, function in self.functions_by_service.items():
            self._polled_before[name] = self._read_meter(function)
        self._thread = threading.Thread(target=self._follow, name="function-logs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following, after one last read, a minute back (the functions themselves
        run on)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.poll(settle=True)

    @property
    def alive(self) -> bool:
        with self._lock:
            return not self._errors and not self._stop.is_set()

    @property
    def errors(self) -> list[str]:
        with self._lock:
            return list(self._errors)

    def _follow(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
                self._check_progress()
            except (ClientError, BotoCoreError) as error:
                # Reading is best effort between samples (counted, logged at 1, 10, 100
                # failures); a lasting failure surfaces as a stall, and the final read in
                # `stop` raises.
                self.read_failures += 1
                if self.read_failures in (1, 10, 100):
                    logger.warning("reading the function logs failed: %s", describe(error))

    # -- reading ---------------------------------------------------------------------

    def poll(self, *, settle: bool = False) -> None:
        """Read the new log events of every function (`LogReader.read`)."""
        for name, reader in self.readers.items():
            events = list(reader.read(settle=settle))
            if not events:
                continue
            with self._lock:
                for event in events:
                    self.activity[name].add(
                        int(event.get("timestamp", 0)), str(event.get("message", ""))
                    )
                self._last_progress[name] = self.clock()

    def _check_progress(self) -> None:
        for name, since in self._last_progress.items():
            if self.clock() - since < self.stall_timeout:
                continue
            visible, in_flight = status.queue_depth(self.session, self.queues[name])
            waiting = visible + in_flight
            if waiting == 0:
                self._last_progress[name] = self.clock()  # idle, not stalled
                continue
            with self._lock:
                self._errors.append(
                    f"{name}: its function {self.functions_by_service[name]} logged nothing "
                    f"for {self.stall_timeout:.0f} s while {waiting} messages wait in its "
                    "queue: nothing runs its event source mapping, or every invocation fails "
                    "before it logs (see `messaging logs`); --services workers runs the "
                    "services in this process instead"
                )
            return

    # -- what the functions did ------------------------------------------------------

    def done(self) -> dict[str, int]:
        with self._lock:
            return {name: a.done for name, a in self.activity.items()}

    def applied(self) -> dict[str, int]:
        with self._lock:
            return {name: a.outcomes["applied"] for name, a in self.activity.items()}

    def failures(self) -> int:
        with self._lock:
            return sum(
                a.outcomes["retry"] + a.outcomes["poison"] + a.errors
                for a in self.activity.values()
            )

    def latencies(self) -> list[float]:
        with self._lock:
            return [v for a in self.activity.values() for v in a.latencies.snapshot()]

    def invocations(self) -> dict[str, int]:
        with self._lock:
            return {name: a.invocations for name, a in self.activity.items()}

    def requests(self) -> dict[str, int]:
        """Each function's own calls, and its mapping's polling where it is metered."""
        with self._lock:
            counted = {name: sum(a.aws_calls.values()) for name, a in self.activity.items()}
        for name, polled in self._polling().items():
            if polled is not None:
                counted[f"{name}-mapping"] = sum(polled.values())
                self._metered.add(name)
        return counted

    def _read_meter(self, function: str) -> Mapping[str, int] | None:
        try:
            return self.mapping_meter(function) if self.mapping_meter else None
        except (BotoCoreError, ClientError) as error:
            logger.warning("%s: mapping requests not read: %s", function, describe(error))
            return None

    def _polling(self) -> dict[str, dict[str, int] | None]:
        """Each mapping's polling during the run, read on first use after it: `requests()`
        and `billing()` then agree, and each mapping is read once, not once for each."""
        if self._polled_during is None:
            self._polled_during = {
                name: self._polled_since_start(name) for name in self.functions_by_service
            }
        return self._polled_during

    def _polled_since_start(self, name: str) -> dict[str, int] | None:
        """The SQS requests `name`'s mapping made since `start`, by operation; None when
        either reading failed. A count lower than at the start (the mapping was
        replaced, and counts again from 0) is taken as it is."""
        before = self._polled_before.get(name, {})
        now = self._read_meter(self.functions_by_service[name])
        if now is None or before is None:
            return None
        return {
            operation: count - before.get(operation, 0)
            if count >= before.get(operation, 0)
            else count
            for operation, count in now.items()
        }

    def billing(self) -> tuple[dict[str, Usage], Extras]:
        """The handlers' `aws_usage`, the mappings' metered polling, and the functions' bill.

        A mapping's SQS requests are billed by SQS like any other (Lambda adds nothing
        for polling); where the endpoint does not expose them they are missing here.
        """
        usage: dict[str, Usage] = {}
        with self._lock:
            for activity in self.activity.values():
                merge(usage, activity.usage)
            extras = Extras(
                lambda_invocations=sum(a.invocations for a in self.activity.values()),
                lambda_gb_seconds=sum(a.gb_seconds for a in self.activity.values()),
                log_bytes=sum(a.log_bytes for a in self.activity.values()),
            )
        for polled in self._polling().values():
            # "sqs:ReceiveMessage", or the bare operation the local runtime counts.
            merge(
                usage,
                {
                    key if ":" in key else f"sqs:{key}": Usage(requests=n)
                    for key, n in (polled or {}).items()
                },
            )
        return usage, extras

    @property
    def mappings_metered(self) -> bool:
        """Whether every function's mapping polling was counted (read `requests()` first)."""
        return self._metered == set(self.functions_by_service)

    def functions(self) -> dict[str, FunctionSample]:
        now_ms = int(time.time() * 1000)
        with self._lock:
            return {
                name: FunctionSample(a.invocations, a.errors, round(a.concurrency(now_ms), 2))
                for name, a in self.activity.items()
            }


class HostError(MessagingError):
    """The services cannot be hosted as asked (no functions in the stack, none found)."""
