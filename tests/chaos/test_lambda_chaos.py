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


def _queue(sqs: Any, name: str, max_receives: int) -> tuple[str, str]:
    """A queue (visibility 5 s, the function's timeout) and its DLQ: their URLs."""
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    redrive = {
        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": max_receives,
    }
    queue = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "5", "RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    return queue, dlq


def _log_tail(cloud: LocalCloud) -> list[str]:
    """The function's last log lines: why its invocations failed, when they did."""
    logs = client(cloud, "logs")
    try:
        events = logs.filter_log_events(logGroupName="/aws/lambda/chaos-store")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return ["(no log group: the function never ran)"]
    return [str(e["message"]).rstrip()[:300] for e in events[-15:]]


def _send(sqs: Any, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")


def test_crashes_kills_timeouts_and_poison_lose_nothing_and_apply_nothing_twice(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    """Two mappings of one function, run at once (the wall time is the slower one's):
    crashes, a kill and a timeout among good records on one queue (maxReceiveCount 4: a
    good record can share a failing batch with each of the three, so it may be received
    four times, and never reaches the DLQ); a poison record among good ones on the other
    (maxReceiveCount 2: it reaches the DLQ after two receives, 2 x 5 s, not 4 x 5 s)."""
    sqs, ddb, iam, lam = (client(cloud, s) for s in ("sqs", "dynamodb", "iam", "lambda"))
    ddb.create_table(
        TableName="chaos-lambda-store",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    crashing, crashing_dlq = _queue(sqs, "chaos-lambda", max_receives=4)
    poisoned, poisoned_dlq = _queue(sqs, "chaos-lambda-poison", max_receives=2)
    role = iam.create_role(RoleName="chaos-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="chaos-store",
        Runtime="python3.12",
        Role=role,
        Handler="handlers.store",
        Code={"ZipFile": package()},
        Timeout=5,  # headroom for five writes on a loaded machine; a timeout is retried
        Environment={"Variables": {"TABLE": "chaos-lambda-store", "MARKER_DIR": str(tmp_path)}},
    )
    good = [f"good-{i}" for i in range(27)]
    troubled = ["crash-once-1", "kill-once-1", "slow-once-1"]
    _send(
        sqs, crashing, [*good[:9], troubled[0], *good[9:18], troubled[1], *good[18:], troubled[2]]
    )
    neighbours = [f"near-poison-{i}" for i in range(4)]
    _send(sqs, poisoned, [*neighbours[:2], "poison-1", *neighbours[2:]])
    uuids = [
        lam.create_event_source_mapping(
            FunctionName="chaos-store",
            EventSourceArn=sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"],
            BatchSize=5,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )["UUID"]
        for url in (crashing, poisoned)
    ]

    wait_for(lambda: _count(sqs, crashing) + _count(sqs, poisoned) == 0, timeout=90)
    assert _count(sqs, crashing_dlq) == 0, "\n".join([*_dead(sqs, crashing_dlq), *_log_tail(cloud)])
    assert _count(sqs, poisoned_dlq) == 1, _dead(sqs, poisoned_dlq)

    stored = sorted(i["pk"]["S"] for i in ddb.scan(TableName="chaos-lambda-store")["Items"])
    assert stored == sorted([*good, *troubled, *neighbours])  # every record once; no poison
    moved = sqs.receive_message(QueueUrl=poisoned_dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["poison-1"]
    backend = next(b for b in installed_backends() if b.region_name == cloud.region)
    found = backend.queue_mapping(uuids[0])
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
    assert any("Task timed out after 5.00 seconds" in line for line in lines)
    for uuid in uuids:
        lam.delete_event_source_mapping(UUID=uuid)
