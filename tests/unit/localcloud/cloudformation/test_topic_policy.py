"""AWS::SNS::TopicPolicy: sets each topic's policy, puts the default back on delete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.cloudformation import parsing
from moto.sns.exceptions import TopicNotFound
from moto.sns.models import sns_backends

from messaging.localcloud.cloudformation.resources import UnsupportedPropertyError
from messaging.localcloud.cloudformation.topic_policy import TopicPolicyResource
from tests.support.moto_state import ACCOUNT, REGION

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowPublishThroughSSLOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def sns() -> Any:
    return sns_backends[ACCOUNT][REGION]


def policy_of(arn: str) -> dict[str, Any]:
    return dict(json.loads(sns().get_topic(arn).policy))


def create(properties: dict[str, Any], name: str = "stack-Policy-1") -> TopicPolicyResource:
    return TopicPolicyResource.create_from_cloudformation_json(
        name, {"Properties": properties}, ACCOUNT, REGION
    )


def test_the_type_is_known_to_moto_parser() -> None:
    assert parsing.get_model_map()["AWS::SNS::TopicPolicy"] is TopicPolicyResource


def test_each_listed_topic_gets_the_policy_and_ref_is_the_id() -> None:
    a, b = sns().create_topic("a").arn, sns().create_topic("b").arn
    resource = create({"Topics": [a, b], "PolicyDocument": TLS_ONLY})
    assert policy_of(a) == TLS_ONLY
    assert policy_of(b) == TLS_ONLY
    assert resource.physical_resource_id == "stack-Policy-1"
    assert resource.get_cfn_attribute("Id") == "stack-Policy-1"


def test_a_policy_given_as_a_json_string_is_the_same_policy() -> None:
    arn = sns().create_topic("a").arn
    create({"Topics": [arn], "PolicyDocument": json.dumps(TLS_ONLY)})
    assert policy_of(arn) == TLS_ONLY


def test_delete_puts_the_default_policy_back() -> None:
    arn = sns().create_topic("a").arn
    default = policy_of(arn)
    create({"Topics": [arn], "PolicyDocument": TLS_ONLY}).delete(ACCOUNT, REGION)
    assert policy_of(arn) == default


def test_a_topic_dropped_by_an_update_gets_its_default_back() -> None:
    a, b = sns().create_topic("a").arn, sns().create_topic("b").arn
    default_b = policy_of(b)
    original = create({"Topics": [a, b], "PolicyDocument": TLS_ONLY})
    updated = TopicPolicyResource.update_from_cloudformation_json(
        original, "x", {"Properties": {"Topics": [a], "PolicyDocument": TLS_ONLY}}, ACCOUNT, REGION
    )
    assert updated.topics == [a]
    assert policy_of(a) == TLS_ONLY
    assert policy_of(b) == default_b


def test_a_missing_topic_fails_and_changes_nothing() -> None:
    arn = sns().create_topic("a").arn
    default = policy_of(arn)
    gone = arn.replace(":a", ":gone")
    with pytest.raises(TopicNotFound):
        create({"Topics": [arn, gone], "PolicyDocument": TLS_ONLY})
    assert policy_of(arn) == default


def test_a_property_it_cannot_honour_fails_the_stack() -> None:
    arn = sns().create_topic("a").arn
    with pytest.raises(UnsupportedPropertyError, match="Tags"):
        create({"Topics": [arn], "PolicyDocument": TLS_ONLY, "Tags": []})


def test_deleting_after_the_topic_is_gone_is_a_no_op() -> None:
    arn = sns().create_topic("a").arn
    resource = create({"Topics": [arn], "PolicyDocument": TLS_ONLY})
    sns().delete_topic(arn)
    resource.delete(ACCOUNT, REGION)
