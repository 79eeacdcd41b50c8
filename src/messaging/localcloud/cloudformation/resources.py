"""CloudFormation resource types moto lacks, registered through its model seam.

The gap it closes: moto's CloudFormation skips `AWS::SNS::Subscription`,
`AWS::SQS::QueuePolicy`, `AWS::S3::BucketPolicy` and
`AWS::KinesisFirehose::DeliveryStream` with a warning and still reports the stack
created. (`overrides` covers moto models that exist but
ignore properties.)

moto builds its type map from `CloudFormationModel.__subclasses__()` (direct subclasses
only, cached), so each model here subclasses `CloudFormationModel` directly, and
`install()` clears the caches. Ref and GetAtt behave as on AWS:

| type | Ref | GetAtt |
|---|---|---|
| AWS::SNS::Subscription | subscription ARN | Arn |
| AWS::SQS::QueuePolicy | generated id | Id |
| AWS::S3::BucketPolicy | bucket name | (none) |
| AWS::KinesisFirehose::DeliveryStream | stream name | Arn |

Every model rejects properties it cannot honour, so a template never deploys "green"
with part of its configuration silently ignored.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn
from moto.utilities.utils import get_partition

from messaging.localcloud.firehose.backend import installed_backend

__all__ = [
    "BucketPolicyResource",
    "DeliveryStreamResource",
    "QueuePolicyResource",
    "SubscriptionResource",
    "UnsupportedPropertyError",
    "install",
    "only",
]


class UnsupportedPropertyError(ValueError):
    """A property the local cloud cannot honour; the stack fails with this reason."""


def only(resource_type: str, properties: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(properties) - allowed)
    if unknown:
        raise UnsupportedPropertyError(
            f"{resource_type} properties not supported by the local cloud: {', '.join(unknown)}"
        )


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _queue_name(queue_url: str) -> str:
    return queue_url.rstrip("/").split("/")[-1]


class SubscriptionResource(CloudFormationModel):
    """AWS::SNS::Subscription over moto's SNS backend (attributes applied as the API does)."""

    REPLACE_ON_CHANGE = ("TopicArn", "Protocol", "Endpoint")
    ATTRIBUTES = (
        "FilterPolicyScope",
        "FilterPolicy",
        "RawMessageDelivery",
        "SubscriptionRoleArn",
        "RedrivePolicy",
        "DeliveryPolicy",
    )
    UPDATABLE: ClassVar[frozenset[str]] = frozenset(ATTRIBUTES)
    REMOVABLE: ClassVar[frozenset[str]] = frozenset(ATTRIBUTES)

    def __init__(self, arn: str, properties: dict[str, Any]) -> None:
        self.arn = arn
        self.properties = properties

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @staticmethod
    def _backend(topic_arn: str) -> Any:
        arn = parse_arn(topic_arn)
        return sns_backends[arn.account][arn.region]

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SubscriptionResource:
        properties = dict(cloudformation_json.get("Properties", {}))
        only(
            cls.cloudformation_type(),
            properties,
            {*cls.REPLACE_ON_CHANGE, *cls.ATTRIBUTES, "Region"},
        )
        backend = cls._backend(properties["TopicArn"])
        subscription = backend.subscribe(
            properties["TopicArn"], properties["Endpoint"], properties["Protocol"]
        )
        resource = cls(subscription.arn, properties)
        resource._apply_attributes({})
        return resource

    def _apply_attributes(self, previous: dict[str, Any]) -> None:
        backend = self._backend(self.properties["TopicArn"])
        for name in self.ATTRIBUTES:  # FilterPolicyScope first: FilterPolicy validation needs it
            if name in self.properties:
                value = self.properties[name]
                text = str(value).lower() if isinstance(value, bool) else _json_text(value)
                backend.set_subscription_attributes(self.arn, name, text)
            elif name in previous:
                backend.set_subscription_attributes(self.arn, name, "")

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: SubscriptionResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> SubscriptionResource:
        properties = dict(cloudformation_json.get("Properties", {}))
        old = original_resource.properties
        if any(properties.get(key) != old.get(key) for key in cls.REPLACE_ON_CHANGE):
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            original_resource.delete(account_id, region_name)
            return replacement
        only(
            cls.cloudformation_type(),
            properties,
            {*cls.REPLACE_ON_CHANGE, *cls.ATTRIBUTES, "Region"},
        )
        original_resource.properties = properties
        original_resource._apply_attributes(old)
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        self._backend(self.properties["TopicArn"]).unsubscribe(self.arn)


class QueuePolicyResource(CloudFormationModel):
    """AWS::SQS::QueuePolicy: sets each queue's `Policy` attribute, as on AWS."""

    UPDATABLE: ClassVar[frozenset[str]] = frozenset({"Queues", "PolicyDocument"})

    def __init__(
        self,
        policy_id: str,
        account_id: str,
        region: str,
        queues: list[str],
        document: dict[str, Any],
    ) -> None:
        self.policy_id = policy_id
        self.account_id = account_id
        self.region = region
        self.queues = queues
        self.document = document

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

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

    def _set_policy(self, queue_urls: list[str], policy: str) -> None:
        backend = sqs_backends[self.account_id][self.region]
        for url in queue_urls:
            queue = backend.queues.get(_queue_name(url))
            if queue is None and policy:
                backend.get_queue(_queue_name(url))  # raises AWS's QueueDoesNotExist
            if queue is not None:  # removing a policy from a deleted queue is a no-op
                queue.policy = policy

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> QueuePolicyResource:
        properties = cloudformation_json.get("Properties", {})
        only(cls.cloudformation_type(), properties, {"Queues", "PolicyDocument"})
        document = properties["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        resource = cls(resource_name, account_id, region_name, list(properties["Queues"]), document)
        resource._set_policy(resource.queues, json.dumps(document))
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: QueuePolicyResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> QueuePolicyResource:
        replacement = cls.create_from_cloudformation_json(
            original_resource.policy_id, cloudformation_json, account_id, region_name
        )
        dropped = [q for q in original_resource.queues if q not in replacement.queues]
        original_resource._set_policy(dropped, "")
        return replacement

    def delete(self, account_id: str, region_name: str) -> None:
        self._set_policy(self.queues, "")


class BucketPolicyResource(CloudFormationModel):
    """AWS::S3::BucketPolicy: the bucket's policy, readable with GetBucketPolicy."""

    UPDATABLE: ClassVar[frozenset[str]] = frozenset({"PolicyDocument"})

    def __init__(self, bucket: str, account_id: str, region: str) -> None:
        self.bucket = bucket
        self.account_id = account_id
        self.region = region

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @property
    def physical_resource_id(self) -> str:
        return self.bucket

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @staticmethod
    def _backend(account_id: str, region: str) -> Any:
        return s3_backends[account_id][get_partition(region)]

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> BucketPolicyResource:
        properties = cloudformation_json.get("Properties", {})
        only(cls.cloudformation_type(), properties, {"Bucket", "PolicyDocument"})
        document = _json_text(properties["PolicyDocument"])
        cls._backend(account_id, region_name).put_bucket_policy(
            properties["Bucket"], document.encode()
        )
        return cls(properties["Bucket"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: BucketPolicyResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> BucketPolicyResource:
        replacement = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        if replacement.bucket != original_resource.bucket:
            original_resource.delete(account_id, region_name)
        return replacement

    def delete(self, account_id: str, region_name: str) -> None:
        backend = self._backend(account_id, region_name)
        if self.bucket in backend.buckets:  # a policy of a deleted bucket is gone with it
            backend.delete_bucket_policy(self.bucket)


class DeliveryStreamResource(CloudFormationModel):
    """AWS::KinesisFirehose::DeliveryStream over the (buffering) Firehose backend."""

    DESTINATIONS: ClassVar[dict[str, str]] = {
        "S3DestinationConfiguration": "s3_destination_configuration",
        "ExtendedS3DestinationConfiguration": "extended_s3_destination_configuration",
        "HttpEndpointDestinationConfiguration": "http_endpoint_destination_configuration",
    }
    ALLOWED: ClassVar[set[str]] = {
        "DeliveryStreamName",
        "DeliveryStreamType",
        "Tags",
        "DeliveryStreamEncryptionConfigurationInput",
        *DESTINATIONS,
    }
    # The update applies destinations only (a change of destination type re-creates
    # the stream under its name); encryption and tags changes are refused.
    UPDATABLE: ClassVar[frozenset[str]] = frozenset(DESTINATIONS)
    REMOVABLE: ClassVar[frozenset[str]] = frozenset(DESTINATIONS)

    def __init__(
        self, name: str, arn: str, account_id: str, region: str, properties: dict[str, Any]
    ) -> None:
        self.name = name
        self.arn = arn
        self.account_id = account_id
        self.region = region
        self.properties = properties

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::KinesisFirehose::DeliveryStream"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DeliveryStreamName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> DeliveryStreamResource:
        properties = dict(cloudformation_json.get("Properties", {}))
        only(cls.cloudformation_type(), properties, cls.ALLOWED)
        destinations = {arg: properties.get(key) for key, arg in cls.DESTINATIONS.items()}
        arn = installed_backend(account_id, region_name).create_delivery_stream(
            region_name,
            resource_name,
            properties.get("DeliveryStreamType", "DirectPut"),
            None,
            properties.get("DeliveryStreamEncryptionConfigurationInput"),
            destinations["s3_destination_configuration"],
            destinations["extended_s3_destination_configuration"],
            None,
            None,
            None,
            destinations["http_endpoint_destination_configuration"],
            None,
            None,
            properties.get("Tags", []),
        )
        return cls(resource_name, arn, account_id, region_name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: DeliveryStreamResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> DeliveryStreamResource:
        properties = dict(cloudformation_json.get("Properties", {}))
        only(cls.cloudformation_type(), properties, cls.ALLOWED)
        old = original_resource.properties
        replace = any(
            properties.get(k) != old.get(k) for k in ("DeliveryStreamName", "DeliveryStreamType")
        )
        replace = replace or any(
            bool(properties.get(k)) != bool(old.get(k)) for k in cls.DESTINATIONS
        )
        if replace:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(
                properties.get("DeliveryStreamName", original_resource.name),
                cloudformation_json,
                account_id,
                region_name,
            )
        backend = installed_backend(account_id, region_name)
        stream = backend.delivery_streams[original_resource.name]
        updates = dict.fromkeys(cls.DESTINATIONS.values())
        for key, arg in cls.DESTINATIONS.items():
            if key in properties:
                updates[arg] = properties[key]
        backend.update_destination(
            original_resource.name,
            stream.version_id,
            stream.destinations[0]["destination_id"],
            updates["s3_destination_configuration"],
            updates["extended_s3_destination_configuration"],
            None,
            None,
            None,
            None,
            updates["http_endpoint_destination_configuration"],
            None,
            None,
        )
        original_resource.properties = properties
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        installed_backend(account_id, region_name).delete_delivery_stream(self.name)


def install() -> None:
    """Make the models above and those of sibling modules visible to moto's parser."""
    from messaging.localcloud.cloudformation import (  # noqa: F401, PLC0415 - they register
        inplace,
        managed_policy,
        overrides,
        topic_policy,
    )

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
