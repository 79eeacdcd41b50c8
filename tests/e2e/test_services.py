"""produce, consume and status as a user runs them, against a real local cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from messaging.localcloud.server import LocalCloud
from tests.support import make_event

pytestmark = pytest.mark.e2e

MESSAGING = Path(sys.executable).with_name("messaging")
STACK = ["--stack-name", "svc-e2e"]


def run(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cloud.client_environment(), "COLUMNS": "200"}
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [str(MESSAGING), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


def run_json(cloud: LocalCloud, *args: str) -> Any:
    return json.loads(run(cloud, *args, "--json").stdout)


@pytest.fixture(scope="module")
def deployed(cloud: LocalCloud) -> Iterator[dict[str, str]]:
    run(
        cloud,
        "deploy",
        *STACK,
        "--parameter",
        "NamePrefix=svc-",
        "--parameter",
        "BufferIntervalSeconds=1",
        "--parameter",
        "ServicesHost=external",  # `messaging consume` is the subject: no functions
    )
    yield run_json(cloud, "outputs", *STACK)
    run(cloud, "destroy", *STACK, "--yes")


def test_produce_consume_status_and_a_seeded_rerun_of_duplicates(
    cloud: LocalCloud, deployed: dict[str, str]
) -> None:
    produced = run_json(cloud, "produce", *STACK, "--count", "500", "--seed", "7")
    assert (produced["published"], produced["failed"]) == (500, 0)
    assert produced["requests_per_event"] <= 0.1

    consumed = run_json(cloud, "consume", "all", *STACK, "--until-empty")
    for service in ("orders", "payments"):
        assert (consumed[service]["handled"], consumed[service]["duplicates"]) == (500, 0)

    status = run_json(cloud, "status", *STACK)
    assert status["tables"] == {"orders": 500, "payments": 500}
    for service in ("orders", "payments"):
        assert status["queues"][service] == {"visible": 0, "in_flight": 0, "dlq": 0}

    run_json(cloud, "produce", *STACK, "--count", "500", "--seed", "7")
    again = run_json(cloud, "consume", "all", *STACK, "--until-empty")
    for service in ("orders", "payments"):
        assert (again[service]["handled"], again[service]["duplicates"]) == (0, 500)
    assert run_json(cloud, "status", *STACK)["tables"] == {"orders": 500, "payments": 500}


def test_a_bad_body_ends_in_the_dlq_while_good_messages_flow(
    cloud: LocalCloud, deployed: dict[str, str]
) -> None:
    sqs = boto3.client(
        "sqs",
        endpoint_url=cloud.endpoint_url,
        region_name=cloud.region,
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )
    queue = deployed["OrdersQueueUrl"]
    bodies = [json.dumps(make_event(n).model_dump(mode="json")) for n in range(1000, 1020)]
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": str(n), "MessageBody": body}
            for n, body in enumerate(["{this is not json", *bodies[:9]])
        ],
    )
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[9:19])],
    )
    before = run_json(cloud, "status", *STACK)["tables"]["orders"]
    # It reaches the DLQ while consume runs: --no-fail-on-dlq, or consume exits 3.
    consumed = run_json(cloud, "consume", "orders", *STACK, "--until-empty", "--no-fail-on-dlq")
    assert consumed["orders"]["handled"] == 19
    assert consumed["orders"]["dlq_added"] == 1
    assert consumed["orders"]["undecodable"] == 5  # received maxReceiveCount (5) times
    status = run_json(cloud, "status", *STACK)
    assert status["tables"]["orders"] == before + 19
    assert status["queues"]["orders"] == {"visible": 0, "in_flight": 0, "dlq": 1}
    dead = sqs.receive_message(QueueUrl=deployed["OrdersDlqUrl"])["Messages"]
    assert [m["Body"] for m in dead] == ["{this is not json"]
