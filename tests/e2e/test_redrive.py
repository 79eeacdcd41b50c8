"""`messaging redrive`: DLQ messages go back to their queue once the cause is fixed, and a
redrive ends even while the services run and a message keeps failing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from messaging.core.events import encode
from messaging.localcloud.server import LocalCloud
from tests.support import make_event, wait_for
from tests.support.processes import BIN, Running

pytestmark = pytest.mark.e2e

MESSAGING = Path(sys.executable).with_name("messaging")
STACK = ["--stack-name", "redrive-e2e"]


# `messaging consume` drains the queues here: the stack has no functions competing for them.
EXTERNAL = ("--parameter", "ServicesHost=external")


def run(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cloud.client_environment(), "COLUMNS": "200"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [str(MESSAGING), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def sqs_client(cloud: LocalCloud) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=cloud.endpoint_url,
        region_name=cloud.region,
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )


def test_redrive_moves_every_dlq_message_back_and_they_are_consumed(cloud: LocalCloud) -> None:
    assert run(cloud, "deploy", *STACK, "--parameter", "NamePrefix=rd-", *EXTERNAL).returncode == 0
    outputs = json.loads(run(cloud, "outputs", *STACK, "--json").stdout)
    sqs = sqs_client(cloud)
    # Events that failed before a fix: parked in the DLQ, with their message attribute.
    events = [make_event(n) for n in range(2000, 2023)]
    for start in range(0, len(events), 10):
        sqs.send_message_batch(
            QueueUrl=outputs["OrdersDlqUrl"],
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": encode(e),
                    "MessageAttributes": {
                        "event_type": {"DataType": "String", "StringValue": "consumer.created"}
                    },
                }
                for n, e in enumerate(events[start : start + 10])
            ],
        )

    moved = run(cloud, "redrive", "orders", *STACK)
    assert moved.returncode == 0, moved.stderr
    assert "moved 23 messages" in moved.stdout
    received = sqs.receive_message(
        QueueUrl=outputs["OrdersQueueUrl"], MaxNumberOfMessages=1, MessageAttributeNames=["All"]
    )["Messages"][0]
    assert received["MessageAttributes"]["event_type"]["StringValue"] == "consumer.created"
    sqs.change_message_visibility(
        QueueUrl=outputs["OrdersQueueUrl"],
        ReceiptHandle=received["ReceiptHandle"],
        VisibilityTimeout=0,
    )

    consumed = json.loads(run(cloud, "consume", "orders", *STACK, "--until-empty", "--json").stdout)
    assert consumed["orders"]["handled"] == len(events)
    status = json.loads(run(cloud, "status", *STACK, "--json").stdout)
    assert status["queues"]["orders"] == {"visible": 0, "in_flight": 0, "dlq": 0}
    again = run(cloud, "redrive", "orders", *STACK)
    assert "moved 0 messages" in again.stdout
    run(cloud, "destroy", *STACK, "--yes")


def dlq_depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_a_redrive_of_a_real_poison_message_ends_having_moved_it_once(
    cloud: LocalCloud,
) -> None:
    stack = ["--stack-name", "poison-e2e"]
    deployed = run(
        cloud,
        "deploy",
        *stack,
        "--parameter",
        "NamePrefix=px-",
        "--parameter",
        "MaxReceiveCount=2",
        *EXTERNAL,
    )
    assert deployed.returncode == 0, deployed.stderr
    outputs = json.loads(run(cloud, "outputs", *stack, "--json").stdout)
    sqs = sqs_client(cloud)
    env = {**os.environ, **cloud.client_environment(), "COLUMNS": "200"}
    env.pop("AWS_PROFILE", None)
    consumer = Running(
        subprocess.Popen(
            [str(BIN / "messaging"), "consume", "orders", *stack, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    )
    try:
        consumer.wait_line("consuming", timeout=120)
        # Undecodable: the service releases it at once, so it fails its 2 receives quickly.
        sqs.send_message(QueueUrl=outputs["OrdersQueueUrl"], MessageBody="{not an event")
        wait_for(lambda: dlq_depth(sqs, outputs["OrdersDlqUrl"]) == 1, timeout=60)

        redriven = run(cloud, "redrive", "orders", *stack)
        assert redriven.returncode == 0, redriven.stderr
        assert "moved 1 messages" in redriven.stdout
        assert "move task, completed" in redriven.stdout

        # It really went back, failed again while the services ran, and is parked again,
        # once: the task moved what the DLQ held at its start and nothing since.
        dlq_arn = sqs.get_queue_attributes(
            QueueUrl=outputs["OrdersDlqUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        wait_for(lambda: dlq_depth(sqs, outputs["OrdersDlqUrl"]) == 1, timeout=60)
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
        assert [(t["Status"], t["ApproximateNumberOfMessagesMoved"]) for t in tasks] == [
            ("COMPLETED", 1)
        ]
        back = sqs.receive_message(
            QueueUrl=outputs["OrdersDlqUrl"], MessageSystemAttributeNames=["All"]
        )["Messages"]
        assert [m["Body"] for m in back] == ["{not an event"]
    finally:
        consumer.process.kill()  # a graceful stop would wait out its 20 s long poll
        consumer.process.wait(timeout=60)
    run(cloud, "destroy", *stack, "--yes")
