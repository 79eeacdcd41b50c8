"""The SQS worker against real queues on the local cloud, over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from messaging.consumer.worker import Worker, WorkerOptions
from messaging.core.events import ConsumerCreated, encode
from messaging.core.services import orders
from messaging.ops.aws import Aws
from messaging.store import MemoryStore, UnitOfWork
from tests.support import make_event, wait_for
from tests.support.queues import Queues, make_queues
from tests.support.queues import depth as queue_depth
from tests.support.queues import send as send_bodies

pytestmark = pytest.mark.integration


@pytest.fixture
def queues(aws: Aws, name_prefix: str) -> Queues:
    return make_queues(aws.sqs(), f"{name_prefix}work", visibility=2, max_receive=2)


def send(aws: Aws, url: str, bodies: list[str]) -> None:
    send_bodies(aws.sqs(), url, bodies)


def depth(aws: Aws, url: str) -> dict[str, int]:
    return queue_depth(aws.sqs(), url)


def worker(
    aws: Aws,
    queues: Queues,
    store: MemoryStore,
    handler: Callable[..., None] = orders.handle,
    **options: Any,
) -> Worker:
    return Worker(
        "orders",
        aws.sqs(),
        queues.url,
        handler,
        store,
        WorkerOptions(**{"until_empty": True, "wait_seconds": 1, **options}),
    )


def test_processes_everything_with_few_requests_per_event(aws: Aws, queues: Queues) -> None:
    send(aws, queues.url, [encode(make_event(n)) for n in range(95)])
    store = MemoryStore()
    counted = Aws(aws.settings, placeholder_credentials=aws.placeholder_credentials)
    stats = worker(counted, queues, store, concurrency=4).run()
    assert len(store.items) == 95
    assert (stats["received"], stats["handled"], stats["duplicates"]) == (95, 95, 0)
    assert stats["deleted"] == 95
    assert depth(aws, queues.url) == {"visible": 0, "in_flight": 0}
    # The visibility timeout, 10 receives + 10 deletes for 95 messages, then the empty
    # polls and the depth checks that end the run (counted from botocore's events).
    assert counted.requests.total <= 1 + 20 + 4 * 3 + 3


def test_a_duplicate_delivery_has_no_second_effect(aws: Aws, queues: Queues) -> None:
    body = encode(make_event(1))
    send(aws, queues.url, [body, body])
    store = MemoryStore()
    stats = worker(aws, queues, store).run()
    assert (stats["handled"], stats["duplicates"]) == (1, 1)
    assert len(store.items) == 1
    assert depth(aws, queues.url) == {"visible": 0, "in_flight": 0}


def test_a_failed_handler_leaves_the_message_for_redelivery(aws: Aws, queues: Queues) -> None:
    attempts: dict[str, int] = {}

    def flaky(event: ConsumerCreated, unit: UnitOfWork) -> None:
        key = str(event.event_id)
        attempts[key] = attempts.get(key, 0) + 1
        if event.data.name == "Consumer 3" and attempts[key] == 1:
            raise RuntimeError("transient failure")
        orders.handle(event, unit)

    send(aws, queues.url, [encode(make_event(n)) for n in range(5)])
    store = MemoryStore()
    stats = worker(aws, queues, store, flaky).run()
    assert stats["failed"] == 1
    assert stats["handled"] == 5
    assert len(store.items) == 5
    assert attempts[str(make_event(3).event_id)] == 2  # back after the visibility timeout


def test_poison_messages_reach_the_dlq_while_good_ones_are_processed(
    aws: Aws, queues: Queues
) -> None:
    bad = ["not json", json.dumps({"event_type": "consumer.deleted", "event_version": 1})]
    good = [encode(make_event(n)) for n in range(20)]
    send(aws, queues.url, [*good[:10], *bad, *good[10:]])
    store = MemoryStore()
    stats = worker(aws, queues, store).run()
    assert len(store.items) == 20
    assert stats["undecodable"] == 2 * len(bad)  # received maxReceiveCount times each
    dead = aws.sqs().receive_message(QueueUrl=queues.dlq_url, MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in dead["Messages"]) == sorted(bad)
    assert depth(aws, queues.url) == {"visible": 0, "in_flight": 0}


def test_graceful_stop_finishes_work_in_flight_and_hides_nothing(aws: Aws, queues: Queues) -> None:
    send(aws, queues.url, [encode(make_event(n)) for n in range(30)])
    entered, release = threading.Event(), threading.Event()

    def slow(event: ConsumerCreated, unit: UnitOfWork) -> None:
        entered.set()
        release.wait(10)
        orders.handle(event, unit)

    store = MemoryStore()
    stop = threading.Event()
    running = worker(aws, queues, store, slow, until_empty=False, concurrency=2)
    thread = threading.Thread(target=running.run, args=(stop,))
    thread.start()
    assert entered.wait(10)
    stop.set()  # while a batch is in the handler
    release.set()
    thread.join(30)
    assert not thread.is_alive()
    stats = running.stats
    assert stats["handled"] >= 1  # the work in flight finished...
    assert stats["deleted"] == stats["handled"]  # ...and was acknowledged
    left = depth(aws, queues.url)
    assert left["in_flight"] == 0  # nothing left hidden for the visibility timeout
    assert left["visible"] + len(store.items) == 30


def test_heartbeat_keeps_slow_work_invisible(aws: Aws, queues: Queues) -> None:
    send(aws, queues.url, [encode(make_event(1))])
    started, finish = threading.Event(), threading.Event()

    def slow(event: ConsumerCreated, unit: UnitOfWork) -> None:
        started.set()
        finish.wait(10)
        orders.handle(event, unit)

    store = MemoryStore()
    running = worker(aws, queues, store, slow, concurrency=1)
    thread = threading.Thread(target=running.run)
    thread.start()
    assert started.wait(10)
    # The queue's visibility timeout is 2 s; keep the handler busy past it.
    wait_for(lambda: running.stats["extended"] >= 2, timeout=15)
    assert depth(aws, queues.url) == {"visible": 0, "in_flight": 1}
    finish.set()
    thread.join(30)
    assert (running.stats["handled"], running.stats["duplicates"]) == (1, 0)


def test_max_messages_stops_after_that_many(aws: Aws, queues: Queues) -> None:
    send(aws, queues.url, [encode(make_event(n)) for n in range(25)])
    store = MemoryStore()
    stats = worker(aws, queues, store, until_empty=False, max_messages=12).run()
    assert stats["received"] == 12
    assert len(store.items) == 12
    assert depth(aws, queues.url) == {"visible": 13, "in_flight": 0}


class _Flaky:
    """An SQS client whose first receives fail as if the network dropped."""

    def __init__(self, client: Any, failures: int) -> None:
        self._client = client
        self.failures = failures

    def receive_message(self, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return self._client.receive_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_poller_recovers_from_connection_errors(aws: Aws, queues: Queues) -> None:
    send(aws, queues.url, [encode(make_event(n)) for n in range(3)])
    store = MemoryStore()
    flaky = _Flaky(aws.sqs(), failures=2)
    running = Worker(
        "orders",
        flaky,  # type: ignore[arg-type]  # duck-typed SQS client
        queues.url,
        orders.handle,
        store,
        WorkerOptions(until_empty=True, wait_seconds=1, concurrency=1),
    )
    stats = running.run()
    assert stats["errors"] == 2
    assert len(store.items) == 3
