"""The stack backend: type support, change sets, failed creates, deletion policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml
from botocore.exceptions import ClientError
from moto.cloudformation import parsing

from messaging.localcloud.cloudformation.overrides import HardenedBucket, HardenedTable
from messaging.localcloud.cloudformation.support import unsupported_types
from messaging.ops.stack import default_template_path
from tests.support.cfn import apply, change_set, resource_statuses

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

INFRA = default_template_path()


def test_unknown_types_are_reported_and_custom_ones_are_not() -> None:
    assert unsupported_types(
        [
            "AWS::SQS::Queue",
            "AWS::Pipes::Pipe",
            "Custom::Thing",
            "AWS::CloudFormation::WaitConditionHandle",
        ]
    ) == ["AWS::Pipes::Pipe"]


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, short-form intrinsics included."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_every_resource_type_in_infra_yaml_has_a_model() -> None:
    template = yaml.load(INFRA.read_text(), Loader=_CfnLoader)  # noqa: S506
    types = {body["Type"] for body in template["Resources"].values()}
    model_map = parsing.get_model_map()
    assert types <= set(model_map), sorted(types - set(model_map))
    assert unsupported_types(types) == []


def test_our_bucket_model_replaces_motos() -> None:
    assert parsing.get_model_map()["AWS::S3::Bucket"] is HardenedBucket


def test_our_table_model_replaces_motos() -> None:
    assert parsing.get_model_map()["AWS::DynamoDB::Table"] is HardenedTable


# -- the API, in-process --------------------------------------------------------------

QUEUES = """
Parameters:
  Prefix: {Type: String, Default: a-}
  Visibility: {Type: Number, Default: 30}
Resources:
  Dlq: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${Prefix}dlq'}}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${Prefix}q'
      VisibilityTimeout: !Ref Visibility
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
Outputs:
  QueueUrl: {Value: !Ref Queue}
"""

FAILS_AFTER_A_QUEUE = """
Resources:
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: doomed-q}}
  Kept: {Type: AWS::SQS::Queue, DeletionPolicy: Retain, Properties: {QueueName: kept-q}}
  Gone:
    Type: AWS::SQS::Queue
    DeletionPolicy: RetainExceptOnCreate
    Properties: {QueueName: gone-q}
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: [Queue, Kept, Gone]
    Properties: {BucketName: doomed-b, NotificationConfiguration: {}}
Outputs:
  QueueUrl: {Value: !Ref Queue}
  BucketArn: {Value: !GetAtt Bucket.Arn}
"""


def error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def queue_names(client: Any) -> list[str]:
    return [url.rsplit("/", 1)[1] for url in client("sqs").list_queues().get("QueueUrls", [])]


def test_a_retried_create_change_set_with_its_client_token_answers_the_same_one(
    cfn: CloudFormationClient,
) -> None:
    def create(token: str | None) -> Any:
        extra: dict[str, Any] = {"ClientToken": token} if token else {}
        return cfn.create_change_set(
            StackName="s", ChangeSetName="cs", ChangeSetType="CREATE", TemplateBody=QUEUES, **extra
        )

    first = create("token-1")
    assert create("token-1")["Id"] == first["Id"]  # a retry after a lost answer
    for other in ("token-2", None):
        with pytest.raises(ClientError) as refused:
            create(other)
        assert error(refused) == ("AlreadyExistsException", "ChangeSet [cs] already exists")
    assert len(cfn.list_change_sets(StackName="s")["Summaries"]) == 1


def test_a_second_execute_is_refused_and_the_change_set_ran_once(
    cfn: CloudFormationClient,
) -> None:
    described = change_set(cfn, "s", QUEUES)
    cfn.execute_change_set(ChangeSetName=described["ChangeSetId"])
    with pytest.raises(ClientError) as refused:
        cfn.execute_change_set(ChangeSetName=described["ChangeSetId"])
    code, message = error(refused)
    assert code == "InvalidChangeSetStatus"
    assert message.endswith(
        "cannot be executed in its current execution status of [EXECUTE_COMPLETE]"
    )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    starts = [e for e in resource_statuses(cfn, "s") if e == ("s", "CREATE_IN_PROGRESS")]
    assert len(starts) == 1
    again = cfn.describe_change_set(ChangeSetName=described["ChangeSetId"])
    assert again["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_executing_a_change_set_discards_the_stacks_other_change_sets(
    cfn: CloudFormationClient,
) -> None:
    apply(cfn, "s", QUEUES)
    first = change_set(cfn, "s", QUEUES, {"Visibility": "40"})
    second = change_set(cfn, "s", QUEUES, {"Visibility": "50"})
    cfn.execute_change_set(ChangeSetName=second["ChangeSetId"])
    with pytest.raises(ClientError) as gone:
        cfn.describe_change_set(ChangeSetName=first["ChangeSetId"])
    assert error(gone)[0] == "ChangeSetNotFound"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as not_there:
        cfn.delete_change_set(ChangeSetName="never-made")
    assert error(not_there) == ("ChangeSetNotFound", "ChangeSet [never-made] does not exist")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ([{"ParameterKey": "Typo", "ParameterValue": "1"}], "Parameters: [Typo] do not exist"),
        (
            [{"ParameterKey": "Prefix", "UsePreviousValue": True, "ParameterValue": "x"}],
            "Cannot specify usePreviousValue as true and non empty value",
        ),
        (
            [{"ParameterKey": "Extra", "UsePreviousValue": True}],
            "Cannot specify usePreviousValue as true for a parameter key not in the previous",
        ),
    ],
)
def test_parameters_are_checked_when_the_change_set_is_created(
    cfn: CloudFormationClient, parameters: list[Any], message: str
) -> None:
    apply(cfn, "s", QUEUES)
    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(
            StackName="s",
            ChangeSetName="bad",
            ChangeSetType="UPDATE",
            TemplateBody=QUEUES.replace("Visibility: {", "Extra: {Type: String}\n  Visibility: {"),
            Parameters=parameters,
        )
    code, text = error(refused)
    assert code == "ValidationError"
    assert message in text


def test_a_parameter_without_a_default_must_be_given(cfn: CloudFormationClient) -> None:
    body = QUEUES.replace("Prefix: {Type: String, Default: a-}", "Prefix: {Type: String}")
    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(StackName="s", ChangeSetName="c", TemplateBody=body)
    assert error(refused) == ("ValidationError", "Parameters: [Prefix] must have values")


def test_use_previous_value_keeps_a_value_an_omitted_one_goes_back_to_its_default(
    cfn: CloudFormationClient, client: Any
) -> None:
    apply(cfn, "s", QUEUES, {"Prefix": "b-", "Visibility": "40"})
    apply(cfn, "s", QUEUES, {"Visibility": "45"}, previous=("Prefix",))
    assert sorted(queue_names(client)) == ["b-dlq", "b-q"]
    apply(cfn, "s", QUEUES, {"Prefix": "b-"})  # Visibility omitted: back to its default
    [described] = cfn.describe_stacks(StackName="s")["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    assert parameters == {"Prefix": "b-", "Visibility": "30"}


def test_a_failed_create_rolls_back_and_describing_it_still_works(
    cfn: CloudFormationClient, client: Any
) -> None:
    status = apply(cfn, "s", FAILS_AFTER_A_QUEUE)
    assert status == "ROLLBACK_COMPLETE"
    [described] = cfn.describe_stacks(StackName="s")["Stacks"]  # no HTTP 500
    assert "Outputs" not in described  # of resources that do not exist: left out
    assert "StackStatusReason" not in described  # the final status carries no reason
    assert cfn.describe_stack_resources(StackName="s")["StackResources"] == []
    assert cfn.describe_stacks()["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    # Retain keeps a resource through the rollback; RetainExceptOnCreate does not.
    assert queue_names(client) == ["kept-q"]
    events = resource_statuses(cfn, "s")
    assert ("Kept", "DELETE_SKIPPED") in events
    assert ("Gone", "DELETE_COMPLETE") in events
    with pytest.raises(ClientError) as refused:
        change_set(cfn, "s", QUEUES, kind="UPDATE")
    assert "is in ROLLBACK_COMPLETE state and can not be updated" in error(refused)[1]


def test_a_create_change_set_on_a_live_stack_is_refused(cfn: CloudFormationClient) -> None:
    apply(cfn, "s", QUEUES)
    with pytest.raises(ClientError) as refused:
        change_set(cfn, "s", QUEUES, kind="CREATE")
    assert "Stack [s] already exists and cannot be created again" in error(refused)[1]
    with pytest.raises(ClientError) as missing:
        change_set(cfn, "nothing", QUEUES, kind="UPDATE")
    assert error(missing)[0] == "ValidationError"


def test_deletion_keeps_what_the_policies_retain(cfn: CloudFormationClient, client: Any) -> None:
    body = QUEUES.replace(
        "Dlq: {Type: AWS::SQS::Queue,",
        "Dlq: {Type: AWS::SQS::Queue, DeletionPolicy: RetainExceptOnCreate,",
    )
    apply(cfn, "s", body)
    cfn.delete_stack(StackName="s")
    assert queue_names(client) == ["a-dlq"]
    assert ("Dlq", "DELETE_SKIPPED") in resource_statuses(
        cfn, cfn.list_stacks()["StackSummaries"][0]["StackId"]
    )


def test_retain_resources_is_only_for_a_stack_whose_deletion_failed(
    cfn: CloudFormationClient, client: Any
) -> None:
    body = "Resources:\n  B: {Type: AWS::S3::Bucket, Properties: {BucketName: full}}\n"
    apply(cfn, "s", body)
    with pytest.raises(ClientError) as refused:
        cfn.delete_stack(StackName="s", RetainResources=["B"])
    assert "only be specified when the stack is in the DELETE_FAILED state" in error(refused)[1]
    client("s3").put_object(Bucket="full", Key="k", Body=b"v")
    cfn.delete_stack(StackName="s")
    [described] = cfn.describe_stacks(StackName="s")["Stacks"]
    assert described["StackStatus"] == "DELETE_FAILED"
    cfn.delete_stack(StackName="s", RetainResources=["B"])
    assert cfn.list_stacks()["StackSummaries"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert [b["Name"] for b in client("s3").list_buckets()["Buckets"]] == ["full"]
