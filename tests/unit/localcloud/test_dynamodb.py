"""DynamoDB transactions: all or nothing, per-item reasons, items backed up (not tables)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TransactionCanceledException,
)
from moto.dynamodb.models import dynamodb_backends

from messaging.localcloud.dynamodb import LocalDynamoDBBackend
from tests.unit.localcloud.conftest import ACCOUNT, REGION


@pytest.fixture
def backend() -> LocalDynamoDBBackend:
    ddb = dynamodb_backends[ACCOUNT][REGION]
    assert isinstance(ddb, LocalDynamoDBBackend)
    ddb.create_table(
        "t",
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        throughput=None,
        attr=[{"AttributeName": "pk", "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    return ddb


def put(key: str, *, new_only: bool = True, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": "t", "Item": {"pk": {"S": key}, **extra}}
    if new_only:
        op["ConditionExpression"] = "attribute_not_exists(pk)"
    return {"Put": op}


def keys(backend: LocalDynamoDBBackend) -> set[str]:
    return {item.attrs["pk"].value for item in backend.get_table("t").all_items()}


def test_a_transaction_applies_every_item(backend: LocalDynamoDBBackend) -> None:
    backend.transact_write_items([put("a"), put("b"), put("c")])
    assert keys(backend) == {"a", "b", "c"}


def test_a_failed_condition_cancels_everything_with_reasons_in_item_order(
    backend: LocalDynamoDBBackend,
) -> None:
    backend.transact_write_items([put("b")])
    with pytest.raises(TransactionCanceledException) as cancelled:
        backend.transact_write_items([put("a"), put("b"), put("c")])
    assert "[None, ConditionalCheckFailed, None]" in cancelled.value.message
    assert keys(backend) == {"b"}  # neither a nor c was written


def test_condition_check_update_and_delete(backend: LocalDynamoDBBackend) -> None:
    backend.transact_write_items([put("a", n={"N": "1"}), put("b")])
    backend.transact_write_items(
        [
            {
                "ConditionCheck": {
                    "TableName": "t",
                    "Key": {"pk": {"S": "a"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"pk": {"S": "b"}},
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "2"}},
                }
            },
            {"Delete": {"TableName": "t", "Key": {"pk": {"S": "c"}}}},
        ]
    )
    item = backend.get_item("t", {"pk": {"S": "b"}})
    assert item is not None
    assert item.attrs["n"].value == "2"


def test_two_operations_on_one_item_are_refused(backend: LocalDynamoDBBackend) -> None:
    with pytest.raises(MultipleTransactionsException):
        backend.transact_write_items([put("a"), put("a")])


def test_a_write_error_restores_the_items_already_written(backend: LocalDynamoDBBackend) -> None:
    backend.transact_write_items([put("keep", v={"S": "old"})])
    too_big = {"S": "x" * (400 * 1024 + 1)}  # over DynamoDB's 400 KB item limit
    with pytest.raises(TransactionCanceledException):
        backend.transact_write_items(
            [
                put("keep", new_only=False, v={"S": "new"}),
                put("fresh"),
                put("huge", big=too_big),
            ]
        )
    assert keys(backend) == {"keep"}
    kept = backend.get_item("t", {"pk": {"S": "keep"}})
    assert kept is not None
    assert kept.attrs["v"].value == "old"
