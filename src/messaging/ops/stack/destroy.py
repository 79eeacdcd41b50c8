"""Destroy a stack completely, after saying what data goes with it.

The template keeps data through stack operations (tables, buckets and their key are
RetainExceptOnCreate / UpdateReplacePolicy Retain), so deleting the stack alone would
leave them behind. `destroy` therefore:

1. takes an `inventory` of the data first, so the user is told what will be deleted
   before being asked: items per table, objects in each data bucket, access-log objects
   counted apart, messages waiting in each queue;
2. empties every bucket not named in `retain` (every version and delete marker:
   CloudFormation cannot delete a bucket that holds objects), then deletes the stack;
3. deletes the data resources that are still there, i.e. what the policies retained
   (tables, buckets; a KMS key is scheduled for deletion after AWS's shortest window,
   7 days), unless `keep_data`, or unless named in `retain`;
4. leaves a DELETE_FAILED stack the AWS way: deleting again, or with `retain` (the
   logical ids to keep; only valid once a deletion failed).

Known limit: items are counted with a COUNT scan (exact, but it reads the whole table:
fine for the dev and CI stacks this command is for).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from messaging.ops.stack.model import DeployError, StackError, StackEvent
from messaging.ops.stack.read import (
    StackResource,
    describe_stack,
    error_code,
    stack_resources,
)
from messaging.ops.stack.watch import Sleep, delete_and_wait

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

__all__ = [
    "BucketData",
    "DestroyClients",
    "DestroyResult",
    "Inventory",
    "destroy",
    "empty_bucket",
    "inventory",
]

GONE = ("NoSuchBucket", "ResourceNotFoundException", "NotFoundException", "404")


@dataclass(frozen=True)
class DestroyClients:
    cloudformation: CloudFormationClient
    s3: S3Client
    dynamodb: DynamoDBClient
    sqs: SQSClient
    kms: Any  # a boto3 KMS client (the project's stubs leave KMS out)


@dataclass(frozen=True)
class BucketData:
    logical_id: str
    name: str
    objects: int  # current objects
    versions: int  # every version and delete marker
    size: int  # bytes of every version
    access_logs: bool  # the logging target of another bucket of the stack


@dataclass
class Inventory:
    """The data a stack holds, by resource."""

    stack_name: str
    status: str
    tables: list[tuple[str, str, int]] = field(default_factory=list)  # logical, name, items
    buckets: list[BucketData] = field(default_factory=list)
    queues: list[tuple[str, str, int]] = field(default_factory=list)  # logical, url, messages
    keys: list[tuple[str, str]] = field(default_factory=list)  # logical, key id
    resources: list[StackResource] = field(default_factory=list)


@dataclass
class DestroyResult:
    existed: bool
    objects_deleted: int = 0
    deleted: list[str] = field(default_factory=list)  # retained resources destroy removed
    kept: list[str] = field(default_factory=list)  # retained resources left in place


def _gone(error: ClientError) -> bool:
    return error_code(error) in GONE


def _count_items(dynamodb: DynamoDBClient, table: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += int(page.get("Count", 0))
    return total


def _bucket_data(s3: S3Client, resource: StackResource, log_targets: set[str]) -> BucketData:
    objects = versions = size = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=resource.physical_id):
        for version in page.get("Versions", []):
            versions += 1
            size += int(version.get("Size", 0))
            objects += 1 if version.get("IsLatest") else 0
        versions += len(page.get("DeleteMarkers", []))
    return BucketData(
        resource.logical_id,
        resource.physical_id,
        objects,
        versions,
        size,
        access_logs=resource.physical_id in log_targets,
    )


def _queue_messages(sqs: SQSClient, url: str) -> int:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)  # type: ignore[arg-type]
    values = {str(key): value for key, value in attributes.get("Attributes", {}).items()}
    return sum(int(values.get(name, "0")) for name in names)


def inventory(clients: DestroyClients, stack_name: str) -> Inventory | None:
    """What data the stack holds now; None if there is no such stack."""
    stack = describe_stack(clients.cloudformation, stack_name)
    if stack is None:
        return None
    found = Inventory(stack_name, str(stack["StackStatus"]))
    found.resources = stack_resources(clients.cloudformation, str(stack["StackId"]))
    buckets = [r for r in found.resources if r.resource_type == "AWS::S3::Bucket"]
    log_targets = set()
    for bucket in buckets:
        try:
            logging = clients.s3.get_bucket_logging(Bucket=bucket.physical_id)
        except ClientError as error:
            if not _gone(error):
                raise
            continue
        target = logging.get("LoggingEnabled", {}).get("TargetBucket")
        if target:
            log_targets.add(target)
    for resource in found.resources:
        try:
            if resource.resource_type == "AWS::DynamoDB::Table":
                items = _count_items(clients.dynamodb, resource.physical_id)
                found.tables.append((resource.logical_id, resource.physical_id, items))
            elif resource.resource_type == "AWS::S3::Bucket":
                found.buckets.append(_bucket_data(clients.s3, resource, log_targets))
            elif resource.resource_type == "AWS::SQS::Queue":
                messages = _queue_messages(clients.sqs, resource.physical_id)
                found.queues.append((resource.logical_id, resource.physical_id, messages))
            elif resource.resource_type == "AWS::KMS::Key":
                found.keys.append((resource.logical_id, resource.physical_id))
        except ClientError as error:
            if not _gone(error) and "NonExistentQueue" not in str(error):
                raise
    return found


def empty_bucket(s3: S3Client, bucket: str) -> int:
    """Delete every object version and delete marker (a versioned bucket keeps them)."""
    deleted = 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            keys = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})  # type: ignore[typeddict-item]
                deleted += len(chunk)
    except ClientError as error:
        if not _gone(error):
            raise
    return deleted


def _empty_buckets(s3: S3Client, found: Inventory, keep: set[str]) -> int:
    # Access-log buckets last: emptying the others writes access logs into them.
    ordered = sorted(found.buckets, key=lambda b: b.access_logs)
    return sum(empty_bucket(s3, b.name) for b in ordered if b.logical_id not in keep)


def _survivors(clients: DestroyClients, found: Inventory) -> list[tuple[str, str, str]]:
    """(kind, logical id, physical id) of the data resources still there once the stack went."""
    alive = []
    probes: list[tuple[str, str, str]] = [("table", lid, name) for lid, name, _ in found.tables]
    ordered = sorted(found.buckets, key=lambda b: b.access_logs)
    probes += [("bucket", b.logical_id, b.name) for b in ordered]
    for kind, logical_id, physical in probes:
        try:
            if kind == "table":
                clients.dynamodb.describe_table(TableName=physical)
            else:
                clients.s3.head_bucket(Bucket=physical)
        except ClientError as error:
            if not _gone(error):
                raise
            continue
        alive.append((kind, logical_id, physical))
    for logical_id, key_id in found.keys:
        state = clients.kms.describe_key(KeyId=key_id)["KeyMetadata"].get("KeyState")
        if state not in ("PendingDeletion", "PendingReplicaDeletion"):
            alive.append(("key", logical_id, key_id))
    return alive


def _remove(
    clients: DestroyClients, survivors: list[tuple[str, str, str]], keep: set[str]
) -> DestroyResult:
    """Delete what the stack deletion retained (the policies keep tables, buckets, key)."""
    result = DestroyResult(existed=True)
    for kind, logical_id, physical in survivors:
        if logical_id in keep:
            result.kept.append(logical_id)
        elif kind == "table":
            clients.dynamodb.delete_table(TableName=physical)
        elif kind == "bucket":
            result.objects_deleted += empty_bucket(clients.s3, physical)
            clients.s3.delete_bucket(Bucket=physical)
        else:  # a KMS key: AWS's shortest pending window
            clients.kms.schedule_key_deletion(KeyId=physical, PendingWindowInDays=7)
        if logical_id not in keep:
            result.deleted.append(logical_id)
    return result


def destroy(
    clients: DestroyClients,
    stack_name: str,
    *,
    found: Inventory | None = None,
    retain: list[str] | None = None,
    keep_data: bool = False,
    on_event: Callable[[StackEvent], None] = lambda _: None,
    sleep: Sleep = time.sleep,
    timeout: float = 1800.0,
) -> DestroyResult:
    """Delete the stack and, unless `keep_data`, every piece of data it held."""
    found = found or inventory(clients, stack_name)
    if found is None:
        return DestroyResult(existed=False)
    stack: dict[str, Any] = describe_stack(clients.cloudformation, stack_name) or {}
    if not stack:
        return DestroyResult(existed=False)
    stack_id, keep = str(stack["StackId"]), set(retain or [])
    if keep and stack["StackStatus"] != "DELETE_FAILED":
        raise StackError(
            f"--retain applies once a deletion has failed (DELETE_FAILED); stack {stack_name} "
            f"is {stack['StackStatus']}: destroy it without --retain (or with --keep-data)"
        )
    emptied = 0 if keep_data else _empty_buckets(clients.s3, found, keep)
    try:
        delete_and_wait(
            clients.cloudformation,
            stack_id,
            on_event,
            sleep,
            timeout,
            retain=sorted(keep) or None,
        )
    except DeployError:
        if keep_data:
            raise
        # Access logs delivered late can refill a bucket between emptying and deleting
        # it; CloudFormation lets a DELETE_FAILED stack be deleted again.
        emptied += _empty_buckets(clients.s3, found, keep)
        delete_and_wait(clients.cloudformation, stack_id, on_event, sleep, timeout)
    survivors = _survivors(clients, found)
    if keep_data:
        return DestroyResult(existed=True, kept=[logical_id for _, logical_id, _ in survivors])
    result = _remove(clients, survivors, keep)
    result.objects_deleted += emptied
    return result
