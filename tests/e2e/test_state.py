"""`messaging up --state-dir`: the state survives a stop and a crash, and a cloud that lost
its state is not mistaken for the one a client started with."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from messaging.core.events import encode
from messaging.ops.aws import Aws
from messaging.ops.instance import InstanceChangedError
from messaging.ops.settings import Settings
from tests.support import make_event, wait_for
from tests.support.processes import Cloud, start_cloud

pytestmark = pytest.mark.e2e

EVENT_TYPE = {"event_type": {"DataType": "String", "StringValue": "consumer.created"}}


def publish(cloud: Cloud, topic: str, first: int, count: int) -> None:
    """One PublishBatch: on the cloud entirely or not at all."""
    cloud.client("sns").publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": str(n), "Message": encode(make_event(n)), "MessageAttributes": EVENT_TYPE}
            for n in range(first, first + count)
        ],
    )


def outputs_of(cloud: Cloud) -> dict[str, str]:
    [described] = cloud.client("cloudformation").describe_stacks(StackName="messaging")["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def held(cloud: Cloud, url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def receive_counts(cloud: Cloud, url: str) -> list[int]:
    sqs, counts = cloud.client("sqs"), []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages"):
        counts += [int(m["Attributes"]["ApproximateReceiveCount"]) for m in batch]
    return sorted(counts)


@pytest.fixture
def start() -> Iterator[Callable[..., Cloud]]:
    """`start_cloud`, with every cloud it started killed at the end, whatever happened."""
    started: list[Cloud] = []

    def starting(*args: str, port: int = 0) -> Cloud:
        started.append(start_cloud(*args, port=port))
        return started[-1]

    yield starting
    for cloud in started:
        if cloud.running.process.poll() is None:
            cloud.running.process.kill()
            cloud.running.process.wait(timeout=30)


def test_state_survives_a_stop_and_a_crash_and_a_lost_one_is_detected(
    tmp_path: Path, start: Callable[..., Cloud]
) -> None:
    state = tmp_path / "state"
    parameters = ["--parameter", "BufferIntervalSeconds=600", "--state-dir", str(state)]
    first = start(*parameters)
    port = urlparse(first.endpoint).port or 0
    assert any("State: new, saved in" in line for line in first.running.seen)
    outputs = outputs_of(first)
    assert first.run_json("produce", "--count", "20", "--seed", "3")["published"] == 20
    assert first.run_json("consume", "orders", "--until-empty")["orders"]["handled"] == 20
    sqs = first.client("sqs")
    sqs.receive_message(QueueUrl=outputs["PaymentsQueueUrl"], MaxNumberOfMessages=3,
                        VisibilityTimeout=0)  # fmt: skip
    sqs.send_message(QueueUrl=outputs["PaymentsDlqUrl"], MessageBody="parked")
    settings = Settings(endpoint_url=first.endpoint, region="us-east-1")
    watcher: Any = Aws(settings, placeholder_credentials=("e2e", "e2e")).sqs()
    watcher.list_queues()  # a long-lived client: it remembers which cloud it talks to
    last_words = first.stop()
    assert "Delivered 20 buffered Firehose records." in last_words  # into the saved lake
    assert any(line.startswith("Saved the state to") for line in last_words)

    # A graceful stop keeps everything: stack, tables, queues with receive counts, DLQ, lake.
    second = start(*parameters, "--snapshot-interval", "1", port=port)
    assert any("State: restored from" in line for line in second.running.seen)
    assert outputs_of(second) == outputs  # and `up` redeployed it: no changes
    watcher.list_queues()  # the same instance: the client carries on
    status = second.run_json("status")
    assert status["tables"] == {"orders": 20, "payments": 0}
    assert status["queues"]["orders"] == {"visible": 0, "in_flight": 0, "dlq": 0}
    assert status["queues"]["payments"] == {"visible": 20, "in_flight": 0, "dlq": 1}
    assert status["lake"]["objects"] == 1
    s3 = second.client("s3")
    [lake_object] = s3.list_objects_v2(Bucket=outputs["LakeBucketName"])["Contents"]
    body = s3.get_object(Bucket=outputs["LakeBucketName"], Key=lake_object["Key"])["Body"]
    assert len(body.read().splitlines()) == 20
    assert receive_counts(second, outputs["PaymentsQueueUrl"]) == [1] * 17 + [2] * 3

    # kill -9 loses at most what came after the last periodic snapshot, and never half of it.
    publish(second, outputs["TopicArn"], 100, 5)
    published = time.time()
    info = state / "state.json"

    def saved_after_publishing() -> bool:
        second.client("sqs").list_queues()  # something new, so that a snapshot is due
        return bool(json.loads(info.read_text())["taken_at"] > published)

    wait_for(saved_after_publishing, timeout=30, interval=0.2)
    publish(second, outputs["TopicArn"], 200, 5)
    second.running.process.kill()
    second.running.process.wait(timeout=30)
    third = start(*parameters, "--no-deploy", port=port)
    orders, payments = (held(third, outputs[k]) for k in ("OrdersQueueUrl", "PaymentsQueueUrl"))
    assert orders in (5, 10)  # the batch before the snapshot, and all or none of the last
    assert payments - 20 == orders
    third.stop()

    # Started again without its state: a new, empty cloud, which the client refuses.
    fourth = start("--no-deploy", port=port)
    assert any("State is in memory only" in line for line in fourth.running.seen)
    with pytest.raises(InstanceChangedError, match="restarted as a new, empty instance"):
        watcher.list_queues()
    fourth.stop()
