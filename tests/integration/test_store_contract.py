"""The store contract, once, over both backends: memory, and DynamoDB on the local cloud.

Whatever the backend, a unit applies whole or is a duplicate, a duplicate changes
nothing, a key created twice in one commit applies once, every item records its key and
when it was stored, more than 100 items in one commit (one transaction's limit) are
all committed, and a unit the backend cannot hold fails alone. The DynamoDB backend is
also held to what it is billed (requests and write units, metered from botocore's events
like every other count): units of one item are PartiQL INSERTs, 25 to a
BatchExecuteStatement (issue #21; one conditional put each since issue #20).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from messaging.core.partiql import insert_statement
from messaging.ops.aws import Aws
from messaging.store import (
    CommitFailure,
    DynamoStore,
    IdempotentStore,
    MemoryStore,
    Outcome,
    UnitOfWork,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import BatchStatementRequestTypeDef

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass
class Backend:
    store: IdempotentStore[Any]
    read: Callable[[str], dict[str, Any] | None]  # key -> the stored item
    count: Callable[[], int]


def memory() -> Backend:
    store = MemoryStore(clock=lambda: AT)
    return Backend(store, store.items.get, lambda: len(store.items))


def dynamodb(aws: Aws, table: str) -> Backend:
    client = aws.dynamodb()
    client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "consumer_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "consumer_id", "KeyType": "HASH"}],
    )
    deserializer = TypeDeserializer()

    def read(key: str) -> dict[str, Any] | None:
        item = client.get_item(TableName=table, Key={"consumer_id": {"S": key}}).get("Item")
        return None if item is None else {k: deserializer.deserialize(v) for k, v in item.items()}

    def count() -> int:
        return sum(
            page["Count"]
            for page in client.get_paginator("scan").paginate(TableName=table, Select="COUNT")
        )

    return Backend(DynamoStore(client, table, clock=lambda: AT), read, count)


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest, aws: Aws, name_prefix: str) -> Backend:
    return memory() if request.param == "memory" else dynamodb(aws, f"{name_prefix}contract")


def unit(*keys: str, **extra: Any) -> UnitOfWork:
    work = UnitOfWork()
    for key in keys:
        work.create(key, {"value": key, "nested": {"n": 1}, **extra})
    return work


def test_units_apply_whole_or_are_duplicates(backend: Backend) -> None:
    store = backend.store
    assert store.commit([unit("a"), unit("b", "c")]) == [Outcome.APPLIED, Outcome.APPLIED]
    assert store.commit([unit("c", "d"), unit("e")]) == [Outcome.DUPLICATE, Outcome.APPLIED]
    assert backend.read("d") is None  # "c" existed: "d" was not half-applied
    assert backend.count() == 4


def test_a_duplicate_changes_nothing(backend: Backend) -> None:
    store = backend.store
    store.commit([unit("a")])
    first = backend.read("a")
    store.clock = lambda: datetime(2030, 1, 1, tzinfo=UTC)
    assert store.commit([unit("a", value_changed=True)]) == [Outcome.DUPLICATE]
    assert backend.read("a") == first


def test_a_key_twice_in_one_commit_applies_once(backend: Backend) -> None:
    assert backend.store.commit([unit("a"), unit("a")]) == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert backend.count() == 1


def test_items_record_their_key_and_when_they_were_stored(backend: Backend) -> None:
    backend.store.commit([unit("a")])
    assert backend.read("a") == {
        "value": "a",
        "nested": {"n": 1},
        "consumer_id": "a",
        "stored_at": AT.isoformat(),
    }


def test_more_than_100_items_in_one_commit_are_all_committed(backend: Backend) -> None:
    outcomes = backend.store.commit([unit(f"n{n}") for n in range(250)])
    assert outcomes == [Outcome.APPLIED] * 250
    assert backend.count() == 250


def test_a_unit_the_backend_cannot_hold_fails_alone(backend: Backend) -> None:
    floaty = unit("f", price=9.99)  # DynamoDB takes Decimal, never float
    results = backend.store.commit([unit("a"), floaty, unit("b")])
    assert results[0] == results[2] == Outcome.APPLIED
    failure = results[1]
    assert isinstance(failure, CommitFailure)
    assert not failure.dependency
    assert "Float" in failure.reason
    assert backend.read("f") is None
    assert backend.count() == 2


def test_dynamodb_inserts_one_item_units_in_batches_of_25_at_one_write_unit_each(
    aws: Aws, name_prefix: str
) -> None:
    # The commit strategy is chosen by the bill and the requests (bench/RESULTS.md "What
    # it costs"): a PartiQL INSERT bills 1 write unit per KiB like a conditional PutItem
    # (a transaction's put 2), and BatchExecuteStatement sends 25 in one request.
    counted = Aws(aws.settings, placeholder_credentials=aws.placeholder_credentials)
    backend = dynamodb(counted, f"{name_prefix}requests")

    def metered(operation: str) -> tuple[int, float]:
        usage = counted.usage.snapshot().get(f"dynamodb:{operation}")
        return (usage.requests, usage.write_units) if usage else (0, 0.0)

    assert backend.store.commit([unit(f"k{n}") for n in range(40)]) == [Outcome.APPLIED] * 40
    assert metered("BatchExecuteStatement") == (2, 40.0)  # 25 + 15 statements
    assert metered("PutItem") == (0, 0.0)
    assert metered("TransactWriteItems") == (0, 0.0)
    mixed = [unit("k3"), unit("new-1"), unit("k7"), unit("new-2")]
    expected = [Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED]
    assert backend.store.commit(mixed) == expected
    assert metered("BatchExecuteStatement") == (3, 44.0)  # a DuplicateItem still bills
    assert backend.read("k3") is not None
    # A unit of several items stays atomic: one transaction, 2 units per item.
    assert backend.store.commit([unit("m1", "m2", "m3")]) == [Outcome.APPLIED]
    assert metered("TransactWriteItems") == (1, 6.0)


def test_partiql_inserts_answer_on_the_wire_as_aws_does(aws: Aws, name_prefix: str) -> None:
    # What the store relies on, through the local cloud's HTTP layers and botocore's
    # parsing: per-statement errors in a 200, whole-request refusals as exceptions.
    table = f"{name_prefix}partiql"
    client = aws.dynamodb()
    dynamodb(aws, table)

    def insert(key: str) -> BatchStatementRequestTypeDef:
        return {"Statement": insert_statement(table, ["consumer_id"]), "Parameters": [{"S": key}]}

    client.execute_statement(**insert("a"))
    with pytest.raises(ClientError) as duplicate:
        client.execute_statement(**insert("a"))
    assert duplicate.value.response["Error"]["Code"] == "DuplicateItemException"
    answers = client.batch_execute_statement(Statements=[insert("a"), insert("b")])["Responses"]
    assert answers[0]["Error"]["Code"] == "DuplicateItem"
    assert "Error" not in answers[1]
    with pytest.raises(ClientError) as twice:
        client.batch_execute_statement(Statements=[insert("c"), insert("c")])
    assert twice.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as too_many:
        client.batch_execute_statement(Statements=[insert(f"n{n}") for n in range(26)])
    assert too_many.value.response["Error"]["Code"] == "ValidationException"
    assert client.scan(TableName=table, Select="COUNT")["Count"] == 2  # a and b, nothing else
