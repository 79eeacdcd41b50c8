"""Liveness: no thread of the worker dies or hangs silently, and a bug fails its own message.

Against real queues on the local cloud (visibility 1 s, maxReceiveCount 2): a handler
that puts a float in an item (the bug that used to kill the committer thread), a store
that raises TypeError for some units, a store that hangs, a thread that dies. In every
case the other messages keep flowing, the failing ones reach the DLQ after
maxReceiveCount receives, and the worker ends by itself; when it cannot make progress
at all it raises `WorkerStalledError` (the CLI exits non-zero) and hides nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from messaging.consumer.state import WorkerOptions, WorkerStalledError
from messaging.consumer.worker import Worker
from messaging.core.events import ConsumerCreated, encode
from messaging.core.services import Handler, orders
from messaging.ops.aws import Aws
from messaging.store import DynamoStore, MemoryStore, Store, UnitOfWork, UnitResult
from tests.support import make_event, wait_for
from tests.support.queues import (
    Queues,
    depth,
    drain_bodies,
    make_queues,
    make_table,
    scan_items,
    send,
)

pytestmark = pytest.mark.integration

GOOD = 12
BAD = 12  # the event of the message that fails, in every test


@pytest.fixture
def queues(aws: Aws, name_prefix: str) -> Queues:
    return make_queues(aws.sqs(), f"{name_prefix}live", visibility=1, max_receive=2)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test, so that a store hung on purpose lets its thread go."""
    event = threading.Event()
    yield event
    event.set()


def bad_key() -> str:
    return str(make_event(BAD).data.consumer_id)


def run_to_the_end(
    aws: Aws, queues: Queues, handler: Handler, store: Store, **options: Any
) -> Worker:
    """Run until the queue is empty; fail the test if the worker stalls instead."""
    send(aws.sqs(), queues.url, [encode(make_event(n)) for n in range(GOOD + 1)])
    settings = {"until_empty": True, "wait_seconds": 1, "concurrency": 2, **options}
    worker = Worker("orders", aws.sqs(), queues.url, handler, store, WorkerOptions(**settings))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), f"the worker stalled: {worker.stats.snapshot()}"
    assert errors == []
    return worker


def assert_only_the_bad_one_is_dead_lettered(aws: Aws, queues: Queues) -> None:
    assert drain_bodies(aws.sqs(), queues.dlq_url) == [encode(make_event(BAD))]
    assert depth(aws.sqs(), queues.url) == {"visible": 0, "in_flight": 0}


def test_a_handler_that_puts_a_float_fails_only_its_own_message(
    aws: Aws, queues: Queues, name_prefix: str
) -> None:
    client = aws.dynamodb()
    table = make_table(client, f"{name_prefix}float")

    def with_price(event: ConsumerCreated, unit: UnitOfWork) -> None:
        orders.handle(event, unit)
        if event.data.name == f"Consumer {BAD}":
            unit.create(f"price-{event.event_id}", {"price": 9.99})  # float: not for DynamoDB

    worker = run_to_the_end(aws, queues, with_price, DynamoStore(client, table))
    assert worker.stats["handled"] == GOOD
    assert worker.stats["failed"] == 2  # received maxReceiveCount times, failed each time
    assert len(scan_items(client, table)) == GOOD
    assert_only_the_bad_one_is_dead_lettered(aws, queues)


class TypeErrorStore:
    """A store with a bug: any commit holding the bad unit raises TypeError."""

    def __init__(self) -> None:
        self.inner = MemoryStore()

    def commit(self, units: Sequence[UnitOfWork]) -> list[UnitResult]:
        if any(bad_key() in unit.creates for unit in units):
            raise TypeError("unsupported type")
        return self.inner.commit(units)


def test_a_store_that_raises_type_error_fails_only_the_units_concerned(
    aws: Aws, queues: Queues
) -> None:
    store = TypeErrorStore()
    worker = run_to_the_end(aws, queues, orders.handle, store)
    assert len(store.inner.items) == GOOD
    assert worker.stats["handled"] == GOOD
    assert worker.stats["failed"] == 2
    assert_only_the_bad_one_is_dead_lettered(aws, queues)


class HangingStore:
    """A store that never answers a commit holding the bad unit (or any, with `always`)."""

    def __init__(self, release: threading.Event, *, always: bool = False) -> None:
        self.inner = MemoryStore()
        self.release = release
        self.always = always
        self.hung = 0

    def commit(self, units: Sequence[UnitOfWork]) -> list[UnitResult]:
        if self.always or any(bad_key() in unit.creates for unit in units):
            self.hung += 1
            self.release.wait()
            raise TimeoutError("released at the end of the test")
        return self.inner.commit(units)


def test_a_store_that_hangs_takes_no_other_message_hostage(
    aws: Aws, queues: Queues, release: threading.Event
) -> None:
    store = HangingStore(release)
    worker = run_to_the_end(aws, queues, orders.handle, store, processing_timeout=1.0, max_stalls=5)
    assert len(store.inner.items) == GOOD
    # Received twice, hung twice: once with others (who then went alone), once alone.
    assert store.hung == 2
    assert worker.stats["restarts"] == 2
    assert worker.stats["abandoned"] >= 2
    assert_only_the_bad_one_is_dead_lettered(aws, queues)


class Fatal(BaseException):
    """Not an Exception: nothing on the way catches it, so the processor thread dies."""


def test_a_dead_processor_thread_is_replaced_and_counted(aws: Aws, queues: Queues) -> None:
    def deadly(event: ConsumerCreated, unit: UnitOfWork) -> None:
        if event.data.name == f"Consumer {BAD}":
            raise Fatal
        orders.handle(event, unit)

    store = MemoryStore()
    worker = run_to_the_end(aws, queues, deadly, store)
    assert len(store.items) == GOOD
    assert worker.stats["restarts"] == 2  # one per receive of the deadly message
    assert_only_the_bad_one_is_dead_lettered(aws, queues)


def test_a_worker_that_cannot_make_progress_raises_and_hides_nothing(
    aws: Aws, name_prefix: str, release: threading.Event
) -> None:
    queues = make_queues(aws.sqs(), f"{name_prefix}stalled", visibility=1, max_receive=10)
    send(aws.sqs(), queues.url, [encode(make_event(n)) for n in range(3)])
    options = WorkerOptions(wait_seconds=1, concurrency=1, processing_timeout=0.5, max_stalls=1)
    store = HangingStore(release, always=True)
    worker = Worker("orders", aws.sqs(), queues.url, orders.handle, store, options)
    started = time.monotonic()
    with pytest.raises(WorkerStalledError, match="cannot make progress"):
        worker.run()
    assert time.monotonic() - started < 15
    assert worker.stats["restarts"] == 2
    # No live thread holds them: the heartbeat let them go, so they come back.
    wait_for(lambda: depth(aws.sqs(), queues.url)["visible"] == 3, timeout=10)
