"""Destinations the local cloud cannot reach: accepted as AWS accepts them, nothing dropped."""

from __future__ import annotations

from typing import Any

import pytest

from messaging.localcloud.firehose.backend import LocalFirehoseBackend, installed_backend
from tests.support import FakeClock
from tests.support.moto_state import ACCOUNT, BUCKET, REGION, make_stream, objects, s3

ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose"
BACKUP = {
    "BucketARN": f"arn:aws:s3:::{BUCKET}",
    "RoleARN": ROLE,
    "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 5},
}
# CreateDeliveryStream's argument position (after region, name, type, kinesis source,
# encryption) and a minimal valid configuration of each destination AWS accepts.
DESTINATIONS: dict[str, tuple[int, dict[str, Any]]] = {
    "Redshift": (
        7,
        {
            "RoleARN": ROLE,
            "ClusterJDBCURL": "jdbc:redshift://host.amazonaws.com:5439/db",
            "CopyCommand": {"DataTableName": "events"},
            "Username": "u",
            "Password": "p",
            "S3Configuration": {**BACKUP, "Prefix": "staged/"},
        },
    ),
    "Elasticsearch": (
        8,
        {
            "RoleARN": ROLE,
            "DomainARN": "arn:aws:es:us-east-1:1:domain/d",
            "IndexName": "i",
            "S3Configuration": BACKUP,
        },
    ),
    "Splunk": (
        9,
        {
            "HECEndpoint": "https://splunk:8088",
            "HECEndpointType": "Raw",
            "HECToken": "t",
            "S3Configuration": BACKUP,
        },
    ),
    "HttpEndpoint": (
        10,
        {"EndpointConfiguration": {"Url": "https://example.com"}, "S3Configuration": BACKUP},
    ),
    "Snowflake": (
        11,
        {
            "AccountUrl": "a.snowflakecomputing.com",
            "Database": "d",
            "Schema": "s",
            "Table": "t",
            "RoleARN": ROLE,
            "S3Configuration": BACKUP,
        },
    ),
    "Iceberg": (
        12,
        {
            "RoleARN": ROLE,
            "CatalogConfiguration": {"CatalogARN": "arn:aws:glue:x:1:catalog"},
            "S3Configuration": BACKUP,
        },
    ),
}
FAILED_PREFIX = {
    "Elasticsearch": "elasticsearch-failed/",
    "Splunk": "splunk-failed/",
    "HttpEndpoint": "http-endpoint-failed/",
    "Snowflake": "snowflake-failed/",
    "Iceberg": "iceberg-failed/",
    "Redshift": "staged/",
}


def create(kind: str, name: str = "far") -> LocalFirehoseBackend:
    if BUCKET not in s3().buckets:
        s3().create_bucket(BUCKET, REGION)
    backend = installed_backend(ACCOUNT, REGION)
    position, config = DESTINATIONS[kind]
    arguments: list[Any] = [REGION, name, "DirectPut"] + [None] * 11
    arguments[position] = config
    backend.create_delivery_stream(*arguments)
    return backend


@pytest.mark.parametrize("kind", sorted(DESTINATIONS))
def test_an_unreachable_destination_is_accepted_and_its_records_land_in_the_backup(
    clock: FakeClock, kind: str
) -> None:
    backend = create(kind)
    result = backend.put_record_batch("far", [{"Data": b"one\n"}, {"Data": b"two\n"}])
    assert result["FailedPutCount"] == 0
    assert objects() == {}  # buffered as any stream is
    clock.advance(60)
    backend.flush_due()
    [(key, body)] = objects().items()
    assert key.startswith(FAILED_PREFIX[kind] + "2026/11/28/07/far-1-2026-11-28-07-30-15-")
    assert body == b"one\ntwo\n"
    failure = backend.describe_delivery_stream("far")["DeliveryStreamDescription"][
        "FailureDescription"
    ]
    assert failure["Type"] == "UNKNOWN_ERROR"
    assert "2 record(s) written to s3://lake/" in failure["Details"]
    assert "reach" in failure["Details"]


def test_a_healthy_stream_has_no_failure_description(clock: FakeClock) -> None:
    backend = make_stream(interval=0)
    backend.put_record_batch("lake-stream", [{"Data": b"x\n"}])
    assert len(objects()) == 1
    description = backend.describe_delivery_stream("lake-stream")["DeliveryStreamDescription"]
    assert "FailureDescription" not in description


@pytest.mark.parametrize(
    ("step", "error_type"),
    [
        ("DataFormatConversionConfiguration", "format-conversion-failed"),
        ("ProcessingConfiguration", "processing-failed"),
    ],
)
def test_a_step_the_cloud_does_not_run_sends_records_to_the_error_output(
    clock: FakeClock, step: str, error_type: str
) -> None:
    if BUCKET not in s3().buckets:
        s3().create_bucket(BUCKET, REGION)
    backend = installed_backend(ACCOUNT, REGION)
    config = {
        **BACKUP,
        "Prefix": "data/!{timestamp:yyyy}/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        step: {"Enabled": True},
    }
    backend.create_delivery_stream(
        REGION, "conv", "DirectPut", None, None, None, config, *[None] * 7
    )
    backend.put_record_batch("conv", [{"Data": b"{}\n"}])
    backend.flush_all()
    [key] = objects()
    assert key.startswith(f"errors/{error_type}/2026/11/28/07/conv-1-")
    details = backend.describe_delivery_stream("conv")["DeliveryStreamDescription"][
        "FailureDescription"
    ]["Details"]
    assert step in details


def test_encryption_is_described_with_its_status_and_reported_by_put_record(
    clock: FakeClock,
) -> None:
    if BUCKET not in s3().buckets:
        s3().create_bucket(BUCKET, REGION)
    backend = installed_backend(ACCOUNT, REGION)
    backend.create_delivery_stream(
        REGION,
        "sealed",
        "DirectPut",
        None,
        {"KeyType": "AWS_OWNED_CMK"},
        None,
        BACKUP,
        *[None] * 7,
    )
    description = backend.describe_delivery_stream("sealed")["DeliveryStreamDescription"]
    assert description["DeliveryStreamEncryptionConfiguration"] == {
        "KeyType": "AWS_OWNED_CMK",
        "Status": "ENABLED",
    }
    assert backend.put_record("sealed", {"Data": b"x"})["Encrypted"] is True
    assert backend.put_record_batch("sealed", [{"Data": b"x"}])["Encrypted"] is True
    backend.stop_delivery_stream_encryption("sealed")
    assert backend.put_record("sealed", {"Data": b"x"})["Encrypted"] is False
    plain = make_stream()
    assert plain.put_record("lake-stream", {"Data": b"x"})["Encrypted"] is False
