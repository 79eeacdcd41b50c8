"""In-place updates that apply what they accept: roles, keys, tables."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.cfn import apply

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

SECURITY = """
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: DESCRIPTION
      EnableKeyRotation: ROTATION
      KeyPolicy:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: 'kms:*', Resource: '*'}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: r
      Description: DESCRIPTION
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: firehose.amazonaws.com}, Action: 'sts:AssumeRole'}
      Policies:
        - PolicyName: POLICY
          PolicyDocument:
            Version: '2012-10-17'
            Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: '*'}]
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: t
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: PITR}
Outputs:
  KeyId: {Value: !Ref Key}
"""


def body(description: str, rotation: str, policy: str, pitr: str) -> str:
    text = SECURITY.replace("DESCRIPTION", description).replace("ROTATION", rotation)
    return text.replace("POLICY", policy).replace("PITR", pitr)


def test_key_role_and_table_are_updated_in_place(cfn: CloudFormationClient, client: Any) -> None:
    apply(cfn, "s", body("one", "false", "read", "false"))
    key_id = cfn.describe_stacks(StackName="s")["Stacks"][0]["Outputs"][0]["OutputValue"]
    kms = client("kms")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "one"  # no HTTP 500
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])

    assert apply(cfn, "s", body("two", "true", "fetch", "true")) == "UPDATE_COMPLETE"

    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "two"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    iam = client("iam")
    assert iam.get_role(RoleName="r")["Role"]["Description"] == "two"
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == ["fetch"]
    backups = client("dynamodb").describe_continuous_backups(TableName="t")
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


TOPIC = "  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: shared-topic}}\n"
QUEUE = "  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: shared-queue}}\n"


@pytest.mark.parametrize(
    ("first", "failed_type"),
    [(QUEUE + TOPIC, "AWS::SQS::Queue"), (TOPIC + QUEUE, "AWS::SNS::Topic")],
)
def test_a_name_another_stack_uses_fails_the_stack_and_leaves_the_other_alone(
    cfn: CloudFormationClient, client: Any, first: str, failed_type: str
) -> None:
    body = "Resources:\n" + first
    apply(cfn, "first", body)
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="shared-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="the first stack's")

    assert apply(cfn, "second", body) == "ROLLBACK_COMPLETE"

    reasons = [
        e.get("ResourceStatusReason") or ""
        for e in cfn.describe_stack_events(StackName="second")["StackEvents"]
    ]
    assert any(f"Resource of type '{failed_type}' with identifier" in r for r in reasons)
    topics = [t["TopicArn"].rsplit(":", 1)[1] for t in client("sns").list_topics()["Topics"]]
    assert topics == ["shared-topic"]
    url = sqs.get_queue_url(QueueName="shared-queue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_a_topics_inline_subscriptions_are_updated_in_place(
    cfn: CloudFormationClient, client: Any
) -> None:
    # moto's test_sns_update_topic: AWS applies a changed Subscription list without
    # interruption; a subscription made outside the property stays.
    template = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
        "      TopicName: inline\n      Subscription:\n"
        "        - {Protocol: https, Endpoint: ENDPOINT}\n"
    )
    assert apply(cfn, "t", template.replace("ENDPOINT", "https://a.example")) == "CREATE_COMPLETE"
    sns = client("sns")
    arn = sns.list_topics()["Topics"][0]["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://other.example")
    updated = template.replace("ENDPOINT", "https://b.example")
    assert apply(cfn, "t", updated) == "UPDATE_COMPLETE"
    endpoints = sorted(s["Endpoint"] for s in sns.list_subscriptions()["Subscriptions"])
    assert endpoints == ["https://b.example", "https://other.example"]


def test_a_deleted_key_waits_its_pending_window(cfn: CloudFormationClient, client: Any) -> None:
    # AWS::KMS::Key's PendingWindowInDays applies when CloudFormation deletes the key.
    template = (
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n"
        "      PendingWindowInDays: 7\n      KeyPolicy: {Version: '2012-10-17', Statement: []}\n"
    )
    assert apply(cfn, "k", template) == "CREATE_COMPLETE"
    [key_id] = [k["KeyId"] for k in client("kms").list_keys()["Keys"]]
    cfn.delete_stack(StackName="k")
    metadata = client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    days = (metadata["DeletionDate"] - metadata["CreationDate"]).days
    assert days in (6, 7)  # the deletion date is 7 days after deletion, which is now


def encrypted_table(key: str) -> str:
    return f"""
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: sealed
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
      SSESpecification: {{SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: {key}}}
"""


@pytest.mark.parametrize("by_arn", [False, True])
def test_a_tables_key_named_by_alias_is_described_by_the_keys_arn(
    cfn: CloudFormationClient, client: Any, by_arn: bool
) -> None:
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/tables", TargetKeyId=key["KeyId"])
    alias = "alias/tables"
    if by_arn:
        alias = key["Arn"].replace(f":key/{key['KeyId']}", ":alias/tables")
    assert apply(cfn, "sealed", encrypted_table(alias)) == "CREATE_COMPLETE"
    described = client("dynamodb").describe_table(TableName="sealed")["Table"]
    assert described["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]


def test_an_alias_that_names_no_key_fails_the_table_with_the_reason(
    cfn: CloudFormationClient,
) -> None:
    assert apply(cfn, "unsealed", encrypted_table("alias/missing")) == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="unsealed")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Table"]
    assert "alias/missing" in failed[0]["ResourceStatusReason"]
