"""Deploys against `messaging up --fault-rate 0.3`: throttles, 5xx and connections dropped
before or after the call was served. Each deploy either succeeds or fails with a clear
message, and no change set is ever applied twice."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from messaging.ops import stack
from messaging.ops.aws import Aws, default_config
from messaging.ops.settings import Settings
from tests.support.processes import BIN, Cloud, start_cloud

pytestmark = pytest.mark.e2e

# Seeded: requests arrive one at a time, so the same faults hit the same calls each run.
SEED = "14"
SMALL = """
Parameters:
  Visibility: {Type: Number, Default: 30}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: faulty-q, VisibilityTimeout: !Ref Visibility}
Outputs:
  QueueUrl: {Value: !Ref Queue}
"""


@pytest.fixture(scope="module")
def faulty() -> Iterator[Cloud]:
    running = start_cloud("--no-deploy", "--fault-rate", "0.3", "--fault-seed", SEED)
    yield running
    running.stop()


def session(cloud: Cloud) -> Aws:
    """What `messaging deploy` makes: standard retries, ten attempts."""
    settings = Settings(endpoint_url=cloud.endpoint, region="us-east-1")
    return Aws(
        settings, config=default_config(max_attempts=10), placeholder_credentials=("e2e", "e2e")
    )


def stack_level(cloud: Cloud, name: str) -> list[str]:
    cfn = session(cloud).cloudformation()
    pages = cfn.get_paginator("describe_stack_events").paginate(StackName=name)
    events = [e for page in pages for e in page["StackEvents"]]
    return [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == name]


def test_twenty_deploys_in_a_row_each_apply_their_change_set_once(faulty: Cloud) -> None:
    outcomes: list[str] = []
    notes: list[str] = []
    cfn = session(faulty).cloudformation()
    for n in range(20):
        try:
            result = stack.deploy(cfn, "faulty", SMALL, {"Visibility": str(30 + n)})
        except (stack.StackError, ClientError, BotoCoreError) as error:
            message = str(error)
            assert message
            assert "\n" not in message
            outcomes.append("failed")
            continue
        outcomes.append(result.status)
        notes += result.notes

    assert outcomes == ["CREATE_COMPLETE"] + ["UPDATE_COMPLETE"] * 19
    # Some ExecuteChangeSet answers were lost after the update ran; the retry was refused
    # (InvalidChangeSetStatus) and recognised.
    assert any("answer to ExecuteChangeSet was lost" in note for note in notes)
    statuses = stack_level(faulty, "faulty")
    assert statuses.count("CREATE_IN_PROGRESS") == 1
    assert statuses.count("UPDATE_IN_PROGRESS") == 19  # one execution per deploy, no more
    sqs = session(faulty).sqs()
    url = sqs.get_queue_url(QueueName="faulty-q")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "49"


def test_infra_yaml_deploys_and_updates_under_the_same_faults(faulty: Cloud) -> None:
    created = subprocess.run(
        [str(BIN / "messaging"), "deploy", "--stack-name", "infra", "-p", "NamePrefix=f-"],
        env=faulty.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "Traceback" not in created.stderr

    updated = stack.deploy(
        session(faulty).cloudformation(),
        "infra",
        stack.default_template_path().read_text(),
        {"MaxReceiveCount": "4"},
    )

    assert updated.status == "UPDATE_COMPLETE"
    assert "NamePrefix" in updated.kept
    assert stack_level(faulty, "infra").count("UPDATE_IN_PROGRESS") == 1
