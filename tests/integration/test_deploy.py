"""Deploys that keep values, preview, refuse data loss, survive lost answers and get out
of every failed state: the ops API over HTTP against a local cloud."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.localcloud.cloudformation.inplace import UpdatableQueue
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.stack.changeset import create_change_set, execute_change_set

pytestmark = pytest.mark.integration

INFRA = stack.default_template_path().read_text()
QUEUE = """
Parameters:
  Name: {Type: String}
  Visibility: {Type: Number, Default: 30}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Ref Name, VisibilityTimeout: !Ref Visibility}
Outputs:
  QueueUrl: {Value: !Ref Queue}
"""


# The services as Lambda functions need an uploaded artifact (`messaging deploy` builds
# it); these tests are about the rest of the stack, so it leaves the functions out.
EXTERNAL = {"ServicesHost": "external"}


def deploy(
    aws: Aws, name: str, body: str, params: dict[str, str], **kwargs: Any
) -> stack.DeployResult:
    return stack.deploy(aws.cloudformation(), name, body, params, sleep=lambda _: None, **kwargs)


def parameters(aws: Aws, name: str) -> dict[str, str]:
    return stack.stack_parameters(stack.describe_stack(aws.cloudformation(), name) or {})


def test_an_update_keeps_what_it_is_not_given_and_replaces_nothing(
    aws: Aws, name_prefix: str
) -> None:
    name = f"{name_prefix}keep"
    deploy(aws, name, INFRA, {"NamePrefix": name_prefix, "BufferIntervalSeconds": "3", **EXTERNAL})
    table = f"{name_prefix}orders-consumers"
    aws.dynamodb().put_item(TableName=table, Item={"consumer_id": {"S": "c-1"}})

    result = deploy(aws, name, INFRA, {"MaxReceiveCount": "4"})

    assert result.status == "UPDATE_COMPLETE"
    assert "NamePrefix" in result.kept
    assert parameters(aws, name)["NamePrefix"] == name_prefix
    assert parameters(aws, name)["BufferIntervalSeconds"] == "3"
    assert [c.logical_id for c in result.changes if c.replacement == "True"] == []
    assert {c.logical_id for c in result.changes} >= {"OrdersQueue", "PaymentsQueue"}
    assert aws.dynamodb().get_item(TableName=table, Key={"consumer_id": {"S": "c-1"}})["Item"]


def test_a_rename_is_previewed_refused_and_applied_only_when_allowed(
    aws: Aws, name_prefix: str
) -> None:
    name = f"{name_prefix}rename"
    deploy(aws, name, INFRA, {"NamePrefix": name_prefix, **EXTERNAL})
    table = f"{name_prefix}orders-consumers"
    aws.dynamodb().put_item(TableName=table, Item={"consumer_id": {"S": "c-1"}})
    cfn = aws.cloudformation()
    events_before = len(cfn.describe_stack_events(StackName=name)["StackEvents"])
    change_sets_before = cfn.list_change_sets(StackName=name)["Summaries"]
    renamed = {"NamePrefix": f"{name_prefix}x-"}

    preview = stack.preview(cfn, name, INFRA, renamed, sleep=lambda _: None)

    changes = {c.logical_id: c for c in preview.changes}
    assert changes["OrdersConsumersTable"].replacement == "True"
    assert changes["OrdersConsumersTable"].changed == ["TableName"]
    assert {r.logical_id for r in preview.risks} == {
        "OrdersConsumersTable",
        "PaymentsAccountsTable",
        "LakeBucket",
        "AccessLogsBucket",
        "OrdersQueue",
        "PaymentsQueue",
        "OrdersDeadLetterQueue",
        "PaymentsDeadLetterQueue",
    }
    assert len(cfn.describe_stack_events(StackName=name)["StackEvents"]) == events_before
    assert cfn.list_change_sets(StackName=name)["Summaries"] == change_sets_before
    with pytest.raises(stack.DataLossRefusedError) as refused:
        deploy(aws, name, INFRA, renamed)
    assert "OrdersConsumersTable (AWS::DynamoDB::Table " in str(refused.value)
    assert parameters(aws, name)["NamePrefix"] == name_prefix

    result = deploy(aws, name, INFRA, renamed, allow_data_loss=True)

    assert result.outputs["OrdersTableName"] == f"{name_prefix}x-orders-consumers"
    # UpdateReplacePolicy Retain: the old table and its item are still there.
    assert aws.dynamodb().get_item(TableName=table, Key={"consumer_id": {"S": "c-1"}})["Item"]


def test_a_preview_of_a_new_stack_leaves_nothing_behind(aws: Aws, name_prefix: str) -> None:
    cfn = aws.cloudformation()
    preview = stack.preview(cfn, f"{name_prefix}new", QUEUE, {"Name": f"{name_prefix}q"})
    assert (preview.change_set_type, [c.action for c in preview.changes]) == ("CREATE", ["Add"])
    assert stack.describe_stack(cfn, f"{name_prefix}new") is None


def test_a_failed_first_deploy_is_reported_described_and_created_again(
    aws: Aws, name_prefix: str
) -> None:
    name = f"{name_prefix}first"
    cfn = aws.cloudformation()
    # Valid parameters (bad ones are refused before anything exists): a topic of the same
    # name already exists, so creating the stack's fails and the stack rolls back.
    taken = aws.sns().create_topic(Name=f"{name_prefix}created-consumer")["TopicArn"]
    with pytest.raises(stack.DeployError) as failed:
        deploy(aws, name, INFRA, {"NamePrefix": name_prefix, **EXTERNAL})
    assert "ROLLBACK_COMPLETE" in str(failed.value)
    assert any(e.status == "CREATE_FAILED" for e in failed.value.events)
    described = stack.describe_stack(cfn, name)  # the real template has outputs: no 500
    assert described is not None
    assert "Outputs" not in described
    with pytest.raises(stack.StackError, match="failed to create: ROLLBACK_COMPLETE"):
        stack.read_outputs(cfn, name)

    aws.sns().delete_topic(TopicArn=taken)
    result = deploy(aws, name, INFRA, {"NamePrefix": name_prefix, **EXTERNAL})

    assert result.status == "CREATE_COMPLETE"
    assert result.notes == ["deleted the failed stack (ROLLBACK_COMPLETE) to create it again"]
    assert stack.stack_outputs(cfn, name).OrdersTableName == f"{name_prefix}orders-consumers"


def test_an_answer_lost_after_the_call_was_served_is_recognised(aws: Aws, name_prefix: str) -> None:
    cfn = aws.cloudformation()
    name = f"{name_prefix}lost"
    parameters_ = [{"ParameterKey": "Name", "ParameterValue": f"{name_prefix}q"}]
    first = create_change_set(cfn, name, "cs-1", QUEUE, parameters_, "CREATE")  # type: ignore[arg-type]
    assert create_change_set(cfn, name, "cs-1", QUEUE, parameters_, "CREATE") == first  # type: ignore[arg-type]
    assert execute_change_set(cfn, first[0]) is None
    note = execute_change_set(cfn, first[0])  # the retry of a served call
    assert note is not None
    assert "already EXECUTE_COMPLETE, so it ran once" in note


def test_a_stuck_rollback_is_continued_only_when_asked(
    aws: Aws, name_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, queue = f"{name_prefix}stuck", f"{name_prefix}q"
    deploy(aws, name, QUEUE, {"Name": queue})
    original = UpdatableQueue.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    calls: list[int] = []

    def update(cls: type, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the update goes through; rolling it back does not
            raise RuntimeError("cannot go back")
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(UpdatableQueue, "update_from_cloudformation_json", classmethod(update))
    broken = QUEUE.replace(
        "Outputs:", "  Pipe: {Type: AWS::Pipes::Pipe, DependsOn: Queue}\nOutputs:"
    )
    with pytest.raises(stack.DeployError, match="UPDATE_ROLLBACK_FAILED"):
        deploy(aws, name, broken, {"Visibility": "50"})
    with pytest.raises(stack.DeployError, match="--continue-rollback") as stuck:
        deploy(aws, name, QUEUE, {"Visibility": "60"})
    assert [e.logical_id for e in stuck.value.events] == ["Queue"]

    result = deploy(
        aws, name, QUEUE, {"Visibility": "60"}, continue_rollback=True, skip_resources=["Queue"]
    )

    assert result.status == "UPDATE_COMPLETE"
    assert result.notes[0].startswith("continued the failed rollback")
