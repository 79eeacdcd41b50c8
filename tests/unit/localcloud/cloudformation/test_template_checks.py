"""Template errors CloudFormation answers synchronously: a ValidationError, no stack."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

TOPIC = {"Type": "AWS::SNS::Topic"}


def refused(cfn: CloudFormationClient, template: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(ClientError) as error:
        cfn.create_stack(StackName="checked", TemplateBody=json.dumps(template), **kwargs)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert cfn.list_stacks()["StackSummaries"] == []  # nothing was created
    return str(error.value.response["Error"]["Message"])


@pytest.mark.parametrize(
    ("resources", "outputs", "expected"),
    [
        (
            {"Topic": {**TOPIC, "Properties": {"TopicName": {"Ref": "Nowhere"}}}},
            {},
            "Template format error: Unresolved resource dependencies [Nowhere] in the "
            "Resources block of the template",
        ),
        (
            {"Topic": {**TOPIC, "Properties": {"TopicName": {"Fn::Sub": "${Nowhere}-t"}}}},
            {},
            "Template format error: Unresolved resource dependencies [Nowhere] in the "
            "Resources block of the template",
        ),
        (
            {"Topic": {**TOPIC, "DependsOn": "Nowhere"}},
            {},
            "Template format error: Unresolved resource dependencies [Nowhere] in the "
            "Resources block of the template",
        ),
        (
            {"Topic": TOPIC},
            {"Out": {"Value": {"Ref": "Nowhere"}}},
            "Template format error: Unresolved resource dependencies [Nowhere] in the "
            "Outputs block of the template",
        ),
        (
            {"Topic": {**TOPIC, "Properties": {"TopicName": {"Fn::GetAtt": ["Ghost", "Arn"]}}}},
            {},
            "Template error: instance of Fn::GetAtt references undefined resource Ghost",
        ),
        (
            {"Topic": {**TOPIC, "Properties": {"TopicName": {"Fn::Sub": "${Ghost.Arn}"}}}},
            {},
            "Template error: instance of Fn::GetAtt references undefined resource Ghost",
        ),
        (
            {"Topic": {**TOPIC, "Properties": {"TopicName": {"Fn::ImportValue": "missing"}}}},
            {},
            "No export named missing found.",
        ),
    ],
)
def test_reference_errors_are_answered_at_once(
    cfn: CloudFormationClient, resources: dict[str, Any], outputs: dict[str, Any], expected: str
) -> None:
    assert refused(cfn, {"Resources": resources, "Outputs": outputs}) == expected


def test_an_output_of_a_resource_whose_condition_is_false_is_unresolved(
    cfn: CloudFormationClient,
) -> None:
    template = {
        "Parameters": {"Make": {"Type": "String", "Default": "no"}},
        "Conditions": {"Wanted": {"Fn::Equals": [{"Ref": "Make"}, "yes"]}},
        "Resources": {"Topic": {**TOPIC, "Condition": "Wanted"}, "Other": TOPIC},
        "Outputs": {
            "Arn": {"Value": {"Ref": "Topic"}},
            "Either": {"Value": {"Fn::If": ["Wanted", {"Ref": "Topic"}, {"Ref": "Other"}]}},
        },
    }
    assert refused(cfn, template) == (
        "Unresolved resource dependencies [Topic] in the Outputs block of the template"
    )
    cfn.create_stack(
        StackName="fine",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Make", "ParameterValue": "yes"}],
    )
    outputs = cfn.describe_stacks(StackName="fine")["Stacks"][0]["Outputs"]
    assert {o["OutputKey"] for o in outputs} == {"Arn", "Either"}


def test_an_existing_export_and_pseudo_parameters_pass(cfn: CloudFormationClient) -> None:
    exporting = {
        "Resources": {"Topic": TOPIC},
        "Outputs": {"Arn": {"Value": {"Ref": "Topic"}, "Export": {"Name": "shared-topic"}}},
    }
    cfn.create_stack(StackName="exporter", TemplateBody=json.dumps(exporting))
    importing = {
        "Resources": {
            "Named": {
                **TOPIC,
                "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}},
            },
            "Policy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "Topics": [{"Fn::ImportValue": {"Fn::Sub": "shared-${Kind}"}}],
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": []},
                },
            },
        },
        "Parameters": {"Kind": {"Type": "String", "Default": "topic"}},
    }
    cfn.create_stack(StackName="importer", TemplateBody=json.dumps(importing))
    status = cfn.describe_stacks(StackName="importer")["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
