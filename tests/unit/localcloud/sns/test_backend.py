"""SNS -> Firehose delivery, raw and not raw, at the backend."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from messaging.localcloud.firehose.backend import LocalFirehoseBackend
from tests.support import FakeClock
from tests.support.moto_state import ACCOUNT, REGION, make_stream, objects

STREAM_ARN = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/lake-stream"


def sns() -> Any:
    return sns_backends[ACCOUNT][REGION]


def firehose_topic(**attributes: str) -> tuple[str, str, LocalFirehoseBackend]:
    backend = make_stream(interval=900)
    topic = sns().create_topic("created-consumer")
    subscription = sns().subscribe(topic.arn, STREAM_ARN, "firehose")
    for name, value in attributes.items():
        sns().set_subscription_attributes(subscription.arn, name, value)
    return topic.arn, subscription.arn, backend


def delivered(backend: LocalFirehoseBackend) -> list[bytes]:
    backend.flush_all()
    return [line for body in objects().values() for line in body.splitlines(keepends=True)]


def test_raw_delivery_sends_the_body_plus_newline(clock: FakeClock) -> None:
    topic, _, backend = firehose_topic(RawMessageDelivery="true")
    sns().publish('{"a":1}', topic)
    sns().publish('{"a":2}', topic, message_attributes={"k": {"Type": "String", "Value": "v"}})
    assert delivered(backend) == [b'{"a":1}\n', b'{"a":2}\n']


def test_raw_false_string_is_not_raw(clock: FakeClock) -> None:
    # moto alone treats the string "false" as truthy, i.e. raw.
    topic, _, backend = firehose_topic(RawMessageDelivery="false")
    sns().publish("hello", topic)
    [line] = delivered(backend)
    assert json.loads(line)["Message"] == "hello"


def test_non_raw_delivery_sends_the_unsigned_json_envelope(clock: FakeClock) -> None:
    topic, subscription, backend = firehose_topic()
    message_id = sns().publish(
        "hello",
        topic,
        subject="hi",
        message_attributes={"event_type": {"Type": "String", "Value": "consumer.created"}},
    )
    [line] = delivered(backend)
    assert line.endswith(b"\n")
    body = json.loads(line)
    assert list(body) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert body["Type"] == "Notification"
    assert body["MessageId"] == message_id
    assert body["TopicArn"] == topic
    assert body["Message"] == "hello"
    assert subscription in body["UnsubscribeURL"]
    assert body["MessageAttributes"] == {
        "event_type": {"Type": "String", "Value": "consumer.created"}
    }
    assert "Signature" not in body


def test_filter_policy_applies_to_firehose(clock: FakeClock) -> None:
    topic, _, backend = firehose_topic(
        RawMessageDelivery="true", FilterPolicy=json.dumps({"event_type": ["consumer.created"]})
    )
    sns().publish(
        "dropped",
        topic,
        message_attributes={"event_type": {"Type": "String", "Value": "consumer.deleted"}},
    )
    sns().publish(
        "kept",
        topic,
        message_attributes={"event_type": {"Type": "String", "Value": "consumer.created"}},
    )
    assert delivered(backend) == [b"kept\n"]


def test_message_structure_json_picks_the_firehose_key(clock: FakeClock) -> None:
    topic, _, backend = firehose_topic(RawMessageDelivery="true")
    sns().publish(json.dumps({"default": "d", "firehose": "f"}), topic, message_structure="json")
    sns().publish(json.dumps({"default": "d"}), topic, message_structure="json")
    assert delivered(backend) == [b"f\n", b"d\n"]


def test_publish_batch_delivers_every_entry(clock: FakeClock) -> None:
    topic, _, backend = firehose_topic(RawMessageDelivery="true")
    entries = [{"Id": str(i), "Message": f"m{i}"} for i in range(10)]
    successful, failed = sns().publish_batch(topic, entries)
    assert (len(successful), failed) == (10, [])
    assert delivered(backend) == [f"m{i}\n".encode() for i in range(10)]


def test_undeliverable_record_goes_to_the_subscription_dlq(clock: FakeClock) -> None:
    dlq = sqs_backends[ACCOUNT][REGION].create_queue("sub-dlq")
    topic = sns().create_topic("t")
    missing = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/missing"
    subscription = sns().subscribe(topic.arn, missing, "firehose")
    sns().set_subscription_attributes(subscription.arn, "RawMessageDelivery", "true")
    sns().set_subscription_attributes(
        subscription.arn, "RedrivePolicy", json.dumps({"deadLetterTargetArn": dlq.queue_arn})
    )
    sns().publish("rescued", topic.arn)
    [message] = sqs_backends[ACCOUNT][REGION].receive_message("sub-dlq", 10, 0, 30)
    assert message.body == "rescued"


def test_firehose_endpoint_must_be_a_stream_arn(clock: FakeClock) -> None:
    topic = sns().create_topic("t")
    with pytest.raises(SNSInvalidParameter):
        sns().subscribe(topic.arn, "not-an-arn", "firehose")
    with pytest.raises(SNSInvalidParameter):
        sns().subscribe(topic.arn, f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", "firehose")


def test_a_topic_keeps_only_its_latest_notifications() -> None:
    from messaging.localcloud.sns.backend import NOTIFICATION_RING

    topic = sns().create_topic("busy")
    for n in range(NOTIFICATION_RING + 10):
        sns().publish(f"message {n}", topic.arn)
    sent = sns().topics[topic.arn].sent_notifications
    assert len(sent) == NOTIFICATION_RING
    assert sent[-1][1] == f"message {NOTIFICATION_RING + 9}"
    assert sent[0][1] == "message 10"
