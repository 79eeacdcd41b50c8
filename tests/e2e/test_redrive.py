"""`messaging redrive`: DLQ messages go back to their queue once the cause is fixed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from messaging.core.events import encode
from messaging.localcloud.server import LocalCloud
from tests.support import make_event

pytestmark = pytest.mark.e2e

MESSAGING = Path(sys.executable).with_name("messaging")
STACK = ["--stack-name", "redrive-e2e"]


def run(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cloud.client_environment(), "COLUMNS": "200"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [str(MESSAGING), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_redrive_moves_every_dlq_message_back_and_they_are_consumed(cloud: LocalCloud) -> None:
    assert run(cloud, "deploy", *STACK, "--parameter", "NamePrefix=rd-").returncode == 0
    outputs = json.loads(run(cloud, "outputs", *STACK, "--json").stdout)
    sqs = boto3.client(
        "sqs",
        endpoint_url=cloud.endpoint_url,
        region_name=cloud.region,
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )
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
