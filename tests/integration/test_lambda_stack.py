"""Functions, mappings and log groups from a template; `messaging status` and `logs` on them."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from typer.testing import CliRunner

from messaging.cli import app
from messaging.localcloud.server import LocalCloud
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.functions import FunctionStatus, function_status, log_events
from tests.support import wait_for
from tests.support.lambdas import package

pytestmark = pytest.mark.integration

TEMPLATE = """
Parameters:
  BatchSize: {Type: Number, Default: 10}
  MaximumConcurrency: {Type: Number, Default: 2}
  CodeBucket: {Type: String}
  Timeout: {Type: Number, Default: 5}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${AWS::StackName}-orders", RetentionInDays: 7}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Sub "${AWS::StackName}-q", VisibilityTimeout: 30}
  Function:
    Type: AWS::Lambda::Function
    DependsOn: Logs
    Properties:
      FunctionName: !Sub "${AWS::StackName}-orders"
      Runtime: python3.12
      Handler: handlers.partial
      Role: !GetAtt Role.Arn
      Timeout: !Ref Timeout
      Code: {S3Bucket: !Ref CodeBucket, S3Key: code.zip}
      Environment: {Variables: {MESSAGING_SERVICE: orders}}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Function
      EventSourceArn: !GetAtt Queue.Arn
      BatchSize: !Ref BatchSize
      FunctionResponseTypes: [ReportBatchItemFailures]
      ScalingConfig: {MaximumConcurrency: !Ref MaximumConcurrency}
  # What `messaging status` reads besides the function: one queue and one table stand
  # in for both services (and the DLQs), so the contract's outputs all resolve.
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Lake:
    Type: AWS::S3::Bucket
Outputs:
  OrdersFunctionName: {Value: !Ref Function}
  OrdersQueueUrl: {Value: !Ref Queue}
  PaymentsQueueUrl: {Value: !Ref Queue}
  OrdersDlqUrl: {Value: !Ref Queue}
  PaymentsDlqUrl: {Value: !Ref Queue}
  OrdersTableName: {Value: !Ref Table}
  PaymentsTableName: {Value: !Ref Table}
  LakeBucketName: {Value: !Ref Lake}
  TopicArn: {Value: not-read-by-status}
  DeliveryStreamName: {Value: not-read-by-status}
"""


def _settle(aws: Aws, name: str) -> str:
    def done() -> str | None:
        found = stack.describe_stack(aws.cloudformation(), name)
        status = str(found["StackStatus"]) if found else "GONE"
        return None if status.endswith("IN_PROGRESS") else status

    return wait_for(done, timeout=30)


def _status_shows_the_mapping(where: list[str], function: str) -> None:
    """`messaging status`: the function's row, and its figures in --json."""
    result = CliRunner().invoke(app, ["status", "--json", *where])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)["functions"]
    assert list(shown) == ["orders"]  # the stack runs only orders on Lambda
    assert shown["orders"]["function"] == function
    assert shown["orders"]["mapping_state"] == "Enabled"
    assert shown["orders"]["invocations"] >= 1
    assert shown["orders"]["sqs_requests"]["ReceiveMessage"] >= 1
    table = CliRunner().invoke(app, ["status", *where])
    assert table.exit_code == 0, table.output
    rows = {
        cells[0]: cells[1:]
        for line in table.output.splitlines()
        if len(cells := [cell.strip() for cell in line.split("│")[1:-1]]) == 2
    }
    assert rows["function"] == [function]
    assert rows["mapping"] == ["Enabled"]
    assert rows["backlog"] == ["0"]  # nothing waits in its queue
    assert rows["concurrency now/peak/max"][0] in {"0/1/2", "1/1/2"}  # one message, max 2
    assert int(rows["invocations"][0]) >= 1


def _logs_are_readable(aws: Aws, where: list[str], function: str) -> None:
    """`messaging logs`: START, output, REPORT; --follow adds each new line once."""
    result = CliRunner().invoke(app, ["logs", "orders", *where])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(" START RequestId: " in line for line in lines)
    assert any(" batch 1" in line for line in lines)
    assert any(" REPORT RequestId: " in line and "Billed Duration" in line for line in lines)

    # --follow: what was there, then a line that arrives while it waits, each once.
    before = [e.message for e in log_events(aws, function, since_ms=0)]
    group, stop, pauses = f"/aws/lambda/{function}", threading.Event(), []

    def pause(seconds: float) -> None:  # the first pause sees a new line; the next, Ctrl-C
        pauses.append(seconds)
        if len(pauses) > 1:
            stop.set()
            return
        logs = aws.client("logs")
        logs.create_log_stream(logGroupName=group, logStreamName="later")
        event = {"timestamp": int(time.time() * 1000), "message": "a later line"}
        logs.put_log_events(logGroupName=group, logStreamName="later", logEvents=[event])

    followed = log_events(aws, function, since_ms=0, follow=True, stop=stop, sleep=pause)
    assert [e.message for e in followed] == [*before, "a later line"]


def test_a_template_creates_updates_and_deletes_functions_and_mappings(
    cloud: LocalCloud, aws: Aws, name_prefix: str
) -> None:
    name = f"{name_prefix}lambda"
    s3 = aws.s3()
    bucket = f"{name_prefix}lambda-code"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code.zip", Body=package())
    cfn = aws.cloudformation()
    parameters: list[Any] = [
        {"ParameterKey": "CodeBucket", "ParameterValue": bucket},
        {"ParameterKey": "BatchSize", "ParameterValue": "10"},
    ]
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM"],
    )
    assert _settle(aws, name) == "CREATE_COMPLETE"
    outputs = stack.read_outputs(cfn, name)
    function = outputs["OrdersFunctionName"]
    aws.sqs().send_message(QueueUrl=outputs["OrdersQueueUrl"], MessageBody="ok-1")

    def invoked() -> FunctionStatus | None:
        found = function_status(aws, function)
        return found if found.invocations else None

    status = wait_for(invoked)
    assert status.mapping_state == "Enabled"
    assert (status.batch_size, status.maximum_concurrency) == (10, 2)
    assert status.sqs_requests is not None
    assert status.sqs_requests["ReceiveMessage"] >= 1
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")
    assert groups["logGroups"][0]["retentionInDays"] == 7  # the template's group is used

    where = ["--stack-name", name, "--endpoint-url", cloud.endpoint_url]
    _status_shows_the_mapping(where, function)
    _logs_are_readable(aws, where, function)

    parameters[1]["ParameterValue"] = "5"
    parameters.append({"ParameterKey": "Timeout", "ParameterValue": "4"})  # in place
    cfn.update_stack(
        StackName=name,
        TemplateBody=TEMPLATE,
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM"],
    )
    assert _settle(aws, name) == "UPDATE_COMPLETE"
    assert function_status(aws, function).batch_size == 5
    configuration = aws.client("lambda").get_function(FunctionName=function)["Configuration"]
    assert configuration["Timeout"] == 4

    cfn.delete_stack(StackName=name)
    _settle(aws, name)
    listed = aws.client("lambda").list_event_source_mappings(FunctionName=function)
    assert listed["EventSourceMappings"] == []


def test_logs_says_what_to_do_when_the_service_is_not_on_lambda(
    cloud: LocalCloud, aws: Aws, name_prefix: str
) -> None:
    name = f"{name_prefix}nolambda"
    body = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    aws.cloudformation().create_stack(StackName=name, TemplateBody=body)
    assert _settle(aws, name) == "CREATE_COMPLETE"
    result = CliRunner().invoke(
        app, ["logs", "orders", "--stack-name", name, "--endpoint-url", cloud.endpoint_url]
    )
    assert result.exit_code == 1
    assert "has no output OrdersFunctionName" in result.output
    assert "Traceback" not in result.output
