"""AWS::IAM::ManagedPolicy: created, updated in place or replaced, and deleted with its stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.cloudformation import parsing
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends

from messaging.localcloud.cloudformation.managed_policy import StackManagedPolicy
from messaging.localcloud.cloudformation.resources import UnsupportedPropertyError
from tests.support.moto_state import ACCOUNT, REGION

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sts:*"}
        ],
    }
)


def document(action: str = "sns:Publish") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }


def iam() -> Any:
    return iam_backends[ACCOUNT]["aws"]


def create(properties: dict[str, Any], name: str = "stack-Publisher-ABC") -> StackManagedPolicy:
    return StackManagedPolicy.create_from_cloudformation_json(
        name, {"Properties": properties}, ACCOUNT, REGION
    )


def update(resource: StackManagedPolicy, properties: dict[str, Any]) -> StackManagedPolicy:
    return StackManagedPolicy.update_from_cloudformation_json(
        resource, "stack-Publisher-DEF", {"Properties": properties}, ACCOUNT, REGION
    )


def default_document(arn: str) -> Any:
    policy = iam().get_policy(arn)
    version = next(v for v in policy.versions if v.is_default)
    return json.loads(version.document)


def test_the_type_maps_to_this_model() -> None:
    assert parsing.get_model_map()["AWS::IAM::ManagedPolicy"] is StackManagedPolicy


def test_create_makes_the_policy_and_ref_is_its_arn() -> None:
    resource = create({"PolicyDocument": document(), "Description": "publish"})
    policy = iam().get_policy(resource.physical_resource_id)
    assert policy.name == "stack-Publisher-ABC"
    assert resource.physical_resource_id.endswith(":policy/stack-Publisher-ABC")
    assert resource.get_cfn_attribute("PolicyArn") == resource.physical_resource_id
    assert resource.get_cfn_attribute("DefaultVersionId") == "v1"


def test_delete_removes_it_after_detaching_what_the_resource_attached() -> None:
    iam().create_role("r", TRUST, "/", None, "", [], None)
    resource = create({"PolicyDocument": document(), "Roles": ["r"]})
    assert resource.physical_resource_id in iam().get_role("r").managed_policies
    resource.delete(ACCOUNT, REGION)
    with pytest.raises(NotFoundException):
        iam().get_policy(resource.physical_resource_id)
    assert not iam().get_role("r").managed_policies


def test_a_new_document_is_a_new_default_version_in_place() -> None:
    resource = create({"PolicyDocument": document()})
    arn = resource.physical_resource_id
    updated = update(resource, {"PolicyDocument": document("sns:Subscribe")})
    assert updated.physical_resource_id == arn
    assert default_document(arn) == document("sns:Subscribe")
    for n in range(6):  # IAM keeps five versions: older ones make room
        update(updated, {"PolicyDocument": document(f"sns:Action{n}")})
    assert len(iam().get_policy(arn).versions) == 5
    assert default_document(arn) == document("sns:Action5")


def test_roles_are_attached_and_detached_to_match() -> None:
    for role in ("a", "b"):
        iam().create_role(role, TRUST, "/", None, "", [], None)
    resource = create({"PolicyDocument": document(), "Roles": ["a"]})
    update(resource, {"PolicyDocument": document(), "Roles": ["b"]})
    assert not iam().get_role("a").managed_policies
    assert resource.physical_resource_id in iam().get_role("b").managed_policies


def test_a_new_description_replaces_the_policy() -> None:
    resource = create({"PolicyDocument": document(), "Description": "one"})
    replacement = update(resource, {"PolicyDocument": document(), "Description": "two"})
    assert replacement.physical_resource_id != resource.physical_resource_id
    with pytest.raises(NotFoundException):
        iam().get_policy(resource.physical_resource_id)
    assert iam().get_policy(replacement.physical_resource_id).description == "two"


def test_a_property_it_cannot_honour_fails_the_stack() -> None:
    with pytest.raises(UnsupportedPropertyError, match="Tags"):
        create({"PolicyDocument": document(), "Tags": [{"Key": "k", "Value": "v"}]})
