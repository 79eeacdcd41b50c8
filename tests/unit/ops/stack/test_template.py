"""Template parameters, checked and listed before anything reaches CloudFormation."""

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
        # How the services are hosted (issue 17): on Lambda unless told otherwise.
        "ServicesHost": "lambda",
        "ArtifactBucket": "",
        "ArtifactKey": "",
        "FunctionTimeoutSeconds": 5,
        "FunctionMemoryMB": 256,
        "BatchSize": 50,
        "MaximumBatchingWindowInSeconds": 1,
        "MaximumConcurrency": 5,
        "FunctionLogRetentionDays": 30,
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


DECLARED = stack.template_parameters(TEMPLATE)


def test_an_update_keeps_every_parameter_that_is_not_given() -> None:
    listed, kept = stack.parameter_list(
        DECLARED,
        {"BufferIntervalSeconds": "3"},
        {"NamePrefix": "dev-", "BufferIntervalSeconds": "9"},
    )
    assert listed == [
        {"ParameterKey": "BufferIntervalSeconds", "ParameterValue": "3"},
        {"ParameterKey": "NamePrefix", "UsePreviousValue": True},
    ]
    assert kept == ["NamePrefix"]


def test_a_create_and_a_reset_send_only_what_is_given() -> None:
    given = {"NamePrefix": "dev-"}
    assert stack.parameter_list(DECLARED, given, None) == (
        [{"ParameterKey": "NamePrefix", "ParameterValue": "dev-"}],
        [],
    )
    current = {"NamePrefix": "old-", "BufferIntervalSeconds": "9"}
    listed, kept = stack.parameter_list(DECLARED, given, current, reset=True)
    assert (listed, kept) == ([{"ParameterKey": "NamePrefix", "ParameterValue": "dev-"}], [])


def test_a_parameter_new_in_the_template_takes_its_default_not_a_previous_value() -> None:
    listed, kept = stack.parameter_list(DECLARED, {}, {"NamePrefix": "dev-"})
    assert kept == ["NamePrefix"]  # BufferIntervalSeconds was not in the stack: its default
    assert listed == [{"ParameterKey": "NamePrefix", "UsePreviousValue": True}]


def test_an_undeclared_parameter_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(stack.StackError, match="unknown parameters"):
        stack.parameter_list(DECLARED, {"Typo": "1"}, None)
