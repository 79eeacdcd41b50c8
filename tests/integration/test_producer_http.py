"""The producer against the local cloud over HTTP: SNS PublishBatch fanned out to SQS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import botocore.endpoint
import pytest

from messaging.core.events import Address, Consumer, ConsumerCreated, decode
from messaging.core.retry import EntryRetry
from messaging.localcloud.faults import FaultPlan
from messaging.localcloud.server import LocalCloud
from messaging.ops.aws import MAX_ATTEMPTS, Aws
from messaging.ops.settings import Settings
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

    assert (stats.events, stats.published, stats.failed) == (95, 95, 0)
    assert sum(progress) == 95
    # Counted once, from botocore's events: 10 requests, no HTTP retries either.
    assert aws.requests.snapshot()["sns:PublishBatch"] - before == 10

    messages = receive_all(sqs, queue_url, 95)
    assert sorted(decode(message["Body"]).event_id for message in messages) == sorted(
        event.event_id for event in events
    )
    assert all(
        message["MessageAttributes"]["event_type"]
        == {"DataType": "String", "StringValue": "consumer.created"}
        for message in messages
    )


@pytest.fixture
def throttling_cloud() -> Iterator[LocalCloud]:
    """A local cloud where every PublishBatch is throttled (SNS's `Throttling`)."""
    plan = FaultPlan(
        fault_rate=1.0, operations=frozenset({"sns:PublishBatch"}), kinds=("throttle",), seed=6
    )
    with LocalCloud(port=0, faults=plan) as cloud:
        yield cloud


def test_under_full_throttling_a_batch_costs_botocores_attempts_and_no_more(
    throttling_cloud: LocalCloud, name_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's back-off for throttling averages 7.5 s over 5 attempts; the test keeps
    # the attempts and skips the waiting (botocore's endpoint sleeps through `time`).
    waited: list[float] = []
    monkeypatch.setattr(
        botocore.endpoint, "time", SimpleNamespace(sleep=waited.append, time=time.time)
    )
    settings = Settings(endpoint_url=throttling_cloud.endpoint_url, region="us-east-1")
    aws = Aws(settings, placeholder_credentials=throttling_cloud.placeholder_credentials)
    sns = aws.sns()
    topic_arn = sns.create_topic(Name=f"{name_prefix}throttled")["TopicArn"]
    retry = EntryRetry(attempts=4)

    stats = Producer(sns, topic_arn, concurrency=1, retry=retry).publish(
        [make_event(n) for n in range(25)]
    )

    attempts = aws.requests.snapshot()["sns:PublishBatch"]
    assert (stats.published, stats.failed) == (0, 25)
    assert {failure.code for failure in stats.failures} == {"Throttling"}
    # The documented bound is retry.attempts x MAX_ATTEMPTS per batch (3 batches); a
    # throttled whole call is botocore's alone: MAX_ATTEMPTS per batch, exactly.
    assert attempts == 3 * MAX_ATTEMPTS
    assert attempts <= 3 * retry.attempts * MAX_ATTEMPTS
    assert len(waited) == 3 * (MAX_ATTEMPTS - 1)  # botocore backed off between them
    assert stats.aborted is None
