"""Custom resources: the stack waits for the provider's answer, as on AWS."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import requests
from moto.awslambda.models import LambdaFunction

from tests.support.cfn import resource_statuses
from tests.support.moto_state import REGION

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

TEMPLATE = {
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "Provider": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {"ZipFile": "def handler(event, context): pass"},
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Runtime": "python3.12",
            },
        },
        "Info": {
            "Type": "Custom::Info",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}},
        },
        "Named": {  # needs the provider's answer
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::GetAtt": ["Info", "TopicName"]}},
        },
    },
    "Outputs": {"Topic": {"Value": {"Fn::GetAtt": ["Named", "TopicName"]}}},
}


@pytest.fixture
def invoked(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The events sent to the provider (no Docker here: the invocation is recorded)."""
    events: list[dict[str, Any]] = []

    def record(self: LambdaFunction, body: str, *args: Any) -> None:
        events.append(json.loads(body))

    monkeypatch.setattr(LambdaFunction, "invoke", record)
    return events


def answer(stack_id: str, **fields: Any) -> None:
    url = f"http://cloudformation.{REGION}.amazonaws.com/cloudformation_{REGION}/cfnresponse"
    body = {"StackId": stack_id, "LogicalResourceId": "Info", **fields}
    requests.post(f"{url}?stack={stack_id}", json=body, timeout=10).raise_for_status()


def status(cfn: CloudFormationClient, name: str) -> str:
    return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])


def test_the_stack_waits_for_success_then_creates_the_dependents(
    cfn: CloudFormationClient, client: Any, invoked: list[dict[str, Any]]
) -> None:
    stack_id = cfn.create_stack(StackName="waits", TemplateBody=json.dumps(TEMPLATE))["StackId"]
    assert status(cfn, "waits") == "CREATE_IN_PROGRESS"
    [event] = invoked
    assert (event["RequestType"], event["LogicalResourceId"]) == ("Create", "Info")
    assert client("sns").list_topics()["Topics"] == []  # the dependent waits too
    answer(stack_id, Status="SUCCESS", PhysicalResourceId="info-1", Data={"TopicName": "given"})
    assert status(cfn, "waits") == "CREATE_COMPLETE"
    outputs = cfn.describe_stacks(StackName="waits")["Stacks"][0]["Outputs"]
    assert outputs == [{"OutputKey": "Topic", "OutputValue": "given"}]
    resources = cfn.describe_stack_resources(StackName="waits")["StackResources"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}["Info"] == "info-1"


def test_a_failed_answer_fails_the_resource_with_its_reason_and_rolls_back(
    cfn: CloudFormationClient, client: Any, invoked: list[dict[str, Any]]
) -> None:
    stack_id = cfn.create_stack(StackName="fails", TemplateBody=json.dumps(TEMPLATE))["StackId"]
    answer(stack_id, Status="FAILED", Reason="quota exceeded")
    assert status(cfn, "fails") == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="fails")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "Info"
    assert "Message returned: quota exceeded" in failed[0]["ResourceStatusReason"]
    assert ("Provider", "DELETE_COMPLETE") in resource_statuses(cfn, "fails")
    assert client("lambda").list_functions()["Functions"] == []
