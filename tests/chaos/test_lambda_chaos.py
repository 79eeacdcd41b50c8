"""Lambda-hosted consumers under failure: a process killed or exiting mid-batch, a
timeout, a poison record. Nothing is lost, nothing is applied twice, the poison
record reaches the DLQ. In-process local cloud (the session's), real worker processes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from messaging.localcloud.awslambda.backend import installed_backends
from messaging.localcloud.server import LocalCloud
from tests.support import wait_for
from tests.support.lambdas import client, package

pytestmark = pytest.mark.chaos


def _count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _dead(sqs: Any, url: str) -> list[str]:
    """What reached the DLQ (for a failure message)."""
    return [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_crashes_kills_timeouts_and_poison_lose_nothing_and_apply_nothing_twice(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    sqs, ddb, iam, lam = (client(cloud, s) for s in ("sqs", "dynamodb", "iam", "lambda"))
    ddb.create_table(
        TableName="chaos-lambda-store",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq = sqs.create_queue(QueueName="chaos-lambda-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 4}
    queue = sqs.create_queue(
        QueueName="chaos-lambda",
        Attributes={"VisibilityTimeout": "3", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    role = iam.create_role(RoleName="chaos-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="chaos-store",
        Runtime="python3.12",
        Role=role,
        Handler="handlers.store",
        Code={"ZipFile": package()},
        Timeout=3,  # headroom for ten writes on a loaded machine; a timeout is retried
        Environment={"Variables": {"TABLE": "chaos-lambda-store", "MARKER_DIR": str(tmp_path)}},
    )
    good = [f"good-{i}" for i in range(27)]
    troubled = ["crash-once-1", "kill-once-1", "slow-once-1"]
    bodies = [*good[:9], troubled[0], *good[9:18], troubled[1], *good[18:], troubled[2], "poison-1"]
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    uuid = lam.create_event_source_mapping(
        FunctionName="chaos-store",
        EventSourceArn=arn["Attributes"]["QueueArn"],
        BatchSize=5,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )["UUID"]

    wait_for(lambda: _count(sqs, queue) == 0, timeout=90)
    assert _count(sqs, dlq) == 1, _dead(sqs, dlq)

    stored = sorted(i["pk"]["S"] for i in ddb.scan(TableName="chaos-lambda-store")["Items"])
    assert stored == sorted([*good, *troubled])  # every record once; the poison never
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["poison-1"]
    mapping = next(b for b in installed_backends() if b.region_name == cloud.region)
    found = mapping.queue_mapping(uuid)
    assert found is not None
    assert found.stats.document()["InvocationErrors"] >= 3  # exit, SIGKILL, timeout
    lines = [
        e["message"]
        for e in client(cloud, "logs").filter_log_events(logGroupName="/aws/lambda/chaos-store")[
            "events"
        ]
    ]
    assert any("Runtime exited with error: exit status 9" in line for line in lines)
    assert any("Runtime exited with error: signal: killed" in line for line in lines)
    assert any("Task timed out after 3.00 seconds" in line for line in lines)
    lam.delete_event_source_mapping(UUID=uuid)
