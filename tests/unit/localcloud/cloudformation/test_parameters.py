"""Parameters validated as CloudFormation does: before anything exists, in AWS's words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from moto.cloudformation.exceptions import ValidationError

from messaging.localcloud.cloudformation.parameters import validate_parameters
from messaging.ops.stack import default_template_path
from tests.support.cfn import apply

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_cloudformation import CloudFormationClient

INFRA = default_template_path().read_text(encoding="utf-8")
PARAMETERS: dict[str, Any] = {
    "Name": {"Type": "String", "AllowedPattern": "[a-z]+", "MinLength": 2, "MaxLength": 5},
    "Count": {"Type": "Number", "MinValue": 1, "MaxValue": 10, "Default": 3},
    "Mode": {"Type": "String", "AllowedValues": ["fast", "slow"], "Default": "fast"},
    "Sizes": {"Type": "List<Number>", "MaxValue": 100, "Default": "1,2"},
    "Zones": {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"], "Default": "a"},
    "Vpc": {"Type": "AWS::EC2::VPC::Id", "Default": "vpc-0123456789abcdef0"},
    "Secret": {"Type": "String", "NoEcho": True, "Default": "hidden"},
}


def message(given: dict[str, str], declared: dict[str, Any] | None = None) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_parameters({"Parameters": declared or PARAMETERS}, given)
    return str(refused.value.message)


def test_valid_values_and_defaults_pass() -> None:
    validate_parameters({"Parameters": PARAMETERS}, {"Name": "abc"})
    validate_parameters(
        {"Parameters": PARAMETERS},
        {"Name": "ab", "Count": "10", "Mode": "slow", "Sizes": "100, 2.5", "Zones": "a,b"},
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"Name": "ABC"}, "Parameter 'Name' must match pattern [a-z]+"),
        ({"Name": "ab1"}, "Parameter 'Name' must match pattern [a-z]+"),  # the whole value
        ({"Name": "a"}, "Parameter 'Name' must contain at least 2 characters"),
        ({"Name": "abcdef"}, "Parameter 'Name' must contain at most 5 characters"),
        ({"Name": "ab", "Count": "0"}, "Parameter 'Count' must be a number not less than 1"),
        ({"Name": "ab", "Count": "11"}, "Parameter 'Count' must be a number not greater than 10"),
        ({"Name": "ab", "Count": "abc"}, "Parameter 'Count' must be a number"),
        ({"Name": "ab", "Mode": "medium"}, "Parameter 'Mode' must be one of AllowedValues"),
        ({"Name": "ab", "Sizes": "1,x"}, "Parameter 'Sizes' must be a list of numbers"),
        ({"Name": "ab", "Sizes": "1,101"}, "Parameter 'Sizes' must be a number not greater than"),
        ({"Name": "ab", "Zones": "a,c"}, "Parameter 'Zones' must be one of AllowedValues"),
        ({"Name": "ab", "Vpc": "my-vpc"}, "Parameter 'Vpc' value 'my-vpc' is not a valid"),
        ({"Name": "ab", "Extra": "1"}, "Parameters: [Extra] do not exist in the template"),
        ({}, "Parameters: [Name] must have values"),
    ],
)
def test_each_constraint_fails_in_cloudformations_words(
    given: dict[str, str], expected: str
) -> None:
    assert message(given).startswith(expected)


def test_a_constraint_description_replaces_the_reason() -> None:
    declared = {"P": {"Type": "String", "AllowedPattern": "[a-z]+", "ConstraintDescription":
                      "must be lowercase letters only"}}  # fmt: skip
    assert message({"P": "X"}, declared) == "Parameter 'P' must be lowercase letters only"


def test_a_bad_default_is_refused_too_and_unknown_types_are_template_errors() -> None:
    assert message({}, {"N": {"Type": "Number", "Default": "x"}}) == (
        "Parameter 'N' must be a number"
    )
    assert message({"N": "1"}, {"N": {"Type": "Integer"}}) == (
        "Template format error: Unrecognized parameter type: Integer"
    )


# -- through the API, with infra.yaml: refused synchronously, nothing created ------------


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("NamePrefix", "UPPER", "Parameter 'NamePrefix' must be empty, or 1-20 lowercase"),
        ("BufferSizeMB", "0", "Parameter 'BufferSizeMB' must be a number not less than 1"),
        ("BufferIntervalSeconds", "abc", "Parameter 'BufferIntervalSeconds' must be a number"),
        (
            "VisibilityTimeoutSeconds",
            "99999",
            "Parameter 'VisibilityTimeoutSeconds' must be a number not greater than 43200",
        ),
        ("Undeclared", "1", "Parameters: [Undeclared] do not exist in the template"),
    ],
)
def test_create_stack_refuses_bad_parameters_before_creating_anything(
    cfn: CloudFormationClient,
    client: Callable[[str], Any],
    parameter: str,
    value: str,
    expected: str,
) -> None:
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(
            StackName="bad",
            TemplateBody=INFRA,
            Parameters=[{"ParameterKey": parameter, "ParameterValue": value}],
            Capabilities=["CAPABILITY_IAM"],
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Message"].startswith(expected)
    assert cfn.list_stacks()["StackSummaries"] == []
    assert client("s3").list_buckets()["Buckets"] == []
    assert client("sqs").list_queues().get("QueueUrls", []) == []


def test_change_sets_and_updates_validate_the_same_way(cfn: CloudFormationClient) -> None:
    template = (
        "Parameters:\n  Size: {Type: Number, MinValue: 1, Default: 1}\n"
        "Resources:\n  Topic: {Type: 'AWS::SNS::Topic'}\n"
    )
    bad: Any = [{"ParameterKey": "Size", "ParameterValue": "0"}]
    refused = pytest.raises(ClientError, match="must be a number not less than 1")
    with refused:
        cfn.create_change_set(
            StackName="s", ChangeSetName="c", TemplateBody=template, Parameters=bad
        )
    assert cfn.list_stacks()["StackSummaries"] == []  # no REVIEW_IN_PROGRESS stack left
    assert apply(cfn, "s", template) == "CREATE_COMPLETE"
    with refused:
        cfn.update_stack(StackName="s", TemplateBody=template, Parameters=bad)
    with refused:
        cfn.create_change_set(
            StackName="s", ChangeSetName="u", TemplateBody=template, Parameters=bad,
            ChangeSetType="UPDATE",
        )  # fmt: skip
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_no_echo_values_are_masked_in_describe_stacks(cfn: CloudFormationClient) -> None:
    template = (
        "Parameters:\n"
        "  Given: {Type: String, NoEcho: true}\n"
        "  Defaulted: {Type: String, NoEcho: true, Default: hidden}\n"
        "  Plain: {Type: String, Default: shown}\n"
        "Resources:\n  Topic: {Type: 'AWS::SNS::Topic'}\n"
    )
    cfn.create_stack(
        StackName="quiet",
        TemplateBody=template,
        Parameters=[{"ParameterKey": "Given", "ParameterValue": "secret"}],
    )
    described = cfn.describe_stacks(StackName="quiet")["Stacks"][0]["Parameters"]
    values = {p["ParameterKey"]: p["ParameterValue"] for p in described}
    assert values == {"Given": "****", "Defaulted": "****", "Plain": "shown"}
