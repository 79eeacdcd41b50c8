"""A stack the local cloud cannot build fails with a reason; it is never "created"."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from messaging.ops import stack
from messaging.ops.aws import Aws

pytestmark = pytest.mark.integration

WITH_UNSUPPORTED_TYPE = """
Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: PREFIXtopic}}
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: PREFIXqueue}}
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties: {Source: !GetAtt Queue.Arn, Target: !Ref Topic, RoleArn: arn:aws:iam::1:role/r}
"""

WITH_UNSUPPORTED_PROPERTY = """
Resources:
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: PREFIXqueue}}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: PREFIXbucket, NotificationConfiguration: {}}
"""

WITH_PLUGIN_TYPES = """
Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: PREFIXtopic}}
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: PREFIXqueue}}
  Policy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument: {Version: "2012-10-17", Statement: []}
  Sub:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: !GetAtt Queue.Arn}
Outputs:
  SubRef: {Value: !Ref Sub}
  SubArn: {Value: !GetAtt Sub.Arn}
  PolicyRef: {Value: !Ref Policy}
  PolicyId: {Value: !GetAtt Policy.Id}
"""


def deploy(aws: Aws, name: str, body: str) -> stack.DeployResult:
    return stack.deploy(aws.cloudformation(), name, body, {}, sleep=lambda _: None)


def test_unsupported_type_fails_the_stack_and_rolls_back(aws: Aws, name_prefix: str) -> None:
    body = WITH_UNSUPPORTED_TYPE.replace("PREFIX", name_prefix)
    with pytest.raises(stack.DeployError) as failure:
        deploy(aws, f"{name_prefix}stack", body)
    [event] = failure.value.events
    assert (event.logical_id, event.status) == ("Pipe", "CREATE_FAILED")
    assert "AWS::Pipes::Pipe not supported by the local cloud" in (event.reason or "")
    described = aws.cloudformation().describe_stacks(StackName=f"{name_prefix}stack")
    assert described["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    queues = aws.sqs().list_queues(QueueNamePrefix=name_prefix).get("QueueUrls", [])
    topics = [t["TopicArn"] for t in aws.sns().list_topics()["Topics"]]
    assert queues == []
    assert not [t for t in topics if t.endswith(f":{name_prefix}topic")]

    fixed = body.split("  Pipe:")[0]
    result = deploy(aws, f"{name_prefix}stack", fixed)  # replaces the rolled-back stack
    assert result.status == "CREATE_COMPLETE"


def test_unsupported_property_fails_with_its_name(aws: Aws, name_prefix: str) -> None:
    body = WITH_UNSUPPORTED_PROPERTY.replace("PREFIX", name_prefix)
    with pytest.raises(stack.DeployError) as failure:
        deploy(aws, f"{name_prefix}stack", body)
    [event] = failure.value.events
    assert event.logical_id == "Bucket"
    assert "NotificationConfiguration" in (event.reason or "")


def test_plugin_types_answer_ref_and_getatt_as_on_aws(aws: Aws, name_prefix: str) -> None:
    result = deploy(aws, f"{name_prefix}stack", WITH_PLUGIN_TYPES.replace("PREFIX", name_prefix))
    outputs = result.outputs
    assert outputs["SubRef"] == outputs["SubArn"]
    assert outputs["SubArn"].startswith(f"arn:aws:sns:us-east-1:123456789012:{name_prefix}topic:")
    assert outputs["PolicyRef"] == outputs["PolicyId"]
    assert outputs["PolicyId"].startswith(f"{name_prefix}stack-Policy-")


def test_firehose_api_refuses_a_prefix_aws_refuses(aws: Aws) -> None:
    with pytest.raises(ClientError) as refused:
        aws.firehose().create_delivery_stream(
            DeliveryStreamName="bad-prefix",
            ExtendedS3DestinationConfiguration={
                "BucketARN": "arn:aws:s3:::b",
                "RoleARN": "arn:aws:iam::123456789012:role/r",
                "Prefix": "day=!{timestamp:yyyy-MM-dd}/",
            },
        )
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "ErrorOutputPrefix" in refused.value.response["Error"]["Message"]


WITH_BUCKET_AND_POLICY = """
Resources:
  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: PREFIXbucket}}
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*",
             Condition: {Bool: {"aws:SecureTransport": "false"}}}
Outputs:
  PolicyRef: {Value: !Ref Policy}
"""


def test_a_non_empty_bucket_fails_the_stack_deletion_as_on_aws(
    aws: Aws, name_prefix: str, destroy_clients: stack.DestroyClients
) -> None:
    name = f"{name_prefix}stack"
    result = deploy(aws, name, WITH_BUCKET_AND_POLICY.replace("PREFIX", name_prefix))
    bucket = f"{name_prefix}bucket"
    assert result.outputs["PolicyRef"] == bucket
    s3 = aws.s3()
    assert '"aws:SecureTransport": "false"' in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")  # a TLS-only policy lets loopback in
    cfn = aws.cloudformation()
    cfn.delete_stack(StackName=name)
    [described] = cfn.describe_stacks(StackName=name)["Stacks"]
    assert described["StackStatus"] == "DELETE_FAILED"
    assert described["StackStatusReason"] == (
        "The following resource(s) failed to delete: [Bucket]. "
    )
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [
        e
        for e in events
        if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Bucket"
    ]
    assert "BucketNotEmpty" in failed[0]["ResourceStatusReason"]
    # The policy needs the bucket: it was deleted first (dependents first), the bucket stays.
    statuses = {e["LogicalResourceId"]: e["ResourceStatus"] for e in reversed(events)}
    assert statuses["Policy"] == "DELETE_COMPLETE"
    # destroy leaves DELETE_FAILED the AWS way: it empties the bucket and deletes again.
    done = stack.destroy(destroy_clients, name, sleep=lambda _: None)
    assert (done.existed, done.objects_deleted) == (True, 1)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
