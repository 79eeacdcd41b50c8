"""The S3 data lake: objects Firehose wrote, grouped by `landing_date=` partition."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["LakeObject", "LakeSummary", "list_objects", "partition_of", "summarize"]

PARTITION_KEY = "landing_date"


@dataclass(frozen=True)
class LakeObject:
    key: str
    size: int
    last_modified: datetime

    @property
    def partition(self) -> str | None:
        return partition_of(self.key)


@dataclass(frozen=True)
class LakeSummary:
    objects: int
    bytes: int
    partitions: list[str] = field(default_factory=list)
    objects_per_partition: dict[str, int] = field(default_factory=dict)


def partition_of(key: str) -> str | None:
    """`landing_date=2026-11-28/...` -> "2026-11-28"; None outside the partitioned layout."""
    head = key.split("/", 1)[0]
    name, sep, value = head.partition("=")
    return value if sep and name == PARTITION_KEY and value else None


def list_objects(s3: S3Client, bucket: str, prefix: str = "") -> list[LakeObject]:
    objects: list[LakeObject] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects.extend(
            LakeObject(o["Key"], o["Size"], o["LastModified"]) for o in page.get("Contents", [])
        )
    return objects


def summarize(objects: list[LakeObject]) -> LakeSummary:
    per_partition = Counter(o.partition for o in objects if o.partition is not None)
    return LakeSummary(
        objects=len(objects),
        bytes=sum(o.size for o in objects),
        partitions=sorted(per_partition),
        objects_per_partition=dict(sorted(per_partition.items())),
    )
