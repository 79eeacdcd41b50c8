"""moto state for the local cloud's unit tests: the account, a Firehose stream into S3, and
DynamoDB tables."""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends

from messaging.localcloud.firehose.backend import LocalFirehoseBackend, installed_backend

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "lake"


def s3() -> Any:
    return s3_backends[ACCOUNT]["aws"]


def objects() -> dict[str, bytes]:
    bucket = s3().get_bucket(BUCKET)
    return {key: bucket.keys[key].value for key in bucket.keys}


def make_stream(
    name: str = "lake-stream",
    *,
    interval: int = 60,
    size_mb: int = 5,
    prefix: str | None = "landing_date=!{timestamp:yyyy-MM-dd}/",
    error_prefix: str | None = "errors/!{firehose:error-output-type}/",
    compression: str = "UNCOMPRESSED",
    create_bucket: bool = True,
) -> LocalFirehoseBackend:
    if create_bucket and BUCKET not in s3().buckets:
        s3().create_bucket(BUCKET, REGION)
    backend = installed_backend(ACCOUNT, REGION)
    config: dict[str, Any] = {
        "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
        "BufferingHints": {"IntervalInSeconds": interval, "SizeInMBs": size_mb},
        "CompressionFormat": compression,
    }
    if prefix is not None:
        config["Prefix"] = prefix
    if error_prefix is not None:
        config["ErrorOutputPrefix"] = error_prefix
    backend.create_delivery_stream(
        REGION,
        name,
        "DirectPut",
        None,
        None,
        None,
        config,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    return backend


def make_table(name: str, *, ranged: bool = False) -> Any:
    """A pay-per-request table keyed by the string `pk` (and the number `sk` if ranged)."""
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attr = [{"AttributeName": "pk", "AttributeType": "S"}]
    if ranged:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attr.append({"AttributeName": "sk", "AttributeType": "N"})
    return dynamodb_backends[ACCOUNT][REGION].create_table(
        name,
        schema=schema,
        throughput=None,
        attr=attr,
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
