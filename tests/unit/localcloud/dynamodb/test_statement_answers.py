"""BatchExecuteStatement's plain answers written directly: moto's answer, whole.

Each request goes through moto's DynamoDB app (parse, dispatch, the CRC32 header), once
with the answer written here and once with moto's serialiser, on the same state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.test import Client

from messaging.core.partiql import insert_statement
from messaging.localcloud.dynamodb import statement_answers
from messaging.localcloud.dynamodb.statement_answers import plain_answer
from messaging.localcloud.dynamodb.transactions import LocalDynamoDBBackend

# Headers that differ between any two answers: the request's id.
PER_REQUEST = {"x-amzn-requestid", "x-amz-request-id", "x-amz-id-2"}


@pytest.fixture
def client(dynamodb: LocalDynamoDBBackend) -> Iterator[Client]:
    yield Client(create_backend_app("dynamodb"))
    statement_answers.install()


def send(client: Client, statements: list[dict[str, Any]]) -> tuple[int, dict[str, str], bytes]:
    response = client.post(
        "/",
        data=json.dumps({"Statements": statements}),
        headers={
            "X-Amz-Target": "DynamoDB_20120810.BatchExecuteStatement",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in PER_REQUEST}
    return response.status_code, headers, response.get_data()


def insert(key: str, table: str = "t") -> dict[str, Any]:
    return {
        "Statement": insert_statement(table, ["pk", "n"]),
        "Parameters": [{"S": key}, {"N": "1"}],
    }


def both(client: Client, ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> Any:
    """Our answer to `ours` and moto's to `theirs` (statements alike, on keys of their own)."""
    statement_answers.install()
    mine = send(client, ours)
    statement_answers.uninstall()
    moto = send(client, theirs)
    return mine, moto


def test_created_duplicate_and_missing_table_answers_are_motos(client: Client) -> None:
    send(client, [insert("dup-1"), insert("dup-2")])
    mine, moto = both(
        client,
        [insert("a-1"), insert("dup-1"), insert("x", table="missing"), insert("b-1")],
        [insert("a-2"), insert("dup-2"), insert("x", table="missing"), insert("b-2")],
    )
    assert mine == moto
    answers = json.loads(mine[2])["Responses"]
    assert [a.get("Error", {}).get("Code") for a in answers] == [
        None,
        "DuplicateItem",
        "ResourceNotFound",
        None,
    ]


def test_a_batch_of_twenty_five_is_motos_text(client: Client) -> None:
    mine, moto = both(
        client, [insert(f"a{n}") for n in range(25)], [insert(f"b{n}") for n in range(25)]
    )
    assert mine == moto
    assert mine[1]["content-type"] == statement_answers.CONTENT_TYPE


def test_answers_of_motos_own_engine_are_its_own(client: Client) -> None:
    send(client, [insert("k")])
    select = [{"Statement": "SELECT * FROM t WHERE pk = 'k'"}]  # an item: moto's serialiser
    mine, moto = both(client, select, select)
    assert mine == moto
    assert json.loads(mine[2])["Responses"][0]["Item"]["pk"] == {"S": "k"}
    no_key = [{"Statement": "SELECT * FROM t WHERE pk='k'"}]  # an error moto's engine gives
    mine, moto = both(client, no_key, no_key)
    assert mine == moto
    assert json.loads(mine[2])["Responses"][0]["Error"]["Code"] == "ValidationError"


@pytest.mark.parametrize(
    "responses",
    [
        [{"TableName": "t", "Item": {"pk": {"S": "k"}}}],
        [{"TableName": "t", "Error": {"Code": "X", "Message": "m", "Item": {}}}],
        [{"TableName": "t", "Error": {"Code": "X"}}],
        [{"TableName": 1}],
        [{"Error": {"Code": "X", "Message": "m"}}],
        ["t"],
    ],
)
def test_anything_but_a_plain_answer_is_left_to_moto(responses: list[Any]) -> None:
    assert plain_answer(responses) is None


def test_a_plain_answer_is_in_the_shapes_member_order() -> None:
    text = plain_answer([{"TableName": "t", "Error": {"Message": "m", "Code": "C"}}])
    assert text == '{"Responses": [{"Error": {"Code": "C", "Message": "m"}, "TableName": "t"}]}'
