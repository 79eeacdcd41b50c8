"""`messaging deploy | outputs | destroy` against `messaging up`, as a team uses them:
previous values kept, a preview, no silent replacement, and failed stacks left behind."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.processes import BIN, Cloud, start_cloud

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    running = start_cloud("--no-deploy")
    yield running
    running.stop()


def cli(cloud: Cloud, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BIN / "messaging"), *args],
        env=cloud.env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def parameters(cloud: Cloud, name: str) -> dict[str, str]:
    [described] = cloud.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


def test_values_are_kept_and_a_rename_is_previewed_then_refused(cloud: Cloud) -> None:
    name = ["--stack-name", "safe"]
    created = cli(cloud, "deploy", *name, "-p", "NamePrefix=safe-", "-p", "BufferIntervalSeconds=1")
    assert created.returncode == 0, created.stderr
    table = {"TableName": "safe-orders-consumers"}
    dynamodb = cloud.client("dynamodb")
    dynamodb.put_item(**table, Item={"consumer_id": {"S": "c-1"}})

    updated = cli(cloud, "deploy", *name, "-p", "MaxReceiveCount=4", "--json")

    assert updated.returncode == 0, updated.stderr
    result = json.loads(updated.stdout)
    assert result["status"] == "UPDATE_COMPLETE"
    assert "NamePrefix" in result["kept"]
    assert [c["logical_id"] for c in result["changes"] if c["replacement"] == "True"] == []
    kept = parameters(cloud, "safe")
    assert (kept["NamePrefix"], kept["MaxReceiveCount"], kept["BufferIntervalSeconds"]) == (
        "safe-",
        "4",
        "1",
    )
    assert dynamodb.get_item(**table, Key={"consumer_id": {"S": "c-1"}})["Item"]

    cfn = cloud.client("cloudformation")
    history = len(cfn.describe_stack_events(StackName="safe")["StackEvents"])
    previewed = cli(cloud, "deploy", *name, "-p", "NamePrefix=other-", "--dry-run", "--json")
    assert previewed.returncode == 0, previewed.stderr
    preview: dict[str, Any] = json.loads(previewed.stdout)
    [table_change] = [c for c in preview["changes"] if c["logical_id"] == "OrdersConsumersTable"]
    assert table_change["replacement"] == "True"
    assert [p["name"] for p in table_change["properties"]] == ["TableName"]
    assert len(cfn.describe_stack_events(StackName="safe")["StackEvents"]) == history
    assert parameters(cloud, "safe")["NamePrefix"] == "safe-"

    refused = cli(cloud, "deploy", *name, "-p", "NamePrefix=other-")

    assert refused.returncode == 1
    [error] = errors(refused)
    assert "OrdersConsumersTable (AWS::DynamoDB::Table safe-orders-consumers): replaced" in error
    assert "--allow-data-loss" in error
    assert parameters(cloud, "safe")["NamePrefix"] == "safe-"
    assert len(cfn.describe_stack_events(StackName="safe")["StackEvents"]) == history


def test_a_failed_first_deploy_is_described_reported_replaced_and_destroyed(cloud: Cloud) -> None:
    name = ["--stack-name", "fb"]
    # Valid parameters (bad ones are refused before anything exists): the stack's topic
    # name is taken, so its creation fails and the stack rolls back.
    taken = cloud.client("sns").create_topic(Name="fb-created-consumer")["TopicArn"]
    failed = cli(cloud, "deploy", *name, "-p", "NamePrefix=fb-")
    assert failed.returncode == 1
    assert "ROLLBACK_COMPLETE" in errors(failed)[0]
    [described] = cloud.client("cloudformation").describe_stacks(StackName="fb")["Stacks"]
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"  # described, not an HTTP 500

    reported = cli(cloud, "outputs", *name)

    assert reported.returncode == 1
    [error] = errors(reported)
    assert "stack fb failed to create: ROLLBACK_COMPLETE" in error
    assert "run `messaging deploy` again" in error

    cloud.client("sns").delete_topic(TopicArn=taken)
    fixed = cli(cloud, "deploy", *name, "-p", "NamePrefix=fb-")
    assert fixed.returncode == 0, fixed.stderr
    assert "deleted the failed stack (ROLLBACK_COMPLETE)" in fixed.stderr
    assert "CREATE_COMPLETE" in fixed.stdout
    assert "AWS::KinesisFirehose::DeliveryStream" in fixed.stdout  # progress per resource
    again = cli(cloud, "deploy", *name, "-p", "NamePrefix=fb-")
    assert "No changes" in again.stdout
    shown = json.loads(cli(cloud, "outputs", *name, "--json").stdout)
    # The contract of DESIGN.md, plus AccessLogsBucketName, PublisherPolicyArn and, with
    # the services on Lambda (the default), each function's name.
    assert len(shown) == 13
    assert {"OrdersFunctionName", "PaymentsFunctionName"} <= set(shown)
    cloud.client("dynamodb").put_item(
        TableName=shown["OrdersTableName"], Item={"consumer_id": {"S": "c-1"}}
    )

    declined = cli(cloud, "destroy", *name, stdin="n\n")
    assert declined.returncode != 0
    assert "1 items" in declined.stdout  # said what it would delete before asking
    destroyed = cli(cloud, "destroy", *name, "--yes")

    assert destroyed.returncode == 0, destroyed.stderr
    assert "Deleted stack fb" in destroyed.stdout
    assert shown["OrdersTableName"] not in cloud.client("dynamodb").list_tables()["TableNames"]
    gone = cli(cloud, "outputs", *name)
    assert gone.returncode == 1
    assert "does not exist" in errors(gone)[0]
