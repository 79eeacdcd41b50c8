"""The mapping's records and the event built from them (poller.py)."""

from __future__ import annotations

import json

from moto.sqs.models import Message

from messaging.localcloud.awslambda.poller import _Record, invocation_event, sqs_record
from messaging.localcloud.sqs.message import StoredMessage

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
ATTRIBUTES = {
    "event_type": {"DataType": "String", "StringValue": "consumer.created"},
    "event_version": {"DataType": "Number", "StringValue": "1"},
}


def sent(kind: type[Message], body: str) -> Message:
    message = kind("m-" + body, body)
    message.message_attributes = ATTRIBUTES
    message.receipt_handle = "handle-" + body
    message.mark_sent()
    message.approximate_receive_count = 1
    return message


def test_a_stored_messages_record_is_the_record_of_motos_message() -> None:
    ours = sqs_record(sent(StoredMessage, '{"a": 1}'), QUEUE_ARN, "us-east-1")
    theirs = sqs_record(sent(Message, '{"a": 1}'), QUEUE_ARN, "us-east-1")
    ours["attributes"]["SentTimestamp"] = theirs["attributes"]["SentTimestamp"]
    assert ours == theirs
    assert ours["md5OfMessageAttributes"] == sent(Message, "x").attribute_md5


def test_the_event_holds_the_records_in_order_as_their_own_json() -> None:
    records = [
        sqs_record(sent(StoredMessage, f"body {n}"), QUEUE_ARN, "us-east-1") for n in range(3)
    ]
    event = invocation_event([_Record(record, json.dumps(record)) for record in records])
    assert json.loads(event.text) == {"Records": records}
    assert json.loads(invocation_event([]).text) == {"Records": []}
