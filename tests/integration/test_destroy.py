"""destroy: a deletion that failed is retried or retains what cannot go; data kept on request."""

from __future__ import annotations

import pytest

from messaging.ops import stack
from messaging.ops.aws import Aws

pytestmark = pytest.mark.integration

BUCKET = """
Resources:
  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: PREFIXbucket}}
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: PREFIXqueue}}
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: RetainExceptOnCreate
    Properties:
      TableName: PREFIXtable
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
"""


def create(aws: Aws, name: str, prefix: str) -> None:
    body = BUCKET.replace("PREFIX", prefix)
    stack.deploy(aws.cloudformation(), name, body, {}, sleep=lambda _: None)


def test_a_failed_deletion_can_retain_what_cannot_be_deleted(
    aws: Aws, name_prefix: str, destroy_clients: stack.DestroyClients
) -> None:
    name, bucket = f"{name_prefix}stack", f"{name_prefix}bucket"
    create(aws, name, name_prefix)
    with pytest.raises(stack.StackError, match="applies once a deletion has failed"):
        stack.destroy(destroy_clients, name, retain=["Bucket"], sleep=lambda _: None)
    aws.s3().put_object(Bucket=bucket, Key="k", Body=b"v")
    cfn = aws.cloudformation()
    cfn.delete_stack(StackName=name)  # not emptied first: DELETE_FAILED, as on AWS
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "DELETE_FAILED"

    done = stack.destroy(destroy_clients, name, retain=["Bucket"], sleep=lambda _: None)

    assert done.kept == ["Bucket"]
    assert stack.describe_stack(cfn, name) is None
    assert aws.s3().get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_keep_data_deletes_the_stack_and_keeps_what_the_policies_retain(
    aws: Aws, name_prefix: str, destroy_clients: stack.DestroyClients
) -> None:
    name = f"{name_prefix}stack"
    create(aws, name, name_prefix)

    done = stack.destroy(destroy_clients, name, keep_data=True, sleep=lambda _: None)

    assert done.kept == ["Table"]  # RetainExceptOnCreate; the bucket's policy is Delete
    assert f"{name_prefix}table" in aws.dynamodb().list_tables()["TableNames"]
    assert f"{name_prefix}bucket" not in [b["Name"] for b in aws.s3().list_buckets()["Buckets"]]
    assert stack.describe_stack(aws.cloudformation(), name) is None
