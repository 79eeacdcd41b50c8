"""The consumer core: `process_batch` decides per message, as data, and never raises."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from messaging.consumer.batch import BatchResult, Disposition, Message, process_batch
from messaging.core.events import ConsumerCreated, encode
from messaging.core.services import SERVICES, orders
from messaging.store import MemoryStore, UnitOfWork, UnitResult
from tests.support import make_event


def message(n: int, body: str | None = None) -> Message:
    return Message(f"id-{n}", f"rh-{n}", encode(make_event(n)) if body is None else body)


def dispositions(result: BatchResult) -> list[Disposition]:
    return [r.disposition for r in result.results]


def test_applied_then_duplicate_and_every_outcome_is_data() -> None:
    store = MemoryStore()
    first = process_batch([message(1), message(2)], orders.handle, store)
    assert dispositions(first) == [Disposition.APPLIED, Disposition.APPLIED]
    again = process_batch([message(1)], orders.handle, store)
    assert dispositions(again) == [Disposition.DUPLICATE]
    assert again.results[0].event == make_event(1)
    assert again.batch_item_failures() == []


def test_a_body_that_is_not_an_event_is_poison_and_fails_alone() -> None:
    bodies = ["not json", json.dumps({"event_type": "consumer.deleted", "event_version": 1})]
    batch = [message(0), message(1, bodies[0]), message(2, bodies[1]), message(3)]
    result = process_batch(batch, orders.handle, MemoryStore())
    assert dispositions(result) == [
        Disposition.APPLIED,
        Disposition.POISON,
        Disposition.POISON,
        Disposition.APPLIED,
    ]
    assert result.results[1].reason is not None
    assert result.results[1].reason.startswith("undecodable: body is not JSON")
    assert result.results[2].reason is not None
    assert "unknown event_type" in result.results[2].reason
    assert result.batch_item_failures() == [{"itemIdentifier": "id-1"}, {"itemIdentifier": "id-2"}]
    assert not result.outage


def test_a_handler_bug_fails_its_own_message_only() -> None:
    def fragile(event: ConsumerCreated, unit: UnitOfWork) -> None:
        if event.data.name == "Consumer 2":
            raise KeyError("boom")
        orders.handle(event, unit)

    store = MemoryStore()
    result = process_batch([message(n) for n in range(4)], fragile, store)
    assert dispositions(result) == [Disposition.APPLIED] * 2 + [Disposition.RETRY] + [
        Disposition.APPLIED
    ]
    failed = result.results[2]
    assert failed.reason == "handler: KeyError: 'boom'"
    assert not failed.dependency_failed
    assert len(store.items) == 3


def test_a_handler_that_puts_a_float_fails_its_own_message_only() -> None:
    def with_price(event: ConsumerCreated, unit: UnitOfWork) -> None:
        item: dict[str, Any] = {"event_id": str(event.event_id)}
        if event.data.name == "Consumer 1":
            item["price"] = 9.99  # DynamoDB takes Decimal only
        unit.create(str(event.data.consumer_id), item)

    store = MemoryStore()
    result = process_batch([message(n) for n in range(3)], with_price, store)
    assert dispositions(result) == [Disposition.APPLIED, Disposition.RETRY, Disposition.APPLIED]
    reason = result.results[1].reason
    assert reason is not None
    assert reason.startswith("commit: cannot be stored: TypeError")
    assert not result.outage


class RaisingStore:
    """Raises `error` for any commit holding a unit that creates one of `bad` keys."""

    def __init__(self, error: Exception, bad: set[str] | None = None) -> None:
        self.inner = MemoryStore()
        self.error = error
        self.bad = bad
        self.calls = 0

    def commit(self, units: Sequence[UnitOfWork]) -> list[UnitResult]:
        self.calls += 1
        if self.bad is None or any(set(u.creates) & self.bad for u in units):
            raise self.error
        return self.inner.commit(units)


def test_a_store_that_raises_for_some_units_fails_only_those() -> None:
    bad = str(make_event(5).data.consumer_id)
    store = RaisingStore(TypeError("unhashable"), {bad})
    result = process_batch([message(n) for n in range(10)], orders.handle, store)
    assert [r.message.message_id for r in result.results if r.disposition is Disposition.RETRY] == [
        "id-5"
    ]
    assert result.results[5].reason == "commit: TypeError: unhashable"
    assert len(store.inner.items) == 9
    assert store.calls <= 2 * 4 + 1  # halves, quarters...: about 2 log2(n) calls


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
            "TransactWriteItems",
        ),
    ],
)
def test_a_store_that_fails_for_everything_is_an_outage_not_poison(error: Exception) -> None:
    store = RaisingStore(error)
    result = process_batch([message(n) for n in range(10)], orders.handle, store)
    assert dispositions(result) == [Disposition.RETRY] * 10
    assert all(r.dependency_failed for r in result.results)
    assert result.outage
    assert store.calls == 1  # an outage is not bisected


def test_one_success_means_no_outage() -> None:
    result = process_batch([message(1), message(2, "junk")], orders.handle, MemoryStore())
    assert not result.outage


def test_an_sqs_message_and_a_lambda_record_map_onto_the_same_message() -> None:
    body = encode(make_event(7))
    attributes = {"event_type": {"DataType": "String", "StringValue": "consumer.created"}}
    from_sqs = Message.from_sqs(
        {
            "MessageId": "m-1",
            "ReceiptHandle": "rh",
            "Body": body,
            "Attributes": {"ApproximateReceiveCount": "3"},
            "MessageAttributes": attributes,
        }
    )
    from_lambda = Message.from_lambda(
        {
            "messageId": "m-1",
            "receiptHandle": "rh",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1"},
            "messageAttributes": attributes,
            "eventSource": "aws:sqs",
        }
    )
    assert from_sqs == from_lambda == Message("m-1", "rh", body, 3, attributes)
    result = process_batch([from_lambda], SERVICES["payments"].handle, MemoryStore())
    assert dispositions(result) == [Disposition.APPLIED]


def test_nothing_to_do_is_an_empty_result() -> None:
    result = process_batch([], orders.handle, MemoryStore())
    assert result.results == ()
    assert not result.outage


def test_the_core_imports_nothing_heavy() -> None:
    # A Lambda function imports the core, the services and the store: nothing else.
    code = (
        "import sys, messaging.consumer.batch, messaging.store, messaging.core.services; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    heavy = {"moto", "duckdb", "pyarrow", "matplotlib", "faker", "rich", "typer", "waitress"}
    assert heavy.isdisjoint(name.lower() for name in loaded)
