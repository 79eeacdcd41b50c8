"""One way to wire services to their queues and tables: the CLI, simulate and bench use it.

Each service resolves its own queue and table from the stack outputs
(`Service.resources`); each gets a session of its own, so every request is attributed
to the service that made it (the session counts them, from botocore's events). A
worker that cannot make progress stops the others gracefully, and its error is kept,
so that the caller can exit non-zero and a process manager restart it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from messaging.consumer.batch import MessageResult
from messaging.consumer.state import WorkerOptions
from messaging.consumer.worker import Worker
from messaging.core.services import Service
from messaging.store import DynamoStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

__all__ = ["Runner", "ServiceRun", "Session"]

logger = logging.getLogger(__name__)


class Session(Protocol):
    """Makes the clients a service needs (`messaging.ops.aws.Aws` is one)."""

    def sqs(self) -> SQSClient: ...

    def dynamodb(self) -> DynamoDBClient: ...


S = TypeVar("S", bound=Session)


@dataclass
class ServiceRun(Generic[S]):
    """One service at work: its session, its worker, and what ended it."""

    service: Service
    session: S
    worker: Worker
    error: BaseException | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def done(self) -> int:
        """Events handled or found duplicate so far."""
        return self.worker.stats["handled"] + self.worker.stats["duplicates"]


class Runner(Generic[S]):
    """Builds a worker per service; runs them as threads until `stop`."""

    def __init__(
        self,
        services: Iterable[Service],
        outputs: Mapping[str, str],
        session: Callable[[str], S],
        options: WorkerOptions | None = None,
        on_result: Callable[[str, MessageResult], None] | None = None,
    ) -> None:
        """`on_result(service name, result)` is told of every message result (`Worker`)."""
        self.runs: list[ServiceRun[S]] = []
        for service in services:
            resources = service.resources(outputs)  # before any thread: fails fast
            clients = session(service.name)
            store = DynamoStore(clients.dynamodb(), resources.table)
            worker = Worker(
                service.name,
                clients.sqs(),
                resources.queue_url,
                service.handle,
                store,
                options,
                on_result=None if on_result is None else partial(on_result, service.name),
            )
            self.runs.append(ServiceRun(service, clients, worker))
        self._stop = threading.Event()

    def start(self, stop: threading.Event | None = None) -> threading.Event:
        """Start every worker; returns the event that stops them (`stop`, if given)."""
        if stop is not None:
            self._stop = stop
        for run in self.runs:
            run.thread = threading.Thread(target=self._run, args=(run,), name=run.name)
            run.thread.start()
        return self._stop

    def _run(self, run: ServiceRun[S]) -> None:
        try:
            run.worker.run(self._stop)
        except BaseException as error:  # noqa: BLE001 - kept for the caller, who exits non-zero
            run.error = error
            logger.error("%s stopped: %s", run.name, error)  # noqa: TRY400 - said once, plainly
            self._stop.set()  # the others stop gracefully

    @property
    def alive(self) -> bool:
        return any(run.thread is not None and run.thread.is_alive() for run in self.runs)

    def join(self, timeout: float | None = None) -> None:
        for run in self.runs:
            if run.thread is not None:
                run.thread.join(timeout)

    def stop(self) -> None:
        """Stop gracefully and wait: work in flight is finished and acknowledged."""
        self._stop.set()
        self.join()

    def run(self, stop: threading.Event | None = None) -> None:
        """Start, and wait until every worker has ended."""
        self.start(stop)
        self.join()

    @property
    def errors(self) -> list[str]:
        return [f"{run.name}: {run.error}" for run in self.runs if run.error is not None]
