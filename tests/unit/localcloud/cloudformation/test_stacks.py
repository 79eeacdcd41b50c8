"""Dependency order and type support checks of the stack plug-in."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError

from messaging.localcloud.cloudformation.overrides import HardenedBucket, HardenedTable
from messaging.localcloud.cloudformation.stacks import creation_order, unsupported_types
from messaging.ops.stack import default_template_path

INFRA = default_template_path()


def test_refs_getatts_subs_and_depends_on_come_first() -> None:
    resources: dict[str, Any] = {
        "Sub": {
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
            }
        },
        "Policy": {"Properties": {"Doc": {"Fn::Sub": "${Queue.Arn} ${Topic} ${AWS::Region}"}}},
        "Queue": {"Properties": {"Redrive": {"Fn::GetAtt": "Dlq.Arn"}}},
        "Stream": {"DependsOn": "Role", "Properties": {}},
        "Role": {"Properties": {}},
        "Dlq": {"Properties": {}},
        "Topic": {"Properties": {}},
    }
    order = creation_order(resources)
    assert sorted(order) == sorted(resources)
    position = {name: index for index, name in enumerate(order)}
    assert position["Topic"] < position["Sub"]
    assert position["Queue"] < position["Sub"]
    assert position["Dlq"] < position["Queue"] < position["Policy"]
    assert position["Role"] < position["Stream"]


def test_a_cycle_is_a_validation_error_naming_the_resources() -> None:
    resources = {"A": {"Properties": {"x": {"Ref": "B"}}}, "B": {"DependsOn": ["A"]}}
    with pytest.raises(ValidationError, match=r"Circular dependency.*A.*B"):
        creation_order(resources)


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
