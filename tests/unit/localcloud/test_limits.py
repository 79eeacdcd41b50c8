"""AWS's limits: body caps, batch entry counts and SNS payload sizes."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from messaging.localcloud import limits
from messaging.localcloud.aws_errors import RefusalError
from messaging.localcloud.route import route_of
from messaging.localcloud.wire import check_json, check_query
from tests.support import wsgi

KIB = 1024


def json_route(service: str, target: str, document: Any) -> Any:
    route = route_of(
        wsgi.environ(service=service, target=target, body=json.dumps(document).encode())
    )
    route.document = document
    return route


def query_route(service: str, params: list[tuple[str, str]]) -> Any:
    route = route_of(wsgi.environ(service=service, body=urlencode(params).encode()))
    check_query(route)
    return route


def test_body_caps_leave_room_for_the_worst_encoding_of_a_valid_payload() -> None:
    assert limits.body_cap("sns") >= 3 * 256 * KIB  # URL encoding triples a byte
    assert limits.body_cap("sqs") >= 3 * 1024 * KIB
    assert limits.body_cap("firehose") >= 4 * 1024 * KIB * 4 // 3  # base64
    assert limits.body_cap("dynamodb") == 16 * 1024 * KIB
    assert limits.body_cap("s3") == limits.body_cap(None) == limits.DEFAULT_BODY_CAP


def publish_batch(entries: int, message: str = "m") -> list[tuple[str, str]]:
    params = [("Action", "PublishBatch"), ("TopicArn", "arn:aws:sns:us-east-1:1:t")]
    for n in range(1, entries + 1):
        params += [
            (f"PublishBatchRequestEntries.member.{n}.Id", str(n)),
            (f"PublishBatchRequestEntries.member.{n}.Message", message),
        ]
    return params


def test_sns_publish_batch_takes_ten_entries() -> None:
    limits.check_entries(query_route("sns", publish_batch(10)))
    with pytest.raises(RefusalError, match="TooManyEntriesInBatchRequest"):
        limits.check_entries(query_route("sns", publish_batch(11)))


@pytest.mark.parametrize(
    "operation", ["SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"]
)
def test_sqs_batches_take_ten_entries_in_json_and_in_query(operation: str) -> None:
    entries = [{"Id": str(n), "ReceiptHandle": "h", "MessageBody": "b"} for n in range(11)]
    route = json_route("sqs", f"AmazonSQS.{operation}", {"QueueUrl": "q", "Entries": entries})
    with pytest.raises(RefusalError) as caught:
        limits.check_entries(route)
    assert caught.value.code == "com.amazonaws.sqs#TooManyEntriesInBatchRequest"
    assert caught.value.query_code == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    assert "You have sent 11" in caught.value.message
    query = [("Action", operation), ("QueueUrl", "q")] + [
        (f"{operation}RequestEntry.{n}.Id", str(n)) for n in range(1, 12)
    ]
    with pytest.raises(RefusalError, match="TooManyEntriesInBatchRequest"):
        limits.check_entries(query_route("sqs", query))
    limits.check_entries(
        json_route("sqs", f"AmazonSQS.{operation}", {"QueueUrl": "q", "Entries": entries[:10]})
    )


def put(n: int) -> dict[str, Any]:
    return {"PutRequest": {"Item": {"k": {"S": str(n)}}}}


def test_dynamodb_batch_write_takes_25_items_across_all_tables() -> None:
    ok = {"RequestItems": {"a": [put(n) for n in range(13)], "b": [put(n) for n in range(12)]}}
    limits.check_entries(json_route("dynamodb", "DynamoDB_20120810.BatchWriteItem", ok))
    over = {"RequestItems": {"a": [put(n) for n in range(13)], "b": [put(n) for n in range(13)]}}
    with pytest.raises(RefusalError, match="Too many items requested for the BatchWriteItem call"):
        limits.check_entries(json_route("dynamodb", "DynamoDB_20120810.BatchWriteItem", over))


def test_dynamodb_batch_get_takes_100_keys_across_all_tables() -> None:
    keys = [{"k": {"S": str(n)}} for n in range(51)]
    over = {"RequestItems": {"a": {"Keys": keys}, "b": {"Keys": keys}}}
    with pytest.raises(RefusalError, match="BatchGetItem"):
        limits.check_entries(json_route("dynamodb", "DynamoDB_20120810.BatchGetItem", over))


@pytest.mark.parametrize("item", [{}, {"Put": None}, {"Put": {}, "Delete": {}}])
def test_each_transaction_item_holds_exactly_one_action(item: dict[str, Any]) -> None:
    route = json_route(
        "dynamodb", "DynamoDB_20120810.TransactWriteItems", {"TransactItems": [item]}
    )
    with pytest.raises(RefusalError, match="can only contain one of"):
        limits.check_entries(route)


def test_firehose_batches_hold_at_most_4_mib_of_data() -> None:
    record = {"Data": base64.b64encode(b"x" * (1000 * KIB)).decode()}
    limits.check_entries(
        json_route(
            "firehose",
            "Firehose_20150804.PutRecordBatch",
            {"DeliveryStreamName": "s", "Records": [record] * 4},
        )
    )
    with pytest.raises(RefusalError, match="InvalidArgumentException"):
        limits.check_entries(
            json_route(
                "firehose",
                "Firehose_20150804.PutRecordBatch",
                {"DeliveryStreamName": "s", "Records": [record] * 5},
            )
        )


def publish(message: str, attributes: dict[str, str] | None = None) -> list[tuple[str, str]]:
    params = [
        ("Action", "Publish"),
        ("TopicArn", "arn:aws:sns:us-east-1:1:t"),
        ("Message", message),
    ]
    for n, (name, value) in enumerate((attributes or {}).items(), start=1):
        params += [
            (f"MessageAttributes.entry.{n}.Name", name),
            (f"MessageAttributes.entry.{n}.Value.DataType", "String"),
            (f"MessageAttributes.entry.{n}.Value.StringValue", value),
        ]
    return params


def test_sns_sizes_a_message_in_utf8_bytes_with_its_attributes() -> None:
    limits.check_sns_payload(query_route("sns", publish("x" * 256 * KIB)))
    # 100,000 characters are 300,000 bytes: moto counted characters and took it.
    with pytest.raises(RefusalError, match="Message too long"):
        limits.check_sns_payload(query_route("sns", publish("\u20ac" * 100_000)))
    with pytest.raises(RefusalError, match="Message too long"):
        limits.check_sns_payload(query_route("sns", publish("x" * 256 * KIB, {"k": "v"})))


def test_an_sns_batch_is_sized_as_a_whole() -> None:
    limits.check_sns_payload(query_route("sns", publish_batch(10, "x" * 25 * KIB)))
    with pytest.raises(RefusalError, match="BatchRequestTooLong"):
        limits.check_sns_payload(query_route("sns", publish_batch(10, "x" * 26 * KIB)))


def test_json_checks_and_entry_checks_compose() -> None:
    document = {"QueueUrl": "q", "Entries": [{"Id": "1", "ReceiptHandle": "h"}] * 12}
    route = route_of(
        wsgi.environ(
            service="sqs", target="AmazonSQS.DeleteMessageBatch", body=json.dumps(document).encode()
        )
    )
    check_json(route)
    with pytest.raises(RefusalError):
        limits.check_entries(route)
