"""`ops.redrive` over HTTP: SQS's message move task where it exists, the loop elsewhere."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from messaging.localcloud.server import LocalCloud
from messaging.ops.aws import Aws
from messaging.ops.instance import INSTANCE_HEADER
from messaging.ops.redrive import redrive

pytestmark = pytest.mark.integration


def source_of(sqs: Any, dlq: str, name: str) -> str:
    """A queue that dead-letters into `dlq` on its second receive."""
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    return str(sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"])


def queues(aws: Aws, prefix: str) -> tuple[Any, str, str]:
    """(client, DLQ url, source url)."""
    sqs = aws.sqs()
    dlq = sqs.create_queue(QueueName=f"{prefix}dlq")["QueueUrl"]
    return sqs, dlq, source_of(sqs, dlq, f"{prefix}src")


def dead_letter(sqs: Any, source: str, bodies: list[str]) -> None:
    for body in bodies:
        sqs.send_message(
            QueueUrl=source,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )
    while sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages"
    ):
        pass  # each is delivered once, then moved to the DLQ by the next receive


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages"):
        messages += batch
    return messages


def test_a_move_task_moves_the_dlq_back_and_reports_progress(aws: Aws, name_prefix: str) -> None:
    sqs, dlq, source = queues(aws, name_prefix)
    dead_letter(sqs, source, [f"m{n}" for n in range(12)])
    progress: list[tuple[int, int | None]] = []
    report = redrive(sqs, dlq, source, on_progress=lambda *p: progress.append(p), poll_seconds=0.05)
    assert (report.method, report.status, report.moved, report.to_move) == (
        "move task",
        "COMPLETED",
        12,
        12,
    )
    assert progress[-1] == (12, 12)
    assert [moved for moved, _ in progress] == sorted(moved for moved, _ in progress)
    moved = drain(sqs, source)
    assert sorted(m["Body"] for m in moved) == sorted(f"m{n}" for n in range(12))
    assert all(m["MessageAttributes"]["kind"]["StringValue"] == "test" for m in moved)
    assert drain(sqs, dlq) == []


def test_what_reaches_the_dlq_after_the_start_is_not_moved(aws: Aws, name_prefix: str) -> None:
    sqs, dlq, source = queues(aws, name_prefix)
    dead_letter(sqs, source, ["a", "b", "c"])
    started = threading.Event()
    reports: list[Any] = []

    def slow_redrive() -> None:
        reports.append(
            redrive(
                sqs, dlq, source, rate=2, poll_seconds=0.05, on_progress=lambda *_: started.set()
            )
        )

    thread = threading.Thread(target=slow_redrive)
    thread.start()
    assert started.wait(10)
    other = source_of(sqs, dlq, f"{name_prefix}other")
    dead_letter(sqs, other, ["late"])  # fails while the redrive runs
    thread.join(30)
    assert reports[0].moved == 3
    assert [m["Body"] for m in drain(sqs, dlq)] == ["late"]


def test_stop_cancels_the_task_and_keeps_what_moved(aws: Aws, name_prefix: str) -> None:
    sqs, dlq, source = queues(aws, name_prefix)
    dead_letter(sqs, source, [f"m{n}" for n in range(20)])
    stop = threading.Event()

    def stop_after_one(moved: int, _to_move: int | None) -> None:
        if moved >= 1:
            stop.set()

    report = redrive(sqs, dlq, source, rate=1, on_progress=stop_after_one, stop=stop,
                     poll_seconds=0.05)  # fmt: skip
    assert report.status == "CANCELLED"
    assert 1 <= report.moved < 20
    assert len(drain(sqs, source)) == report.moved
    assert len(drain(sqs, dlq)) == 20 - report.moved


def test_without_move_tasks_the_loop_moves_at_most_what_was_there(
    aws: Aws, cloud: LocalCloud, name_prefix: str
) -> None:
    sqs, dlq, source = queues(aws, name_prefix)
    dead_letter(sqs, source, [f"m{n}" for n in range(15)])

    def unsupported(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        error = {"Code": "UnknownOperationException", "Message": "not here"}
        headers = HTTPHeaders()
        headers[INSTANCE_HEADER] = cloud.instance_id  # the same cloud, without the action
        return AWSResponse("", 400, headers, None), {"Error": error, "ResponseMetadata": {}}

    handler: Any = unsupported  # a before-call hook may answer in place of the endpoint
    sqs.meta.events.register("before-call.sqs.StartMessageMoveTask", handler)
    report = redrive(sqs, dlq, source)
    assert (report.method, report.moved, report.failed, report.to_move) == (
        "receive and send",
        15,
        0,
        15,
    )
    assert len(drain(sqs, source)) == 15


def test_max_messages_uses_the_loop(aws: Aws, name_prefix: str) -> None:
    sqs, dlq, source = queues(aws, name_prefix)
    dead_letter(sqs, source, [f"m{n}" for n in range(7)])
    report = redrive(sqs, dlq, source, max_messages=4)
    assert (report.method, report.moved) == ("receive and send", 4)
    assert len(drain(sqs, dlq)) == 3
