"""Template parameter handling, before anything reaches CloudFormation."""

from __future__ import annotations

import pytest

from messaging.ops import stack

TEMPLATE = """
Parameters:
  NamePrefix: {Type: String, Default: ''}
  BufferIntervalSeconds: {Type: Number, Default: 60}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Sub '${NamePrefix}t'}
"""


def test_template_parameters_reads_short_form_intrinsics() -> None:
    assert set(stack.template_parameters(TEMPLATE)) == {"NamePrefix", "BufferIntervalSeconds"}


def test_infra_yaml_declares_the_contract_parameters() -> None:
    declared = stack.template_parameters(stack.default_template_path().read_text())
    assert declared.keys() >= {
        "NamePrefix",
        "BufferIntervalSeconds",
        "BufferSizeMB",
        "MaxReceiveCount",
        "VisibilityTimeoutSeconds",
    }
    defaults = {key: declared[key]["Default"] for key in declared}
    assert defaults == {
        "NamePrefix": "",
        "BufferIntervalSeconds": 60,
        "BufferSizeMB": 5,
        "MaxReceiveCount": 5,
        "VisibilityTimeoutSeconds": 30,
    }


def test_parse_parameters_keeps_values_with_equals_signs() -> None:
    declared = stack.template_parameters(TEMPLATE)
    parsed = stack.parse_parameters(["NamePrefix=a=b", "BufferIntervalSeconds=3"], declared)
    assert parsed == {"NamePrefix": "a=b", "BufferIntervalSeconds": "3"}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (
            "Typo=1",
            "unknown parameter 'Typo'; the template declares: BufferIntervalSeconds, NamePrefix",
        ),
        ("NamePrefix", "is not KEY=VALUE"),
        ("=1", "is not KEY=VALUE"),
    ],
)
def test_parse_parameters_rejects_what_cloudformation_would(pair: str, message: str) -> None:
    with pytest.raises(stack.StackError, match=message):
        stack.parse_parameters([pair], stack.template_parameters(TEMPLATE))


def test_stack_outputs_names_the_missing_outputs() -> None:
    with pytest.raises(ValueError, match="LakeBucketName"):
        stack.StackOutputs.model_validate({"TopicArn": "arn"})
