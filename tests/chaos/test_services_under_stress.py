"""SIGTERM under load, poison messages, and a stopping cloud: nothing lost."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from messaging.core.events import encode
from messaging.localcloud.server import LocalCloud
from tests.support import make_event, wait_for
from tests.support.processes import Cloud

pytestmark = pytest.mark.chaos


def send(sqs: Any, queue: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=queue,
            Entries=[
                {"Id": str(n), "MessageBody": body}
                for n, body in enumerate(bodies[start : start + 10])
            ],
        )


def depth(sqs: Any, queue: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def test_sigterm_under_load_finishes_in_flight_work_within_the_visibility_timeout(
    cloud_factory: Any,
) -> None:
    cloud: Cloud = cloud_factory()  # default stack: VisibilityTimeoutSeconds=30
    outputs = cloud.outputs()
    sqs, dynamodb = cloud.client("sqs"), cloud.client("dynamodb")
    events = [make_event(n) for n in range(2_000)]
    send(sqs, outputs["OrdersQueueUrl"], [encode(e) for e in events])
    worker = cloud.consumer("orders")

    def stored() -> int:
        table = dynamodb.describe_table(TableName=outputs["OrdersTableName"])
        return int(table["Table"]["ItemCount"])

    wait_for(lambda: stored() >= 200, timeout=120, interval=0.2)
    signalled = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=60) == 0
    assert time.monotonic() - signalled < 30  # within the visibility timeout

    visible, in_flight = depth(sqs, outputs["OrdersQueueUrl"])
    assert in_flight == 0  # nothing left hidden: finished and deleted, or handed back
    assert visible + stored() == len(events)
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=outputs["OrdersTableName"], ProjectionExpression="event_id"
    )
    applied = Counter(item["event_id"]["S"] for page in pages for item in page["Items"])
    assert set(applied.values()) == {1}


def poison_bodies() -> dict[str, str]:
    good = json.loads(encode(make_event(99)))
    wrong_schema = {**good, "data": {**good["data"], "email": 42}}
    return {
        "invalid JSON": '{"event_id": "not closed',
        "wrong schema": json.dumps(wrong_schema),
        "unknown event_type": json.dumps({**good, "event_type": "consumer.deleted"}),
        "unsupported version": json.dumps({**good, "event_version": 2}),
        "oversize": json.dumps({**good, "padding": "x" * (300 * 1024)}),
    }


NOT_UTF8 = encode(make_event(98)).replace("Consumer 98", "Consumer \udcff")  # no UTF-8 form


def test_poison_messages_reach_the_dlq_while_good_ones_are_processed(
    cloud_factory: Any,
) -> None:
    cloud: Cloud = cloud_factory()
    outputs = cloud.outputs()
    sqs = cloud.client("sqs")
    poison = poison_bodies()
    good = [encode(make_event(n)) for n in range(60)]
    send(sqs, outputs["OrdersQueueUrl"], good[:30] + list(poison.values()) + good[30:])
    # A body that is not UTF-8 cannot reach a queue: SQS refuses it at the door, as AWS
    # does (InvalidMessageContents), and the sender is told. The worker's own guard for
    # such bytes is fuzzed in tests/unit/test_worker_fuzz.py.
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=outputs["OrdersQueueUrl"], MessageBody=NOT_UTF8)
    assert refused.value.response["Error"]["Code"] == "InvalidMessageContents"
    # The poison reaches the DLQ while consume runs: --no-fail-on-dlq, or consume exits 3.
    drained = cloud.run_json("consume", "orders", "--until-empty", "--no-fail-on-dlq")["orders"]
    assert drained["dlq_added"] == len(poison)
    assert drained["handled"] == len(good)
    assert drained["undecodable"] == 5 * len(poison)  # MaxReceiveCount receives each
    dead: list[str] = []
    while batch := sqs.receive_message(
        QueueUrl=outputs["OrdersDlqUrl"], MaxNumberOfMessages=10
    ).get("Messages", []):
        dead += [m["Body"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=outputs["OrdersDlqUrl"],
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)
            ],
        )
    assert sorted(dead) == sorted(poison.values())
    status = cloud.run_json("status")
    assert status["tables"]["orders"] == len(good)
    assert status["queues"]["orders"]["visible"] == 0


def test_stopping_the_cloud_delivers_every_buffered_record() -> None:
    name_prefix = "flush-"
    from moto.s3.models import s3_backends

    from messaging.ops import stack
    from messaging.ops.aws import Aws
    from messaging.ops.settings import Settings

    with LocalCloud(port=0) as cloud:
        aws = Aws(
            Settings(endpoint_url=cloud.endpoint_url, region=cloud.region),
            placeholder_credentials=cloud.placeholder_credentials,
        )
        result = stack.deploy(
            aws.cloudformation(),
            f"{name_prefix}flush",
            stack.default_template_path().read_text(),
            {"NamePrefix": name_prefix, "BufferIntervalSeconds": "900", "ServicesHost": "external"},
            sleep=lambda _: None,
        )
        events = [make_event(n) for n in range(50)]
        aws.sns().publish_batch(
            TopicArn=result.outputs["TopicArn"],
            PublishBatchRequestEntries=[
                {"Id": str(n), "Message": encode(e)} for n, e in enumerate(events[:10])
            ],
        )
        for event in events[10:]:
            aws.sns().publish(TopicArn=result.outputs["TopicArn"], Message=encode(event))
        bucket = result.outputs["LakeBucketName"]
        assert aws.s3().list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # all buffered
    # The cloud has stopped: read what it wrote straight from its storage.
    lake = s3_backends["123456789012"]["aws"].get_bucket(bucket)
    lines = [line for key in lake.keys for line in lake.keys[key].value.splitlines()]
    assert sorted(json.loads(line)["event_id"] for line in lines) == sorted(
        str(e.event_id) for e in events
    )
