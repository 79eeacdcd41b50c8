"""The producer against the local cloud over HTTP: SNS PublishBatch fanned out to SQS."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest

from messaging.core.events import Address, Consumer, ConsumerCreated, decode
from messaging.ops.aws import Aws
from messaging.producer import Producer

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

pytestmark = pytest.mark.integration


def make_event(number: int) -> ConsumerCreated:
    now = datetime.now(UTC)
    consumer = Consumer(
        consumer_id=uuid4(),
        name=f"Consumer {number}",
        email=f"consumer{number}@example.com",
        phone="+1 555 0100",
        address=Address(street="1 Main St", city="Springfield", postal_code="12345", country="US"),
        created_at=now,
    )
    return ConsumerCreated(event_id=uuid4(), occurred_at=now, data=consumer)


def receive_all(sqs: SQSClient, queue_url: str, expected: int) -> list[MessageTypeDef]:
    """Long-poll until `expected` messages arrived (or fail after 15 s)."""
    messages: list[MessageTypeDef] = []
    deadline = time.monotonic() + 15
    while len(messages) < expected and time.monotonic() < deadline:
        messages += sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
    return messages


def test_95_events_take_10_requests_and_all_arrive_with_their_attribute(
    aws: Aws, name_prefix: str
) -> None:
    sns, sqs = aws.sns(), aws.sqs()
    topic_arn = sns.create_topic(Name=f"{name_prefix}producer-created-consumer")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name_prefix}producer-consumers")["QueueUrl"]
    names: Any = ["QueueArn"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    events = [make_event(number) for number in range(95)]
    before = aws.requests.snapshot().get("sns:PublishBatch", 0)
    progress: list[int] = []

    stats = Producer(sns, topic_arn, concurrency=4).publish(events, on_published=progress.append)

    assert (stats.events, stats.published, stats.failed, stats.requests) == (95, 95, 0, 10)
    assert stats.requests_per_event == pytest.approx(10 / 95)
    assert sum(progress) == 95
    assert aws.requests.snapshot()["sns:PublishBatch"] - before == 10  # no HTTP retries either

    messages = receive_all(sqs, queue_url, 95)
    assert sorted(decode(message["Body"]).event_id for message in messages) == sorted(
        event.event_id for event in events
    )
    assert all(
        message["MessageAttributes"]["event_type"]
        == {"DataType": "String", "StringValue": "consumer.created"}
        for message in messages
    )
