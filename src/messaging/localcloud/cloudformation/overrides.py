"""moto CloudFormation models re-registered to honour the properties moto ignores.

The gap it closes: moto's `AWS::S3::Bucket` applies only BucketName, BucketEncryption and
Tags, and its `AWS::DynamoDB::Table` ignores point-in-time recovery, so a hardened template
would deploy "green" locally with its hardening silently dropped. Each model here is moto's
own class listed again as a direct `CloudFormationModel` subclass (as moto's
`ManagedPolicy(Policy, CloudFormationModel)` does), which makes it replace moto's entry
in the type map; it lets moto create the resource, then applies the rest through moto's
own backend API. Any property still not honoured fails the stack with its name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.kms.models import kms_backends
from moto.s3.exceptions import BucketNotEmpty
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from messaging.localcloud.cloudformation.resources import only

__all__ = ["HardenedBucket", "HardenedTable"]


def _lifecycle_rules(cfn_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CloudFormation's lifecycle rule shape -> the S3 API shape moto understands."""
    rules = []
    for cfn in cfn_rules:
        rule: dict[str, Any] = {
            "ID": cfn.get("Id", ""),
            "Status": cfn["Status"],
            "Filter": {"Prefix": cfn.get("Prefix", "")},
        }
        if "ExpirationInDays" in cfn:
            rule["Expiration"] = {"Days": cfn["ExpirationInDays"]}
        if "NoncurrentVersionExpiration" in cfn:
            rule["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": cfn["NoncurrentVersionExpiration"]["NoncurrentDays"]
            }
        if "AbortIncompleteMultipartUpload" in cfn:
            rule["AbortIncompleteMultipartUpload"] = cfn["AbortIncompleteMultipartUpload"]
        rules.append(rule)
    return rules


class HardenedBucket(FakeBucket, CloudFormationModel):
    """AWS::S3::Bucket that also applies the hardening properties moto ignores.

    Listed again as a direct `CloudFormationModel` subclass (as moto's own
    `ManagedPolicy(Policy, CloudFormationModel)` does) so it replaces moto's entry.
    """

    MOTO_PROPERTIES: ClassVar[set[str]] = {"BucketName", "BucketEncryption", "Tags"}
    OUR_PROPERTIES: ClassVar[set[str]] = {
        "PublicAccessBlockConfiguration",
        "VersioningConfiguration",
        "LifecycleConfiguration",
        "OwnershipControls",
        "LoggingConfiguration",
    }
    # In place, moto applies BucketEncryption and Tags, `_harden` the rest; taking one
    # away is not applied by either, so the stack engine refuses it (`support`).
    UPDATABLE: ClassVar[frozenset[str]] = frozenset({"BucketEncryption", "Tags", *OUR_PROPERTIES})
    REMOVABLE: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        properties = cloudformation_json.get("Properties", {})
        only("AWS::S3::Bucket", properties, cls.MOTO_PROPERTIES | cls.OUR_PROPERTIES)
        bucket = FakeBucket.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        cls._harden(bucket.name, properties, account_id, region_name)
        return bucket

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> FakeBucket:
        properties = cloudformation_json.get("Properties", {})
        only("AWS::S3::Bucket", properties, cls.MOTO_PROPERTIES | cls.OUR_PROPERTIES)
        bucket = FakeBucket.update_from_cloudformation_json(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        cls._harden(bucket.name, properties, account_id, region_name)
        return bucket

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> None:
        # moto keeps a non-empty bucket and reports it deleted; AWS fails the deletion.
        backend = s3_backends[account_id][get_partition(region_name)]
        bucket = backend.buckets.get(resource_name)
        if bucket is not None and bucket.keys:
            raise BucketNotEmpty(resource_name)
        FakeBucket.delete_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name
        )

    @staticmethod
    def _harden(name: str, properties: dict[str, Any], account_id: str, region: str) -> None:
        backend = s3_backends[account_id][get_partition(region)]
        encryption = backend.get_bucket_encryption(name)
        rules = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
        if encryption and rules:  # moto's conversion drops the rule's BucketKeyEnabled
            enabled = str(rules[0].get("BucketKeyEnabled", False)).lower() == "true"
            encryption["Rule"]["BucketKeyEnabled"] = str(enabled).lower()
        if "PublicAccessBlockConfiguration" in properties:
            backend.put_public_access_block(name, properties["PublicAccessBlockConfiguration"])
        if "VersioningConfiguration" in properties:
            backend.put_bucket_versioning(name, properties["VersioningConfiguration"]["Status"])
        if "LifecycleConfiguration" in properties:
            rules = properties["LifecycleConfiguration"]["Rules"]
            backend.put_bucket_lifecycle(name, _lifecycle_rules(rules))
        if "OwnershipControls" in properties:
            rule = properties["OwnershipControls"]["Rules"][0]
            backend.put_bucket_ownership_controls(name, rule["ObjectOwnership"])
        if "LoggingConfiguration" in properties:
            logging = properties["LoggingConfiguration"]
            # moto checks, as S3 does, that the target bucket lets the logging service write.
            backend.put_bucket_logging(
                name,
                {
                    "TargetBucket": logging["DestinationBucketName"],
                    "TargetPrefix": logging.get("LogFilePrefix", ""),
                },
            )


class HardenedTable(Table, CloudFormationModel):
    """AWS::DynamoDB::Table that also applies PointInTimeRecoverySpecification."""

    MOTO_PROPERTIES: ClassVar[set[str]] = {
        "TableName",
        "KeySchema",
        "AttributeDefinitions",
        "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes",
        "ProvisionedThroughput",
        "StreamSpecification",
        "Tags",
        "DeletionProtectionEnabled",
        "SSESpecification",
        "WarmThroughput",
        "BillingMode",
    }
    OUR_PROPERTIES: ClassVar[set[str]] = {"PointInTimeRecoverySpecification"}
    # What `update_from_cloudformation_json` applies through moto's UpdateTable.
    UPDATABLE: ClassVar[frozenset[str]] = frozenset(
        {
            "PointInTimeRecoverySpecification",
            "BillingMode",
            "ProvisionedThroughput",
            "DeletionProtectionEnabled",
            "AttributeDefinitions",
        }
    )
    REMOVABLE: ClassVar[frozenset[str]] = frozenset(
        {"PointInTimeRecoverySpecification", "DeletionProtectionEnabled"}
    )

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Table:
        properties = cloudformation_json.get("Properties", {})
        only("AWS::DynamoDB::Table", properties, cls.MOTO_PROPERTIES | cls.OUR_PROPERTIES)
        sse = _table_sse(properties.get("SSESpecification"), account_id, region_name)
        table = Table.create_from_cloudformation_json(
            resource_name,
            {**cloudformation_json, "Properties": {**properties, "SSESpecification": sse}},
            account_id,
            region_name,
            **kwargs,
        )
        recovery = properties.get("PointInTimeRecoverySpecification")
        if recovery:
            dynamodb_backends[account_id][region_name].update_continuous_backups(
                table.name, recovery
            )
        return table

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Table,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Table:
        """In place (moto has no update for tables): a new name or key is a replacement."""
        properties = cloudformation_json.get("Properties", {})
        only("AWS::DynamoDB::Table", properties, cls.MOTO_PROPERTIES | cls.OUR_PROPERTIES)
        backend = dynamodb_backends[account_id][region_name]
        table = backend.update_table(
            original_resource.name,
            attr_definitions=properties.get("AttributeDefinitions", []),
            global_index=[],
            throughput=properties.get("ProvisionedThroughput", {}),
            billing_mode=properties.get("BillingMode", "PROVISIONED"),
            stream_spec={},
            deletion_protection_enabled=bool(properties.get("DeletionProtectionEnabled", False)),
            warm_throughput=None,
        )
        recovery = properties.get(
            "PointInTimeRecoverySpecification", {"PointInTimeRecoveryEnabled": False}
        )
        backend.update_continuous_backups(table.name, recovery)
        return table


def _table_sse(
    specification: dict[str, Any] | None, account_id: str, region: str
) -> dict[str, Any] | None:
    """CloudFormation's SSESpecification in the API's shape, which moto's Table reads.

    moto passed the template's `SSEEnabled` where it reads the API's `Enabled`, so
    DescribeTable had no SSEDescription. The key becomes the key's ARN, as DescribeTable
    reports `KMSMasterKeyArn`; with no key, moto uses aws/dynamodb.
    """
    if not specification or str(specification.get("SSEEnabled")).lower() != "true":
        return None
    converted: dict[str, Any] = {"Enabled": True, "SSEType": specification.get("SSEType", "KMS")}
    key = specification.get("KMSMasterKeyId")
    if key:
        converted["KMSMasterKeyId"] = _key_arn(str(key), account_id, region)
    return converted


def _key_arn(key: str, account_id: str, region: str) -> str:
    """The ARN of the KMS key `key` names: a key id or ARN, an alias name or alias ARN.

    DescribeTable reports the key's ARN whichever way the template named it, so an alias
    is resolved to its key (`alias/x` once became `...:key/alias/x`). An alias that
    names no key fails the table, with the reason, rather than reporting a key that
    does not exist.
    """
    is_alias = key.startswith("alias/") or ":alias/" in key
    if not is_alias:
        if key.startswith("arn:"):
            return key
        return f"arn:{get_partition(region)}:kms:{region}:{account_id}:key/{key}"
    kms = kms_backends[account_id][region]
    found = kms.get_key_id_from_alias(kms.get_alias_name(key))
    if found is None or found not in kms.keys:
        raise KeyAliasNotFoundError(key)
    return str(kms.keys[found].arn)


class KeyAliasNotFoundError(ValueError):
    """SSESpecification names a KMS alias that points to no key."""

    def __init__(self, alias: str) -> None:
        super().__init__(f"KMSMasterKeyId {alias}: the alias does not exist or names no key")
