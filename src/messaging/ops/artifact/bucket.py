"""The artifact bucket: created once per account and region, hardened on every deploy.

Direct S3 calls rather than a bootstrap stack: the bucket must exist before the stack's
change set can name the code in it, and a second stack would add its own deploy,
failure states and deletion to every first deploy, for one bucket whose whole
configuration is five idempotent calls. Those calls are repeated on every deploy, so a
setting someone switched off is switched on again (about ten requests a deploy).

The name is derived, `messaging-artifacts-<account>-<region>`, so every deploy in the
account and region, by anyone, finds the same bucket again without keeping any state.
Every call passes `ExpectedBucketOwner`: a bucket of that name owned by another account
(S3 names are global) is refused, never written to or read from.

Hardening: all public access blocked and ACLs disabled (BucketOwnerEnforced); default
encryption SSE-S3 with a bucket key; versioning; a policy that refuses any request not
made over TLS; a lifecycle rule that deletes replaced versions after 30 days and aborts
incomplete uploads after 7. Current artifacts are kept: a stack rolling back to its
previous code needs the previous artifact.

Upload: the key holds the artifact's SHA-256. An object already at that key with that
checksum is the same artifact, and nothing is uploaded; one with another checksum was
not written by this code, and the deploy stops. A new object is sent with its SHA-256
(`ChecksumSHA256`), which S3 verifies before it stores the bytes. Known limit: where an
endpoint keeps no checksum (the local cloud's S3 ignores `ChecksumSHA256`), an object
already at the key is read and hashed instead.

`messaging destroy` leaves this bucket alone: it is shared by every stack of the
account and region.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from messaging.ops.artifact.build import Artifact
from messaging.ops.artifact.errors import ArtifactError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Published", "bucket_name", "ensure_bucket", "publish", "upload"]

NONCURRENT_DAYS: Final = 30
ABORT_UPLOADS_DAYS: Final = 7


@dataclass(frozen=True)
class Published:
    """Where the stack finds the artifact."""

    bucket: str
    key: str
    uploaded: bool  # False: an identical artifact was there already
    created_bucket: bool = False


def bucket_name(account: str, region: str) -> str:
    """The artifact bucket of an account and region (at most 20 + 12 + 1 + 14 = 47 chars)."""
    return f"messaging-artifacts-{account}-{region}"


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _tls_only(bucket: str) -> str:
    arn = f"arn:aws:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def ensure_bucket(s3: S3Client, bucket: str, account: str, region: str) -> bool:
    """Create the bucket unless it is there (True when created), then harden it."""
    created = False
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    except ClientError as error:
        if _status(error) == 403:
            raise ArtifactError(
                f"the artifact bucket {bucket} exists but does not belong to account "
                f"{account}; nothing was uploaded. Remove it or deploy from its owner"
            ) from error
        if _status(error) != 404:
            raise
        if region == "us-east-1":  # the one region that refuses a LocationConstraint
            s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced")
        else:
            s3.create_bucket(
                Bucket=bucket,
                ObjectOwnership="BucketOwnerEnforced",
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )
        created = True
    _harden(s3, bucket, account)
    return created


def _harden(s3: S3Client, bucket: str, account: str) -> None:
    s3.put_public_access_block(
        Bucket=bucket,
        ExpectedBucketOwner=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket,
        ExpectedBucketOwner=account,
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ExpectedBucketOwner=account,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_versioning(
        Bucket=bucket, ExpectedBucketOwner=account, VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_bucket_policy(Bucket=bucket, ExpectedBucketOwner=account, Policy=_tls_only(bucket))
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        ExpectedBucketOwner=account,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-replaced-artifacts-and-abort-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_DAYS},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_UPLOADS_DAYS},
                }
            ]
        },
    )


def _checksum(artifact: Artifact) -> str:
    return base64.b64encode(bytes.fromhex(artifact.sha256)).decode()


def _holds(
    s3: S3Client, bucket: str, artifact: Artifact, account: str, checksum: str | None
) -> bool:
    """Whether the object at the artifact's key is this artifact, byte for byte."""
    if checksum is not None:
        return checksum == _checksum(artifact)
    # An endpoint that keeps no checksums (the local cloud's S3 does not): hash the bytes.
    body = s3.get_object(Bucket=bucket, Key=artifact.key, ExpectedBucketOwner=account)["Body"]
    digest = hashlib.sha256()
    for block in iter(lambda: body.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest() == artifact.sha256


def upload(s3: S3Client, bucket: str, artifact: Artifact, account: str) -> bool:
    """Put the artifact under its key unless it is there already (True when uploaded)."""
    expected = _checksum(artifact)
    try:
        head = s3.head_object(
            Bucket=bucket, Key=artifact.key, ChecksumMode="ENABLED", ExpectedBucketOwner=account
        )
    except ClientError as error:
        if _status(error) != 404:
            raise
    else:
        if _holds(s3, bucket, artifact, account, head.get("ChecksumSHA256")):
            return False
        raise ArtifactError(
            f"s3://{bucket}/{artifact.key} holds other bytes than this artifact (its SHA-256 "
            "is not the one its name says); it was not written by messaging deploy. Delete "
            "it and deploy again"
        )
    with artifact.path.open("rb") as body:
        s3.put_object(
            Bucket=bucket,
            Key=artifact.key,
            Body=body,
            ChecksumSHA256=expected,
            ExpectedBucketOwner=account,
            ContentType="application/zip",
        )
    return True


def publish(s3: S3Client, artifact: Artifact, account: str, region: str) -> Published:
    """The artifact in its bucket (created and hardened as needed), and where it is."""
    bucket = bucket_name(account, region)
    created = ensure_bucket(s3, bucket, account, region)
    uploaded = upload(s3, bucket, artifact, account)
    return Published(bucket, artifact.key, uploaded, created)
