"""Stack updates: in place, replaced, cleaned up, rolled back, and continued."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from messaging.localcloud.cloudformation.inplace import UpdatableQueue
from tests.support.cfn import apply, change_set, resource_statuses

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

QUEUES = """
Parameters:
  Prefix: {Type: String, Default: a-}
  Visibility: {Type: Number, Default: 30}
  Receives: {Type: Number, Default: 3}
Resources:
  Dlq:
    Type: AWS::SQS::Queue
    UpdateReplacePolicy: Retain
    Properties: {QueueName: !Sub '${Prefix}dlq'}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${Prefix}q'
      VisibilityTimeout: !Ref Visibility
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: !Ref Receives}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: t, DisplayName: first}}
  Subscription:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: !GetAtt Queue.Arn}
Outputs:
  QueueUrl: {Value: !Ref Queue}
"""

UNSUPPORTED = """
  Pipe:
    Type: AWS::Pipes::Pipe
    DependsOn: Queue
    Properties: {Source: x, Target: y, RoleArn: z}
"""


def attributes(client: Any, queue: str) -> dict[str, str]:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    return dict(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])


def queue_names(client: Any) -> list[str]:
    urls = client("sqs").list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[1] for url in urls)


def test_an_in_place_update_applies_every_change_and_keeps_the_messages(
    cfn: CloudFormationClient, client: Any
) -> None:
    apply(cfn, "s", QUEUES)
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="a-q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    status = apply(cfn, "s", QUEUES, {"Visibility": "45", "Receives": "7"})
    assert status == "UPDATE_COMPLETE"
    after = attributes(client, "a-q")
    assert after["VisibilityTimeout"] == "45"
    assert '"maxReceiveCount": 7' in after["RedrivePolicy"]  # moto alone dropped this
    assert after["ApproximateNumberOfMessages"] == "1"
    assert sqs.get_queue_url(QueueName="a-q")["QueueUrl"] == url


def test_a_topic_updated_in_place_keeps_its_subscriptions(
    cfn: CloudFormationClient, client: Any
) -> None:
    apply(cfn, "s", QUEUES)
    apply(cfn, "s", QUEUES.replace("DisplayName: first", "DisplayName: second"))
    sns = client("sns")
    [topic] = sns.list_topics()["Topics"]
    assert sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["DisplayName"] == (
        "second"
    )
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]) == 1


def test_a_rename_creates_the_new_resource_first_and_cleans_up_per_policy(
    cfn: CloudFormationClient, client: Any
) -> None:
    apply(cfn, "s", QUEUES)
    assert apply(cfn, "s", QUEUES, {"Prefix": "b-"}) == "UPDATE_COMPLETE"
    # Queue: UpdateReplacePolicy Delete (the default); Dlq: Retain keeps the old one.
    assert queue_names(client) == ["a-dlq", "b-dlq", "b-q"]
    events = resource_statuses(cfn, "s")
    cleanup = events.index(("s", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert ("Queue", "DELETE_COMPLETE") in events[cleanup:]
    assert ("Dlq", "DELETE_SKIPPED") in events[cleanup:]
    [described] = cfn.describe_stacks(StackName="s")["Stacks"]
    assert described["Outputs"][0]["OutputValue"].endswith("/b-q")


def test_a_failed_update_rolls_back_to_exactly_what_was_there(
    cfn: CloudFormationClient, client: Any
) -> None:
    apply(cfn, "s", QUEUES)
    broken = QUEUES.replace("Outputs:", UNSUPPORTED.lstrip("\n") + "Outputs:")
    status = apply(cfn, "s", broken, {"Prefix": "b-", "Visibility": "50"})
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    assert queue_names(client) == ["a-dlq", "a-q"]  # what the update created is deleted
    assert attributes(client, "a-q")["VisibilityTimeout"] == "30"
    [described] = cfn.describe_stacks(StackName="s")["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert parameters["Prefix"] == "a-"
    assert described["Outputs"][0]["OutputValue"].endswith("/a-q")
    events = resource_statuses(cfn, "s")
    assert ("Pipe", "CREATE_FAILED") in events
    assert ("s", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS") in events
    assert apply(cfn, "s", QUEUES, {"Visibility": "40"}) == "UPDATE_COMPLETE"  # updatable again


def test_a_custom_named_resource_cannot_be_replaced_under_the_same_name(
    cfn: CloudFormationClient,
) -> None:
    table = """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: fixed
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: KEY, AttributeType: S}]
      KeySchema: [{AttributeName: KEY, KeyType: HASH}]
"""
    apply(cfn, "s", table.replace("KEY", "id"))
    assert apply(cfn, "s", table.replace("KEY", "other")) == "UPDATE_ROLLBACK_COMPLETE"
    failed = [
        e
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
        if e["ResourceStatus"] == "UPDATE_FAILED"
    ]
    assert "Rename fixed and update the stack again" in failed[0]["ResourceStatusReason"]


def test_a_change_the_local_cloud_cannot_apply_in_place_fails_with_its_name(
    cfn: CloudFormationClient,
) -> None:
    bucket = """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: bucket-b, VersioningConfiguration: {Status: Enabled}}
"""
    apply(cfn, "s", bucket)
    removed = bucket.replace(", VersioningConfiguration: {Status: Enabled}", "")
    assert apply(cfn, "s", removed) == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason") or ""
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
    ]
    assert any("VersioningConfiguration (removed)" in r for r in reasons)


def test_removed_resources_follow_their_deletion_policy(
    cfn: CloudFormationClient, client: Any
) -> None:
    body = """
Resources:
  Kept: {Type: AWS::SQS::Queue, DeletionPolicy: RetainExceptOnCreate, Properties: {QueueName: k}}
  Gone: {Type: AWS::SQS::Queue, Properties: {QueueName: g}}
  Stays: {Type: AWS::SQS::Queue, Properties: {QueueName: s}}
"""
    apply(cfn, "s", body)
    remaining = "Resources:\n  Stays: {Type: AWS::SQS::Queue, Properties: {QueueName: s}}\n"
    assert apply(cfn, "s", remaining) == "UPDATE_COMPLETE"
    assert queue_names(client) == ["k", "s"]
    [resource] = cfn.describe_stack_resources(StackName="s")["StackResources"]
    assert resource["LogicalResourceId"] == "Stays"


@pytest.fixture
def failing_rollback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Queue updates fail once the stack rolls back (the second update call)."""
    calls: list[str] = []
    original = UpdatableQueue.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update(cls: type, original_resource: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(original_resource.name)
        if len(calls) > 1:
            raise RuntimeError("the queue cannot go back")
        return original(cls, original_resource, *args, **kwargs)

    monkeypatch.setattr(UpdatableQueue, "update_from_cloudformation_json", classmethod(update))
    return calls


def test_a_rollback_that_fails_can_be_continued_skipping_what_cannot_go_back(
    cfn: CloudFormationClient, client: Any, failing_rollback: list[str]
) -> None:
    apply(cfn, "s", QUEUES)
    broken = QUEUES.replace("Outputs:", UNSUPPORTED.lstrip("\n") + "Outputs:")
    assert apply(cfn, "s", broken, {"Visibility": "50"}) == "UPDATE_ROLLBACK_FAILED"
    [described] = cfn.describe_stacks(StackName="s")["Stacks"]  # still answers
    assert described["StackStatusReason"] == "The following resource(s) failed to update: [Queue]. "
    with pytest.raises(ClientError) as stuck:
        change_set(cfn, "s", QUEUES, kind="UPDATE")
    assert "UPDATE_ROLLBACK_FAILED state and can not be updated" in str(stuck.value)
    with pytest.raises(ClientError) as not_failed:
        cfn.continue_update_rollback(StackName="s", ResourcesToSkip=["Dlq"])
    assert "only resources in UPDATE_FAILED state" in str(not_failed.value)
    cfn.continue_update_rollback(StackName="s")  # still fails: nothing skipped
    assert (
        cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    )
    cfn.continue_update_rollback(StackName="s", ResourcesToSkip=["Queue"])
    assert (
        cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    )
    assert attributes(client, "a-q")["VisibilityTimeout"] == "50"  # skipped: left as it was
    assert "Pipe" not in str(cfn.describe_stack_resources(StackName="s"))
    with pytest.raises(ClientError) as healthy:
        cfn.continue_update_rollback(StackName="s")
    assert "cannot be called from current stack status" in str(healthy.value)
