"""DynamoDB transactions: all or nothing, per-item reasons, items backed up (not tables)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TransactionCanceledException,
)

from messaging.localcloud.dynamodb.transactions import LocalDynamoDBBackend


def put(key: str, *, new_only: bool = True, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": "t", "Item": {"pk": {"S": key}, **extra}}
    if new_only:
        op["ConditionExpression"] = "attribute_not_exists(pk)"
    return {"Put": op}


def keys(dynamodb: LocalDynamoDBBackend) -> set[str]:
    return {item.attrs["pk"].value for item in dynamodb.get_table("t").all_items()}


def test_a_transaction_applies_every_item(dynamodb: LocalDynamoDBBackend) -> None:
    dynamodb.transact_write_items([put("a"), put("b"), put("c")])
    assert keys(dynamodb) == {"a", "b", "c"}


def test_a_failed_condition_cancels_everything_with_reasons_in_item_order(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    dynamodb.transact_write_items([put("b")])
    with pytest.raises(TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items([put("a"), put("b"), put("c")])
    assert "[None, ConditionalCheckFailed, None]" in cancelled.value.message
    assert keys(dynamodb) == {"b"}  # neither a nor c was written


def test_condition_check_update_and_delete(dynamodb: LocalDynamoDBBackend) -> None:
    dynamodb.transact_write_items([put("a", n={"N": "1"}), put("b")])
    dynamodb.transact_write_items(
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
    item = dynamodb.get_item("t", {"pk": {"S": "b"}})
    assert item is not None
    assert item.attrs["n"].value == "2"


def test_two_operations_on_one_item_are_refused(dynamodb: LocalDynamoDBBackend) -> None:
    with pytest.raises(MultipleTransactionsException):
        dynamodb.transact_write_items([put("a"), put("a")])


def test_a_write_error_restores_the_items_already_written(dynamodb: LocalDynamoDBBackend) -> None:
    dynamodb.transact_write_items([put("keep", v={"S": "old"})])
    too_big = {"S": "x" * (400 * 1024 + 1)}  # over DynamoDB's 400 KB item limit
    with pytest.raises(TransactionCanceledException):
        dynamodb.transact_write_items(
            [
                put("keep", new_only=False, v={"S": "new"}),
                put("fresh"),
                put("huge", big=too_big),
            ]
        )
    assert keys(dynamodb) == {"keep"}
    kept = dynamodb.get_item("t", {"pk": {"S": "keep"}})
    assert kept is not None
    assert kept.attrs["v"].value == "old"
