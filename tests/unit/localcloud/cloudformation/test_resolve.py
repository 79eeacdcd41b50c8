"""Template values evaluated without creating anything; dependency order."""

from __future__ import annotations

from typing import Any

import pytest
from moto.cloudformation.exceptions import ValidationError

from messaging.localcloud.cloudformation.resolve import (
    Scope,
    Unknown,
    creation_order,
    dependencies,
    first_unknown,
    resolve,
)


def scope(**overrides: Any) -> Scope:
    physical = {"Queue": "https://q/queue", "Key": "key-1"}
    values: dict[str, Any] = {
        "parameters": {"NamePrefix": "dev-", "Zones": ["a", "b"], "Env": "prod"},
        "pseudo": {"AWS::AccountId": "123456789012", "AWS::Region": "eu-west-1"},
        "reference": lambda name: physical.get(name) or Unknown("ResourceReference", name),
        "attribute": lambda name, attr: f"arn:{name}:{attr}",
        "conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "mappings": {"Sizes": {"prod": {"Mb": 5}}},
    }
    values.update(overrides)
    return Scope(**values)


def test_sub_reads_parameters_pseudo_parameters_and_attributes() -> None:
    node = {"Fn::Sub": "${NamePrefix}lake-${AWS::AccountId}-${AWS::Region}/${Queue.Arn}${!Lit}"}
    assert resolve(node, scope()) == "dev-lake-123456789012-eu-west-1/arn:Queue:Arn${Lit}"
    assert resolve({"Fn::Sub": ["${X}-x", {"X": {"Ref": "Key"}}]}, scope()) == "key-1-x"


def test_a_value_that_only_the_update_knows_is_unknown_with_its_cause() -> None:
    node = {"Endpoint": {"Fn::Sub": "${NamePrefix}${Later}"}, "Other": "x"}
    resolved = resolve(node, scope())
    assert resolved["Other"] == "x"
    assert first_unknown(resolved) == Unknown("ResourceReference", "Later")


def test_functions_conditions_mappings_and_no_value() -> None:
    node = {
        "Joined": {"Fn::Join": ["-", [{"Ref": "NamePrefix"}, "x"]]},
        "Picked": {"Fn::Select": [1, {"Ref": "Zones"}]},
        "Split": {"Fn::Split": [",", "a,b"]},
        "If": {"Fn::If": ["IsProd", "big", "small"]},
        "Gone": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "kept"]},
        "Mapped": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Mb"]},
        "Opaque": {"Fn::ImportValue": "shared"},
    }
    assert resolve(node, scope()) == {
        "Joined": "dev--x",
        "Picked": "b",
        "Split": ["a", "b"],
        "If": "big",
        "Mapped": 5,
        "Opaque": {"Fn::ImportValue": "shared"},
    }


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
    assert dependencies(resources)["Sub"] == {"Topic", "Queue"}


def test_a_cycle_is_a_validation_error_naming_the_resources() -> None:
    resources = {"A": {"Properties": {"x": {"Ref": "B"}}}, "B": {"DependsOn": ["A"]}}
    with pytest.raises(ValidationError, match=r"Circular dependency.*A.*B"):
        creation_order(resources)
