"""DynamoStore against DynamoDB on the local cloud: conditional transactions."""

from __future__ import annotations

import pytest

from messaging.ops.aws import Aws
from messaging.store import DynamoStore, Outcome, UnitOfWork

pytestmark = pytest.mark.integration


@pytest.fixture
def store(aws: Aws, name_prefix: str) -> DynamoStore:
    table = f"{name_prefix}store"
    client = aws.dynamodb()
    client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "consumer_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "consumer_id", "KeyType": "HASH"}],
    )
    return DynamoStore(client, table, sleep=lambda _: None)


def unit(key: str) -> UnitOfWork:
    work = UnitOfWork()
    work.create(key, {"value": key, "nested": {"n": 1}, "count": 0})
    return work


def test_one_transaction_per_commit_and_duplicates_change_nothing(store: DynamoStore) -> None:
    keys = [f"k{n}" for n in range(40)]
    assert store.commit([unit(k) for k in keys]) == [Outcome.APPLIED] * 40
    assert store.requests == 1
    first = store.client.get_item(TableName=store.table, Key={"consumer_id": {"S": "k3"}})["Item"]

    mixed = [unit("k3"), unit("new-1"), unit("k7"), unit("new-2")]
    assert store.commit(mixed) == [
        Outcome.DUPLICATE,
        Outcome.APPLIED,
        Outcome.DUPLICATE,
        Outcome.APPLIED,
    ]
    assert store.requests == 3  # cancelled once (naming the duplicates), then committed
    again = store.client.get_item(TableName=store.table, Key={"consumer_id": {"S": "k3"}})["Item"]
    assert again == first  # stored_at unchanged: the duplicate wrote nothing
    assert store.count() == 42


def test_more_than_100_items_take_several_transactions(store: DynamoStore) -> None:
    outcomes = store.commit([unit(f"n{n}") for n in range(250)])
    assert outcomes == [Outcome.APPLIED] * 250
    assert store.requests == 3
    assert store.count() == 250


def test_all_duplicates_cost_one_request(store: DynamoStore) -> None:
    store.commit([unit(f"d{n}") for n in range(10)])
    assert store.commit([unit(f"d{n}") for n in range(10)]) == [Outcome.DUPLICATE] * 10
    assert store.requests == 2
