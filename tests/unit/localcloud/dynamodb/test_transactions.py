"""DynamoDB transactions: all or nothing, per-item reasons, items backed up (not tables)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.exceptions import (
    MockValidationException,
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
    with pytest.raises(TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(
            [
                put("keep", new_only=False, v={"S": "new"}),
                put("fresh"),
                put("huge", big=too_big),
            ]
        )
    assert "[None, None, ValidationError]" in cancelled.value.message  # AWS's reason code
    assert keys(dynamodb) == {"keep"}
    kept = dynamodb.get_item("t", {"pk": {"S": "keep"}})
    assert kept is not None
    assert kept.attrs["v"].value == "old"


def test_an_invalid_update_expression_is_a_validation_error_not_a_cancellation(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    # AWS answers ValidationException for the request, even when a condition fails too.
    dynamodb.transact_write_items([put("taken")])
    update = {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": "a"}},
            "UpdateExpression": "SET x = :one SET y = :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    with pytest.raises(MockValidationException, match=r"SET.. section can only be used once"):
        dynamodb.transact_write_items([put("taken"), put("new"), update])
    assert keys(dynamodb) == {"taken"}


def test_a_validation_error_while_writing_restores_and_is_raised_as_such(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    # Known only against the item: adding a number to a string attribute.
    dynamodb.transact_write_items([put("keep", v={"S": "old"}), put("text", n={"S": "x"})])
    add_to_text = {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": "text"}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    with pytest.raises(MockValidationException, match="operand"):
        dynamodb.transact_write_items([put("keep", new_only=False, v={"S": "new"}), add_to_text])
    kept = dynamodb.get_item("t", {"pk": {"S": "keep"}})
    assert kept is not None
    assert kept.attrs["v"].value == "old"
