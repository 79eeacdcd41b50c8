"""Billing units from botocore's events, on hand-computed examples."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from messaging.core.metering import (
    Usage,
    UsageMeter,
    billed_chunks,
    firehose_billed_bytes,
    item_size,
    statement_write_units,
    write_units,
)
from messaging.core.partiql import insert_statement


def test_a_6_kib_record_bills_10_kib_in_firehose() -> None:
    assert firehose_billed_bytes(6 * 1024) == 10 * 1024
    assert firehose_billed_bytes(1) == 5 * 1024
    assert firehose_billed_bytes(5 * 1024) == 5 * 1024


def test_a_request_bills_one_per_started_64_kib() -> None:
    assert billed_chunks(0) == 1  # an empty receive still bills one request
    assert billed_chunks(64 * 1024) == 1
    assert billed_chunks(64 * 1024 + 1) == 2


def test_a_batch_of_10_sqs_messages_under_64_kib_in_all_is_one_request() -> None:
    meter = UsageMeter()
    entries = [{"Id": str(n), "MessageBody": "x" * 6000} for n in range(10)]  # 60,000 bytes
    meter.on_params("provide-client-params.sqs.SendMessageBatch", params={"Entries": entries})
    meter.on_before_send("before-send.sqs.SendMessageBatch", SimpleNamespace(body=b"..."))
    usage = meter.snapshot()["sqs:SendMessageBatch"]
    assert (usage.requests, usage.billed_requests, usage.records) == (1, 1, 10)
    # Ten messages of 7,000 bytes are 70,000 bytes: two chunks, two billed requests.
    bigger = [{"Id": str(n), "MessageBody": "x" * 7000} for n in range(10)]
    meter.on_params("provide-client-params.sqs.SendMessageBatch", params={"Entries": bigger})
    assert meter.snapshot()["sqs:SendMessageBatch"].billed_requests == 1 + 2


def test_a_receive_bills_by_what_it_returns_and_an_empty_one_still_bills() -> None:
    meter = UsageMeter()
    meter.on_after_call("after-call.sqs.ReceiveMessage", parsed={})
    messages = [{"Body": "y" * 40_000}, {"Body": "y" * 40_000}]
    meter.on_after_call("after-call.sqs.ReceiveMessage", parsed={"Messages": messages})
    usage = meter.snapshot()["sqs:ReceiveMessage"]
    assert (usage.billed_requests, usage.empty_receives, usage.records) == (1 + 2, 1, 2)


def test_a_transaction_of_3_puts_consumes_6_write_units() -> None:
    meter = UsageMeter()
    item = {"consumer_id": {"S": "c1"}, "name": {"S": "Ada"}}
    puts = [{"Put": {"TableName": "t", "Item": item}} for _ in range(3)]
    meter.on_params(
        "provide-client-params.dynamodb.TransactWriteItems", params={"TransactItems": puts}
    )
    assert meter.snapshot()["dynamodb:TransactWriteItems"].write_units == 6


def test_a_put_bills_one_unit_per_started_kib_even_when_its_condition_fails() -> None:
    meter = UsageMeter()
    small = {"k": {"S": "a"}}
    large = {"k": {"S": "a"}, "blob": {"S": "z" * 1500}}  # 1 + 1 + 4 + 1500 = 1506 bytes
    assert (write_units(small), write_units(large)) == (1, 2)
    for item in (small, large):
        meter.on_params("provide-client-params.dynamodb.PutItem", params={"Item": item})
    # The second call's condition failed: the error changes nothing of what was billed.
    meter.on_after_call("after-call.dynamodb.PutItem", parsed={"Error": {"Code": "x"}})
    assert meter.snapshot()["dynamodb:PutItem"].write_units == 3


def test_a_batch_of_partiql_inserts_bills_each_statement_as_a_put() -> None:
    meter = UsageMeter()
    # 'k' + 'a' = 2 bytes: 1 unit. 'k' + 'b' + 'blob' + 2,100 bytes = 2,106 bytes: 3 units.
    # The third statement repeats 'a' (it will fail with DuplicateItem): it still bills 1.
    statements = [
        {"Statement": insert_statement("t", ["k"]), "Parameters": [{"S": "a"}]},
        {
            "Statement": insert_statement("t", ["k", "blob"]),
            "Parameters": [{"S": "b"}, {"S": "z" * 2100}],
        },
        {"Statement": insert_statement("t", ["k"]), "Parameters": [{"S": "a"}]},
    ]
    meter.on_params(
        "provide-client-params.dynamodb.BatchExecuteStatement", params={"Statements": statements}
    )
    answer = {"Responses": [{}, {}, {"Error": {"Code": "DuplicateItem"}}]}
    meter.on_after_call("after-call.dynamodb.BatchExecuteStatement", parsed=answer)
    usage = meter.snapshot()["dynamodb:BatchExecuteStatement"]
    assert (usage.write_units, usage.records) == (1 + 3 + 1, 3)


def test_partiql_statements_other_than_the_insert_form() -> None:
    one = {"Statement": insert_statement("t", ["k"]), "Parameters": [{"S": "a"}]}
    assert statement_write_units(one, transaction=True) == 2  # ExecuteTransaction: twice
    assert statement_write_units({**one, "Parameters": []}) == 0  # refused: no write
    assert statement_write_units({"Statement": "UPDATE t SET n = 1 WHERE k = 'a'"}) == 1
    assert statement_write_units({"Statement": "select * from t where k = 'a'"}) == 0
    meter = UsageMeter()
    meter.on_params("provide-client-params.dynamodb.ExecuteStatement", params=one)
    assert meter.snapshot()["dynamodb:ExecuteStatement"].write_units == 1


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "héllo"}, 6),  # UTF-8 bytes
        ({"N": "12345"}, 4),  # ceil(5 digits / 2) + 1
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"M": {"ab": {"S": "c"}}}, 3 + 2 + 1 + 1),
        ({"L": [{"S": "a"}, {"S": "bc"}]}, 3 + 2 + 3),
    ],
)
def test_item_size_follows_dynamodbs_rules(value: dict[str, object], size: int) -> None:
    assert item_size({"a": value}) == 1 + size  # the attribute's name counts too


def test_names_count_in_utf8_bytes_and_malformed_values_count_nothing() -> None:
    assert item_size({"né": {"S": "x"}, "日": {"S": "日本"}}) == (3 + 1) + (3 + 6)
    malformed: dict[str, Any] = {"a": {"S": "x", "N": "1"}, "b": "not a value"}
    assert item_size(malformed) == 2  # the names only


def test_published_messages_are_firehose_records_rounded_up_to_5_kib() -> None:
    meter = UsageMeter()
    entries = [{"Id": "1", "Message": "m" * 6 * 1024}, {"Id": "2", "Message": "m" * 100}]
    meter.on_params(
        "provide-client-params.sns.PublishBatch", params={"PublishBatchRequestEntries": entries}
    )
    usage = meter.snapshot()["sns:PublishBatch"]
    assert usage.firehose_bytes == 10 * 1024 + 5 * 1024
    assert (usage.records, usage.billed_requests) == (2, 1)


def test_usage_travels_in_a_log_line_and_back() -> None:
    usage = Usage(requests=2, write_units=3.0)
    assert Usage.from_dict(json.loads(json.dumps(usage.as_dict()))) == usage
    assert usage.as_dict() == {"requests": 2, "write_units": 3.0}  # zeros are left out


def test_a_real_client_is_metered_from_its_events() -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    meter = UsageMeter()
    meter.register(client.meta.events)
    with Stubber(client) as stub:
        stub.add_response("put_item", {})
        client.put_item(TableName="t", Item={"k": {"S": "a"}})
    usage = meter.snapshot()["dynamodb:PutItem"]
    assert usage.write_units == 1


def test_parameters_the_meter_cannot_read_never_fail_the_call_and_are_counted() -> None:
    meter = UsageMeter()
    meter.on_params("provide-client-params.dynamodb.PutItem", params={"Item": {"k": {}}})
    meter.on_params(
        "provide-client-params.dynamodb.BatchWriteItem", params={"RequestItems": {"t": [5]}}
    )
    meter.on_after_call("after-call.sqs.ReceiveMessage", parsed={"Messages": [None]})
    assert meter.unmetered == 2  # the empty AttributeValue is sized 0, the others counted
    assert meter.snapshot()["dynamodb:PutItem"].write_units == 1
