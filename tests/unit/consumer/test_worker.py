"""The worker's polling policy, against a fake SQS that records when it is asked."""

from __future__ import annotations

import threading
import time
from typing import Any

from botocore.exceptions import BotoCoreError

from messaging.consumer.state import WorkerOptions, WorkerStalledError
from messaging.consumer.worker import Worker
from messaging.core.events import encode
from messaging.core.services import SERVICES
from messaging.store import MemoryStore
from tests.support import make_event


class TricklingSqs:
    """Every receive returns `per_receive` new messages: a steady stream, never a batch."""

    def __init__(self, per_receive: int) -> None:
        self.per_receive = per_receive
        self.receive_times: list[float] = []
        self.deleted = 0
        self.released = 0
        self._sent = 0
        self._lock = threading.Lock()

    def get_queue_attributes(self, **_: Any) -> Any:
        return {"Attributes": {"VisibilityTimeout": "30"}}

    def receive_message(self, MaxNumberOfMessages: int, **_: Any) -> Any:  # noqa: N803
        with self._lock:
            self.receive_times.append(time.monotonic())
            count = min(self.per_receive, MaxNumberOfMessages)
            first, self._sent = self._sent, self._sent + count
        return {
            "Messages": [
                {"MessageId": str(n), "ReceiptHandle": f"rh-{n}", "Body": encode(make_event(n))}
                for n in range(first, first + count)
            ]
        }

    def delete_message_batch(self, Entries: list[dict[str, Any]], **_: Any) -> Any:  # noqa: N803
        with self._lock:
            self.deleted += len(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def change_message_visibility_batch(self, Entries: list[dict[str, Any]], **_: Any) -> Any:  # noqa: N803
        with self._lock:
            self.released += len(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def run_worker(sqs: TricklingSqs, options: WorkerOptions) -> MemoryStore:
    store = MemoryStore()
    worker = Worker("orders", sqs, "queue-url", SERVICES["orders"].handle, store, options)  # type: ignore[arg-type]
    worker.run()
    return store


def test_a_partial_receive_waits_before_polling_again() -> None:
    # A long poll returns as soon as one message is there; without the wait, a steady
    # stream costs one receive and one delete per message or two.
    sqs = TricklingSqs(per_receive=2)
    fill_wait = 0.1
    store = run_worker(sqs, WorkerOptions(concurrency=1, max_messages=8, fill_wait=fill_wait))
    assert len(store.items) == 8
    assert sqs.deleted == 8
    gaps = [b - a for a, b in zip(sqs.receive_times, sqs.receive_times[1:], strict=False)]
    assert len(gaps) == 3
    assert all(gap >= fill_wait for gap in gaps)


def test_a_full_receive_polls_again_at_once() -> None:
    # At saturation every receive is full, and the wait would only cost throughput.
    sqs = TricklingSqs(per_receive=10)
    store = run_worker(sqs, WorkerOptions(concurrency=1, max_messages=30, fill_wait=3600))
    assert len(store.items) == 30
    assert len(sqs.receive_times) == 3


class EndpointGoneError(BotoCoreError):
    """What `ops.instance.InstanceChangedError` is to the worker: an error marked fatal."""

    fmt = "the endpoint is another, empty cloud now"
    fatal = True


class GoneSqs(TricklingSqs):
    """Serves one receive, then every call fails with a fatal error."""

    def receive_message(self, MaxNumberOfMessages: int, **kwargs: Any) -> Any:  # noqa: N803
        if self.receive_times:
            raise EndpointGoneError()
        return super().receive_message(MaxNumberOfMessages, **kwargs)

    def change_message_visibility_batch(self, Entries: list[dict[str, Any]], **_: Any) -> Any:  # noqa: N803
        raise EndpointGoneError()


class GoneStore(MemoryStore):
    def commit(self, units: Any) -> Any:
        raise EndpointGoneError()


def run_until_it_stops(worker: Worker) -> BaseException | None:
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            worker.run()
        except BaseException as error:  # noqa: BLE001 - the test reads it
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the worker kept going after a fatal error"
    return outcome[0]


def test_a_fatal_error_on_receive_stops_the_worker_with_its_reason() -> None:
    sqs = GoneSqs(per_receive=2)
    handle = SERVICES["orders"].handle
    worker = Worker("orders", sqs, "url", handle, MemoryStore(), WorkerOptions(concurrency=2))  # type: ignore[arg-type]
    error = run_until_it_stops(worker)
    assert isinstance(error, WorkerStalledError)
    assert "another, empty cloud" in str(error)


def test_a_fatal_store_failure_stops_the_worker_instead_of_holding_work() -> None:
    sqs = TricklingSqs(per_receive=2)
    handle = SERVICES["orders"].handle
    worker = Worker("orders", sqs, "url", handle, GoneStore(), WorkerOptions(concurrency=1))  # type: ignore[arg-type]
    error = run_until_it_stops(worker)
    assert isinstance(error, WorkerStalledError)
    assert "another, empty cloud" in str(error)
    assert sqs.deleted == 0
    assert sqs.released > 0  # what it held goes back to the queue at once
