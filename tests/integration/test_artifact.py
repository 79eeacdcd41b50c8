"""The function artifact, unpacked into a clean directory and invoked as Lambda would,
and its hardened bucket on the local cloud."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from messaging.core.events import encode
from messaging.localcloud.server import LocalCloud
from messaging.ops.artifact import ArtifactError, LambdaPlatform, build
from messaging.ops.artifact.bucket import bucket_name, publish
from messaging.ops.aws import Aws
from messaging.ops.hosting import ArtifactSource
from tests.support import make_event
from tests.support.lambda_events import AWS_DOCS_MESSAGE_IDS, AWS_DOCS_SQS_EVENT, sqs_event

pytestmark = pytest.mark.integration

# Run in `python -I -S`: no site-packages, no PYTHON* variables, no current directory on
# the path; the unpacked artifact is the only place anything but the stdlib comes from.
CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from messaging.consumer import lambda_handler
import boto3, pydantic, pydantic_core
events = json.loads(sys.stdin.read())
answers = [lambda_handler.handler(event, None) for event in events]
where = {m.__name__: m.__file__ for m in (lambda_handler, boto3, pydantic, pydantic_core)}
print(json.dumps({"answers": answers, "where": where}))
"""


def invoke_unpacked(directory: Path, events: list[Any], environment: dict[str, str]) -> Any:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CHILD, str(directory)],
        input=json.dumps(events),
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment},
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *handler_lines, last = done.stdout.strip().splitlines()
    return json.loads(last), [json.loads(line) for line in handler_lines]


def test_the_unpacked_artifact_handles_the_documentation_event_in_a_clean_interpreter(
    cloud: LocalCloud, aws: Aws, tmp_path: Path, name_prefix: str, artifacts: ArtifactSource
) -> None:
    # Built for this machine (the Lambda platform's compiled wheels do not load here),
    # by the same builder, from the same pins.
    artifact = build(
        LambdaPlatform.this_machine(),
        tmp_path / "built",
        wheelhouse=artifacts.wheelhouse,
        cache_dir=artifacts.cache_dir,
    )
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(artifact.path) as archive:
        archive.extractall(unpacked)
    table = f"{name_prefix}orders-consumers"
    aws.dynamodb().create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "consumer_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "consumer_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    environment = {
        **cloud.client_environment(),  # what the local runtime gives a function
        "MESSAGING_SERVICE": "orders",
        "MESSAGING_TABLE_NAME": table,
        "AWS_LAMBDA_FUNCTION_NAME": f"{name_prefix}orders-service",
    }
    valid = sqs_event(encode(make_event(7)))
    result, lines = invoke_unpacked(unpacked, [AWS_DOCS_SQS_EVENT, valid], environment)
    # "Test message." is no event: both records stay on the queue, for the DLQ.
    documentation, applied = result["answers"]
    assert documentation == {
        "batchItemFailures": [{"itemIdentifier": i} for i in AWS_DOCS_MESSAGE_IDS]
    }
    assert applied == {"batchItemFailures": []}
    items = aws.dynamodb().scan(TableName=table)["Items"]
    assert [item["event_id"]["S"] for item in items] == [str(make_event(7).event_id)]
    # Everything came from the artifact, nothing from this project or its environment.
    assert all(path.startswith(str(unpacked)) for path in result["where"].values())
    assert [(line["poison"], line["applied"]) for line in lines] == [(2, 0), (0, 1)]
    # One PartiQL INSERT in one BatchExecuteStatement (issue #21; a put since issue #20).
    assert lines[1]["aws_calls"] == {"dynamodb:BatchExecuteStatement": 1}


def test_publishing_makes_a_hardened_bucket_once_and_uploads_a_build_once(
    aws: Aws, tmp_path: Path, artifacts: ArtifactSource
) -> None:
    artifact = build(
        LambdaPlatform(), tmp_path, wheelhouse=artifacts.wheelhouse, cache_dir=artifacts.cache_dir
    )
    s3 = aws.s3()
    account = aws.client("sts").get_caller_identity()["Account"]
    bucket = bucket_name(account, aws.region)
    # The session's cloud may hold this very build already (another module deployed
    # it): start from a key that holds nothing (a delete marker; the bucket is versioned).
    with contextlib.suppress(s3.exceptions.NoSuchBucket):
        s3.delete_object(Bucket=bucket, Key=artifact.key)
    first = publish(s3, artifact, account, aws.region)
    again = publish(s3, artifact, account, aws.region)
    assert first.bucket == again.bucket == bucket
    assert first.key == again.key == artifact.key
    assert first.uploaded
    assert not again.uploaded  # the same build: nothing sent twice
    assert not again.created_bucket
    stored = s3.get_object(Bucket=bucket, Key=artifact.key)["Body"].read()
    assert stored == artifact.path.read_bytes()

    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert list(blocked.values()) == [True] * 4
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30

    # Someone else's bytes under the artifact's content-hash key are refused, not used.
    s3.put_object(Bucket=bucket, Key=artifact.key, Body=b"not the artifact")
    with pytest.raises(ArtifactError, match="holds other bytes"):
        publish(s3, artifact, account, aws.region)
    # Once that object is gone (a delete marker: the bucket is versioned), it goes up again.
    s3.delete_object(Bucket=bucket, Key=artifact.key)
    assert publish(s3, artifact, account, aws.region).uploaded
