"""AWS::SNS::TopicPolicy, which moto's CloudFormation does not know.

The gap it closes: moto 5.2 has no model for the type, so a template with a topic
policy (ours: TLS only) was skipped with a warning, or, with `stacks`, failed. Here it
sets each listed topic's `Policy` attribute, as the SNS API's SetTopicAttributes does,
and deleting it (or dropping a topic from `Topics`) puts back the topic's default
policy, as CloudFormation does on AWS.

Ref gives the policy's generated id and GetAtt `Id` the same, as on AWS. Both
properties (`PolicyDocument`, `Topics`) are honoured; any other fails the stack. A
topic that does not exist fails it too (AWS: NotFound). The policy is stored, not
enforced: the local cloud does not authenticate callers (see `guard`).
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends
from moto.utilities.arns import parse_arn

from messaging.localcloud.cloudformation.resources import only

__all__ = ["TopicPolicyResource"]


def _backend(topic_arn: str) -> Any:
    arn = parse_arn(topic_arn)
    return sns_backends[arn.account][arn.region]


class TopicPolicyResource(CloudFormationModel):
    """AWS::SNS::TopicPolicy: each listed topic's `Policy` attribute."""

    def __init__(self, policy_id: str, topics: list[str], document: dict[str, Any]) -> None:
        self.policy_id = policy_id
        self.topics = topics
        self.document = document

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    @property
    def physical_resource_id(self) -> str:
        return self.policy_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.policy_id
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @staticmethod
    def _apply(topics: list[str], document: dict[str, Any]) -> None:
        for arn in topics:
            _backend(arn).get_topic(arn)  # raises AWS's NotFound before anything changes
        for arn in topics:
            _backend(arn).set_topic_attribute(arn, "policy", json.dumps(document))

    @staticmethod
    def _restore_default(topics: list[str]) -> None:
        for arn in topics:
            topic = _backend(arn).topics.get(arn)
            if topic is not None:  # a deleted topic took its policy with it
                where = parse_arn(arn)
                # moto's own default, the one a new topic gets (no public way to ask).
                default = topic._create_default_topic_policy(  # noqa: SLF001
                    where.region, where.account, topic.name
                )
                topic.policy = json.dumps(default)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> TopicPolicyResource:
        properties = cloudformation_json.get("Properties", {})
        only(cls.cloudformation_type(), properties, {"PolicyDocument", "Topics"})
        document = properties["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        topics = [str(arn) for arn in properties["Topics"]]
        cls._apply(topics, document)
        return cls(resource_name, topics, document)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: TopicPolicyResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> TopicPolicyResource:
        replacement = cls.create_from_cloudformation_json(
            original_resource.policy_id, cloudformation_json, account_id, region_name
        )
        cls._restore_default([t for t in original_resource.topics if t not in replacement.topics])
        return replacement

    def delete(self, account_id: str, region_name: str) -> None:
        self._restore_default(self.topics)
