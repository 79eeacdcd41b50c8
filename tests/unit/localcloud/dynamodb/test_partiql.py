"""PartiQL INSERT: create-once per statement, per-statement errors, limits, moto otherwise."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException

from messaging.core.partiql import insert_statement
from messaging.localcloud.dynamodb.partiql import DuplicateItemError
from messaging.localcloud.dynamodb.transactions import LocalDynamoDBBackend
from tests.support.moto_state import make_table


def insert(key: str, table: str = "t", **extra: dict[str, Any]) -> dict[str, Any]:
    names = ["pk", *extra]
    return {
        "Statement": insert_statement(table, names),
        "Parameters": [{"S": key}, *extra.values()],
    }


def stored(dynamodb: LocalDynamoDBBackend) -> dict[str, dict[str, Any]]:
    return {
        item.attrs["pk"].value: item.to_json()["Attributes"]
        for item in dynamodb.get_table("t").all_items()
    }


def test_a_batch_creates_each_item_and_an_existing_key_fails_only_its_statement(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    dynamodb.batch_execute_statement([insert("b", n={"N": "1"})])
    answers = dynamodb.batch_execute_statement(
        [insert("a"), insert("b", n={"N": "2"}), insert("c")]
    )
    assert answers[0] == {"TableName": "t"}
    assert answers[1]["Error"] == {
        "Code": "DuplicateItem",
        "Message": "Duplicate primary key exists in table",
    }
    assert answers[2] == {"TableName": "t"}
    assert set(stored(dynamodb)) == {"a", "b", "c"}
    assert stored(dynamodb)["b"]["n"] == {"N": "1"}  # the existing item is untouched


def test_a_missing_table_and_an_invalid_item_fail_their_statements_alone(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    answers = dynamodb.batch_execute_statement(
        [
            insert("a", table="missing"),
            {"Statement": insert_statement("t", ["pk"]), "Parameters": [{"N": "1"}]},
            {"Statement": insert_statement("t", ["pk", "n"]), "Parameters": [{"S": "x"}]},
            {"Statement": insert_statement("t", ["other"]), "Parameters": [{"S": "x"}]},
            insert("ok"),
        ]
    )
    codes = [answer.get("Error", {}).get("Code") for answer in answers]
    assert codes == [
        "ResourceNotFound",
        "ValidationError",
        "ValidationError",
        "ValidationError",
        None,
    ]
    assert "Type mismatch for key pk" in answers[1]["Error"]["Message"]
    assert "Missing the key pk" in answers[3]["Error"]["Message"]
    assert set(stored(dynamodb)) == {"ok"}


def test_an_item_over_the_size_limit_fails_its_statement(dynamodb: LocalDynamoDBBackend) -> None:
    answers = dynamodb.batch_execute_statement([insert("big", blob={"S": "x" * 410_000})])
    assert answers[0]["Error"]["Code"] == "ValidationError"
    assert "maximum allowed size" in answers[0]["Error"]["Message"]
    assert stored(dynamodb) == {}


def test_the_same_item_twice_fails_the_whole_batch_before_any_write(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    with pytest.raises(MockValidationException, match="contains duplicates"):
        dynamodb.batch_execute_statement([insert("a"), insert("b"), insert("a")])
    assert stored(dynamodb) == {}


def test_a_batch_s_duplicates_are_told_by_the_whole_key_of_its_own_table(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    make_table("r", ranged=True)

    def ranged(key: str, sort: dict[str, Any]) -> dict[str, Any]:
        return {
            "Statement": insert_statement("r", ["pk", "sk"]),
            "Parameters": [{"S": key}, sort],
        }

    # the same text in another table, under another sort key or another type: distinct
    distinct = [insert("a"), ranged("a", {"N": "1"}), ranged("a", {"N": "2"})]
    answers = dynamodb.batch_execute_statement([*distinct, ranged("b", {"S": "1"})])
    assert [answer.get("Error", {}).get("Code") for answer in answers] == [
        None,
        None,
        None,
        "ValidationError",  # a string where the table's sort key is a number
    ]
    with pytest.raises(MockValidationException, match="contains duplicates"):
        dynamodb.batch_execute_statement([ranged("c", {"N": "1"}), ranged("c", {"N": "1"})])
    # key values DynamoDB refuses are told apart (and then fail alone) by their whole value
    odd: list[dict[str, Any]] = [
        {"M": {"x": {"S": "1"}}},
        {"L": [{"S": "1"}]},
        {"S": "1", "N": "1"},
    ]
    answers = dynamodb.batch_execute_statement([ranged("d", value) for value in odd])
    assert [answer["Error"]["Code"] for answer in answers] == ["ValidationError"] * 3
    with pytest.raises(MockValidationException, match="contains duplicates"):
        dynamodb.batch_execute_statement([ranged("e", odd[0]), ranged("e", odd[0])])


def test_more_than_25_statements_are_refused(dynamodb: LocalDynamoDBBackend) -> None:
    with pytest.raises(MockValidationException, match="less than or equal to 25"):
        dynamodb.batch_execute_statement([insert(f"k{n}") for n in range(26)])
    assert stored(dynamodb) == {}
    assert len(dynamodb.batch_execute_statement([insert(f"k{n}") for n in range(25)])) == 25


def test_execute_statement_raises_what_aws_raises(dynamodb: LocalDynamoDBBackend) -> None:
    assert dynamodb.execute_statement(insert("a")["Statement"], insert("a")["Parameters"]) == []
    with pytest.raises(DuplicateItemError):
        dynamodb.execute_statement(insert("a")["Statement"], insert("a")["Parameters"])
    with pytest.raises(ResourceNotFoundException):
        dynamodb.execute_statement(insert("a", table="nope")["Statement"], [{"S": "a"}])
    with pytest.raises(MockValidationException, match="Number of parameters"):
        dynamodb.execute_statement(insert("b")["Statement"], [])
    assert set(stored(dynamodb)) == {"a"}


def test_other_statements_go_to_moto(dynamodb: LocalDynamoDBBackend) -> None:
    dynamodb.execute_statement("INSERT INTO \"t\" VALUE {'pk': 'lit'}", [])  # a literal: moto's
    found = dynamodb.execute_statement('SELECT * FROM "t" WHERE pk = ?', [{"S": "lit"}])
    assert found == [{"pk": {"S": "lit"}}]


def test_the_backend_still_pickles(dynamodb: LocalDynamoDBBackend) -> None:
    dynamodb.batch_execute_statement([insert("a")])
    restored = pickle.loads(pickle.dumps(dynamodb))  # noqa: S301 - our own bytes
    assert restored.batch_execute_statement([insert("a")])[0]["Error"]["Code"] == "DuplicateItem"
