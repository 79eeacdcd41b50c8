"""`messaging up` as a user runs it: a subprocess, plain boto3 and the aws CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import wait_for
from tests.support.lambdas import package
from tests.support.processes import BIN, Running

pytestmark = pytest.mark.e2e

INTERVAL = 3
PLACEHOLDERS = {"AWS_ACCESS_KEY_ID": "e2e", "AWS_SECRET_ACCESS_KEY": "e2e"}


@pytest.fixture
def up() -> Iterator[tuple[Running, str]]:
    env = {**os.environ, **PLACEHOLDERS, "COLUMNS": "200"}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [
            str(BIN / "messaging"),
            "up",
            "--port",
            "0",
            "--parameter",
            f"BufferIntervalSeconds={INTERVAL}",
            # The queues are read here directly: no functions consume them. The stack's
            # functions under `up` are tests/integration/test_lambda_stack.py's.
            "--parameter",
            "ServicesHost=external",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    running = Running(process)
    try:
        endpoint = running.wait_line("listening on").rsplit(" ", 1)[1]
        running.wait_line("Press Ctrl-C to stop.")
        yield running, endpoint
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",  # type: ignore[call-overload]
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )


def aws_cli(endpoint: str, *args: str) -> Any:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": "/tmp",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        **PLACEHOLDERS,
    }
    done = subprocess.run(
        [str(BIN / "aws"), "--endpoint-url", endpoint, *args, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_up_serves_the_whole_stack_and_flushes_on_sigterm(
    up: tuple[Running, str], tmp_path: Path
) -> None:
    running, endpoint = up
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in aws_cli(
            endpoint, "cloudformation", "describe-stacks", "--stack-name", "messaging"
        )["Stacks"][0]["Outputs"]
    }
    assert set(outputs) == {
        "TopicArn",
        "OrdersQueueUrl",
        "PaymentsQueueUrl",
        "OrdersDlqUrl",
        "PaymentsDlqUrl",
        "DeliveryStreamName",
        "LakeBucketName",
        "OrdersTableName",
        "PaymentsTableName",
        "AccessLogsBucketName",
        "PublisherPolicyArn",
    }

    subscriptions = aws_cli(
        endpoint, "sns", "list-subscriptions-by-topic", "--topic-arn", outputs["TopicArn"]
    )["Subscriptions"]
    assert sorted(s["Protocol"] for s in subscriptions) == ["firehose", "sqs", "sqs"]

    sqs = client("sqs", endpoint)
    for key in ("OrdersQueueUrl", "PaymentsQueueUrl"):
        attributes = sqs.get_queue_attributes(QueueUrl=outputs[key], AttributeNames=["All"])[
            "Attributes"
        ]
        assert "Policy" in attributes
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5

    sns, s3 = client("sns", endpoint), client("s3", endpoint)
    bucket = outputs["LakeBucketName"]
    bodies = [json.dumps({"event": n}) for n in range(3)]
    published_at = time.monotonic()
    for body in bodies:
        sns.publish(
            TopicArn=outputs["TopicArn"],
            Message=body,
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": "consumer.created"}
            },
        )
    for key in ("OrdersQueueUrl", "PaymentsQueueUrl"):
        received = sqs.receive_message(
            QueueUrl=outputs[key], MaxNumberOfMessages=10, WaitTimeSeconds=2
        )["Messages"]
        assert sorted(m["Body"] for m in received) == sorted(bodies)
    before = s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0)
    assert time.monotonic() - published_at < INTERVAL, "too slow to observe the buffer"
    assert before == 0

    contents = wait_for(
        lambda: s3.list_objects_v2(Bucket=bucket).get("Contents"), timeout=INTERVAL + 15
    )
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert [c["Key"].split("/")[0] for c in contents] == [f"landing_date={today}"]
    body = s3.get_object(Bucket=bucket, Key=contents[0]["Key"])["Body"].read().decode()
    assert body.splitlines() == bodies

    workers = _lambda_runs_without_docker(endpoint, tmp_path)

    sns.publish(TopicArn=outputs["TopicArn"], Message='{"last": true}')
    running.process.send_signal(signal.SIGTERM)
    running.wait_line("Delivered 1 buffered Firehose records.")
    assert running.process.wait(timeout=30) == 0
    wait_for(lambda: not any(_alive(pid) for pid in workers))  # no function process left


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _lambda_runs_without_docker(endpoint: str, tmp_path: Path) -> set[int]:
    """A function invoked with the aws CLI and fed by an SQS mapping; its worker pids."""
    iam, lam, sqs = (client(s, endpoint) for s in ("iam", "lambda", "sqs"))
    role = iam.create_role(RoleName="e2e-fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(
        FunctionName="e2e-echo", Runtime="python3.12", Role=role, Handler="handlers.echo",
        Code={"ZipFile": package()}, Timeout=5,
    )  # fmt: skip
    answer = tmp_path / "answer.json"
    invoked = aws_cli(
        endpoint, "lambda", "invoke", "--function-name", "e2e-echo",
        "--payload", '{"test": "event"}', str(answer),
    )  # fmt: skip
    assert invoked["StatusCode"] == 200
    echoed = json.loads(answer.read_text())
    assert echoed["event"] == {"test": "event"}
    assert echoed["env"]["AWS_ENDPOINT_URL"] == endpoint  # the function calls back here
    queue = sqs.create_queue(QueueName="e2e-fn-q", Attributes={"VisibilityTimeout": "30"})
    arn = sqs.get_queue_attributes(QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"])
    lam.create_event_source_mapping(
        FunctionName="e2e-echo", EventSourceArn=arn["Attributes"]["QueueArn"]
    )
    sqs.send_message(QueueUrl=queue["QueueUrl"], MessageBody="for the mapping")

    def drained() -> bool:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue["QueueUrl"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return bool(
            attributes
            == {
                "ApproximateNumberOfMessages": "0",
                "ApproximateNumberOfMessagesNotVisible": "0",
            }
        )

    wait_for(drained)
    events = aws_cli(
        endpoint, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/e2e-echo"
    )
    lines = [e["message"] for e in events["events"]]
    assert sum(line.startswith("REPORT RequestId: ") for line in lines) == 2
    assert any("for the mapping" in line for line in lines)  # the echo of the SQS batch
    return {int(echoed["pid"])}
