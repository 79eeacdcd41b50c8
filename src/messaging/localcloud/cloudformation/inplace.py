"""moto models re-registered so that an in-place update applies every change it accepts.

The gap it closes: moto's update of `AWS::SQS::Queue` applies only VisibilityTimeout and
ReceiveMessageWaitTimeSeconds (a new RedrivePolicy, i.e. MaxReceiveCount, was dropped
silently); `AWS::SNS::Topic` deletes and re-creates the topic, losing its
subscriptions; `AWS::IAM::Role` applies only its description; `AWS::KMS::Key` has no
update at all. Each model here is moto's own class listed again as a direct
`CloudFormationModel` subclass (so it replaces moto's entry in the type map), creates
and deletes through moto, and updates through the service backend's own API.

Each declares `UPDATABLE` (changes it applies) and `REMOVABLE` (properties it can take
away); the stack engine fails any other in-place change with its name (`support`).

Creating a queue or a topic whose name is taken fails, as CloudFormation does
("Resource of type ... already exists"): the SQS and SNS APIs answer such a create with
the existing one, and moto's models took it over, so the rollback of a failed stack then
deleted another stack's queue or topic.
Replacements (a new QueueName, TopicName, RoleName...) never reach these updates: the
engine creates a new resource for them.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel
from moto.iam.models import Role, iam_backends
from moto.kms.models import Key, kms_backends
from moto.sns.models import Topic, sns_backends
from moto.sns.utils import make_arn_for_topic
from moto.sqs.models import Queue, sqs_backends
from moto.utilities.utils import get_partition

__all__ = [
    "ResourceAlreadyExistsError",
    "UpdatableKey",
    "UpdatableQueue",
    "UpdatableRole",
    "UpdatableTopic",
    "WindowedKey",
]


class ResourceAlreadyExistsError(ValueError):
    """A named resource that exists already (the stack fails with this reason)."""

    def __init__(self, resource_type: str, identifier: str) -> None:
        super().__init__(
            f"Resource of type '{resource_type}' with identifier '{identifier}' already exists."
        )


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _attribute_text(value: Any) -> str:
    """A CloudFormation property value as the SQS API's string attribute."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class UpdatableQueue(Queue, CloudFormationModel):
    """AWS::SQS::Queue whose update sets every queue attribute the template changes."""

    # A removed property goes back to SQS's default ("" removes a redrive policy).
    DEFAULTS: ClassVar[dict[str, str]] = {
        "DelaySeconds": "0",
        "MaximumMessageSize": "262144",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
        "RedrivePolicy": "",
    }
    UPDATABLE: ClassVar[frozenset[str]] = frozenset(
        {
            *DEFAULTS,
            "SqsManagedSseEnabled",
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds",
            "RedriveAllowPolicy",
            "ContentBasedDeduplication",
            "DeduplicationScope",
            "FifoThroughputLimit",
        }
    )
    REMOVABLE: ClassVar[frozenset[str]] = frozenset(DEFAULTS)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        name = cloudformation_json.get("Properties", {}).get("QueueName", resource_name)
        if name in sqs_backends[account_id][region_name].queues:
            raise ResourceAlreadyExistsError("AWS::SQS::Queue", name)
        return Queue.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        attributes = {key: value for key, value in cls.DEFAULTS.items() if key not in properties}
        for key in cls.UPDATABLE & set(properties):
            attributes[key] = _attribute_text(properties[key])
        backend = sqs_backends[account_id][region_name]
        return backend.set_queue_attributes(original_resource.name, attributes)


class UpdatableTopic(Topic, CloudFormationModel):
    """AWS::SNS::Topic updated in place (moto deleted and re-created it, subscriptions lost).

    Its inline `Subscription` list is applied as AWS applies it (no interruption): the
    endpoints removed from it are unsubscribed, the new ones subscribed; subscriptions
    made otherwise (AWS::SNS::Subscription, the API) are left alone.
    """

    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "DisplayName": "display_name",
        "KmsMasterKeyId": "kms_master_key_id",
    }
    UPDATABLE: ClassVar[frozenset[str]] = frozenset({*ATTRIBUTES, "Subscription"})
    REMOVABLE: ClassVar[frozenset[str]] = frozenset({*ATTRIBUTES, "Subscription"})

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        arn = make_arn_for_topic(account_id, resource_name, region_name)
        if arn in sns_backends[account_id][region_name].topics:
            raise ResourceAlreadyExistsError("AWS::SNS::Topic", arn)
        topic = Topic.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        topic.inline_subscriptions = _inline(cloudformation_json.get("Properties", {}))  # type: ignore[attr-defined]
        return topic

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        backend = sns_backends[account_id][region_name]
        for key, attribute in cls.ATTRIBUTES.items():
            backend.set_topic_attribute(original_resource.arn, attribute, properties.get(key, ""))
        wanted = _inline(properties)
        had = getattr(original_resource, "inline_subscriptions", [])
        gone = set(had) - set(wanted)
        for subscription in list(backend.subscriptions.values()):
            if subscription.topic.arn == original_resource.arn and (
                (subscription.protocol, subscription.endpoint) in gone
            ):
                backend.unsubscribe(subscription.arn)
        for protocol, endpoint in wanted:
            if (protocol, endpoint) not in had:
                backend.subscribe(original_resource.arn, endpoint, protocol)
        original_resource.inline_subscriptions = wanted
        return original_resource


def _inline(properties: dict[str, Any]) -> list[tuple[str, str]]:
    """A topic's inline subscriptions, as (protocol, endpoint)."""
    return [(str(s["Protocol"]), str(s["Endpoint"])) for s in properties.get("Subscription", [])]


class UpdatableRole(Role, CloudFormationModel):
    """AWS::IAM::Role whose update applies its trust policy and inline policies too.

    Its inline policies are stored as JSON text, as IAM stores them: moto kept the
    template's objects, and GetRolePolicy answered their Python repr, not JSON.
    """

    UPDATABLE: ClassVar[frozenset[str]] = frozenset(
        {"Description", "AssumeRolePolicyDocument", "Policies", "MaxSessionDuration"}
    )
    REMOVABLE: ClassVar[frozenset[str]] = frozenset({"Description", "Policies"})

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        role = Role.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        backend = iam_backends[account_id][get_partition(region_name)]
        for inline in cloudformation_json.get("Properties", {}).get("Policies", []):
            document = _json_text(inline["PolicyDocument"])
            backend.put_role_policy(role.name, inline["PolicyName"], document)
        return role

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        backend = iam_backends[account_id][get_partition(region_name)]
        name = original_resource.name
        backend.update_role(
            name, properties.get("Description", ""), properties.get("MaxSessionDuration", 3600)
        )
        backend.update_assume_role_policy(name, _json_text(properties["AssumeRolePolicyDocument"]))
        wanted = {p["PolicyName"]: p["PolicyDocument"] for p in properties.get("Policies", [])}
        for policy_name in set(original_resource.policies) - set(wanted):
            backend.delete_role_policy(name, policy_name)
        for policy_name, document in wanted.items():
            backend.put_role_policy(name, policy_name, _json_text(document))
        return backend.get_role(name)


class UpdatableKey(Key, CloudFormationModel):
    """AWS::KMS::Key updated in place (moto has no update for it).

    It also stores KeyPolicy as JSON text, as KMS does: moto kept the template's object,
    and every DescribeKey of the key then failed with an HTTP 500. Deleting it schedules
    the key's deletion after PendingWindowInDays (default 30), as CloudFormation does;
    moto left the key enabled.
    """

    UPDATABLE: ClassVar[frozenset[str]] = frozenset(
        {"Description", "EnableKeyRotation", "KeyPolicy", "PendingWindowInDays", "Enabled"}
    )
    REMOVABLE: ClassVar[frozenset[str]] = frozenset({"Description", "PendingWindowInDays"})

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties", {}))
        properties["KeyPolicy"] = _json_text(properties["KeyPolicy"])
        key = Key.create_from_cloudformation_json(
            resource_name,
            {**cloudformation_json, "Properties": properties},
            account_id,
            region_name,
            **kwargs,
        )
        key.__class__ = WindowedKey  # type: ignore[type-abstract]  # concrete at runtime
        key.pending_window_in_days = int(  # type: ignore[attr-defined]  # now a WindowedKey
            properties.get("PendingWindowInDays", 30)
        )
        return key

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        backend = kms_backends[account_id][region_name]
        key_id = original_resource.id
        backend.update_key_description(key_id, properties.get("Description", ""))
        backend.put_key_policy(key_id, _json_text(properties["KeyPolicy"]))
        if properties.get("EnableKeyRotation", False):
            backend.enable_key_rotation(key_id)
        else:
            backend.disable_key_rotation(key_id)
        if properties.get("Enabled", True):
            backend.enable_key(key_id)
        else:
            backend.disable_key(key_id)
        original_resource.pending_window_in_days = int(properties.get("PendingWindowInDays", 30))
        return original_resource


class WindowedKey(Key):
    """A stack's KMS key: deleting it schedules its deletion (moto's deleted it at once)."""

    pending_window_in_days = 30

    def delete(self, account_id: str, region_name: str) -> None:
        backend = kms_backends[account_id][region_name]
        backend.schedule_key_deletion(self.id, self.pending_window_in_days)
