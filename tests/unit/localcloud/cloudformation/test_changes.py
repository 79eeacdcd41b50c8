"""Change sets report what AWS reports: every change, its Replacement, why, and policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from messaging.ops.stack import default_template_path
from messaging.ops.stack.template import template_resources
from tests.support.cfn import apply, change_set, changes

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

INFRA = default_template_path().read_text()
# The services as Lambda functions need an uploaded artifact; these tests are about the
# data resources, so their stacks leave the functions out (`ServicesHost=external`).
KEPT = ("BufferIntervalSeconds", "BufferSizeMB", "VisibilityTimeoutSeconds", "ServicesHost")
EXTERNAL = {"ServicesHost": "external"}


def details(change: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            d["Target"].get("Name"),
            d["Target"]["RequiresRecreation"],
            d["Evaluation"],
            d["ChangeSource"],
            d.get("CausingEntity"),
        )
        for d in change["Details"]
    ]


def test_a_create_lists_every_resource_as_add(cfn: CloudFormationClient) -> None:
    described = change_set(cfn, "s", INFRA, {"NamePrefix": "c-"})
    assert described["Status"] == "CREATE_COMPLETE"
    assert {c["Action"] for c in changes(described).values()} == {"Add"}
    listed = [c["ResourceChange"]["LogicalResourceId"] for c in described["Changes"]]
    assert sorted(listed) == sorted(template_resources(INFRA))  # every one, once


def test_a_parameter_change_shows_the_resources_it_modifies_and_why(
    cfn: CloudFormationClient,
) -> None:
    apply(cfn, "s", INFRA, {"NamePrefix": "c-", **EXTERNAL})
    found = changes(
        change_set(cfn, "s", INFRA, {"MaxReceiveCount": "4"}, previous=("NamePrefix", *KEPT))
    )
    queue = found["OrdersQueue"]
    assert (queue["Action"], queue["Replacement"], queue["Scope"]) == (
        "Modify",
        "False",
        ["Properties"],
    )
    assert details(queue) == [
        ("RedrivePolicy", "Never", "Static", "ParameterReference", "MaxReceiveCount")
    ]
    assert queue["PhysicalResourceId"].endswith("/c-api-orders-created-consumer")
    # The subscription refers to the queue's Arn: AWS cannot know it stays, so it says
    # Dynamic, and Endpoint replaces a subscription: Conditional.
    subscription = found["OrdersSubscription"]
    assert subscription["Replacement"] == "Conditional"
    assert details(subscription) == [
        ("Endpoint", "Always", "Dynamic", "ResourceAttribute", "OrdersQueue.Arn")
    ]
    assert "OrdersConsumersTable" not in found  # nothing of it changes


def test_renaming_replaces_and_says_what_happens_to_the_old_resource(
    cfn: CloudFormationClient,
) -> None:
    apply(cfn, "s", INFRA, {"NamePrefix": "c-", **EXTERNAL})
    found = changes(change_set(cfn, "s", INFRA, {"NamePrefix": "d-", **EXTERNAL}))
    table = found["OrdersConsumersTable"]
    assert (table["Replacement"], table["PolicyAction"]) == ("True", "ReplaceAndRetain")
    assert details(table) == [("TableName", "Always", "Static", "ParameterReference", "NamePrefix")]
    queue = found["OrdersQueue"]
    assert (queue["Replacement"], queue["PolicyAction"]) == ("True", "ReplaceAndDelete")
    assert (
        "RedrivePolicy",
        "Never",
        "Dynamic",
        "ResourceAttribute",
        "OrdersDeadLetterQueue.Arn",
    ) in (details(queue))
    policy = found["LakeBucketPolicy"]
    assert ("Bucket", "Always", "Dynamic", "ResourceReference", "LakeBucket") in details(policy)
    assert found["TablesKey"]["Replacement"] == "False"


BUCKET_AND_ROLE = """
  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: BUCKET}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}
  Stream:
    Type: AWS::KinesisFirehose::DeliveryStream
    Properties:
      DeliveryStreamName: STREAM
      DeliveryStreamType: DirectPut
      DESTINATION: {BucketARN: !GetAtt Bucket.Arn, RoleARN: !GetAtt Role.Arn}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: TABLE
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: KEY, AttributeType: S}]
      KeySchema: [{AttributeName: KEY, KeyType: HASH}]
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: QUEUE}}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: TOPIC}}
"""
NAMES = {
    "BUCKET": "bucket-1",
    "STREAM": "stream-1",
    "DESTINATION": "ExtendedS3DestinationConfiguration",
    "TABLE": "table-1",
    "KEY": "id",
    "QUEUE": "queue-1",
    "TOPIC": "topic-1",
}


def body(**changed: str) -> str:
    text = "Resources:" + BUCKET_AND_ROLE
    for marker, value in {**NAMES, **changed}.items():
        text = text.replace(marker, value)
    return text


@pytest.mark.parametrize(
    ("changed", "logical_id", "replacement", "property_name"),
    [
        ({"TABLE": "table-2"}, "Table", "True", "TableName"),
        ({"KEY": "other"}, "Table", "True", "KeySchema"),
        ({"QUEUE": "queue-2"}, "Queue", "True", "QueueName"),
        ({"BUCKET": "bucket-2"}, "Bucket", "True", "BucketName"),
        ({"STREAM": "stream-2"}, "Stream", "True", "DeliveryStreamName"),
        ({"DESTINATION": "S3DestinationConfiguration"}, "Stream", "Conditional", None),
        ({"TOPIC": "topic-2"}, "Topic", "True", "TopicName"),
    ],
)
def test_replacement_is_reported_as_the_resource_reference_says(
    cfn: CloudFormationClient,
    changed: dict[str, str],
    logical_id: str,
    replacement: str,
    property_name: str | None,
) -> None:
    assert apply(cfn, "s", body()) == "CREATE_COMPLETE"
    found = changes(change_set(cfn, "s", body(**changed)))
    assert found[logical_id]["Replacement"] == replacement
    names = [d["Target"].get("Name") for d in found[logical_id]["Details"]]
    if property_name:
        assert property_name in names
    else:  # a new destination type: one destination goes, another comes
        assert sorted(names) == ["ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"]


def test_removed_resources_carry_the_action_their_deletion_policy_gives(
    cfn: CloudFormationClient,
) -> None:
    apply(cfn, "s", INFRA, EXTERNAL)
    without = INFRA.replace(
        "  PaymentsAccountsTable:",
        "  UnusedTable:\n    Condition: Never\n    Type: AWS::DynamoDB::Table\n  Was:",
    )
    without = without.replace("\nConditions:\n", "\nConditions:\n  Never: !Equals [a, b]\n", 1)
    without = without.replace("!Ref PaymentsAccountsTable", "!Ref OrdersConsumersTable")
    without = without.replace(
        "!GetAtt PaymentsAccountsTable.Arn", "!GetAtt OrdersConsumersTable.Arn"
    )
    found = changes(change_set(cfn, "s", without, EXTERNAL))
    assert found["PaymentsAccountsTable"]["Action"] == "Remove"
    assert found["PaymentsAccountsTable"]["PolicyAction"] == "Retain"  # RetainExceptOnCreate


def test_the_same_template_and_values_make_a_failed_change_set_as_on_aws(
    cfn: CloudFormationClient,
) -> None:
    apply(cfn, "s", INFRA, {"NamePrefix": "c-", **EXTERNAL})
    again = change_set(cfn, "s", INFRA, previous=("NamePrefix", "MaxReceiveCount", *KEPT))
    assert (again["Status"], again["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert again["StatusReason"].startswith("The submitted information didn't contain changes.")
