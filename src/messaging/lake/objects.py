"""The S3 data lake: objects Firehose wrote, grouped by `landing_date=` partition.

One S3 path for everything that reads the lake (`status`, `lake ls`, `lake query`, a
simulation's proof): a boto3 client lists the objects and reads their bytes, so the
credentials, region, endpoint, retries and request count all come from one session
(`messaging.ops.aws`). What reads records then parses the bytes here; `lake.query`
turns them into Arrow and DuckDB (no DuckDB extension is downloaded at run time).

An object holds JSON objects either one per line (SNS raw delivery appends the
newline) or concatenated with no separator at all (Firehose's default for other
producers); `parse_records` reads both, mixed, with blank lines in between.

Corrupt records: strict by default. The first one raises `LakeError` naming the object
key and the byte offset, so a count never silently leaves records out. A caller that
prefers the rest of the lake passes a `skipped` list: each corrupt record is appended
to it as a `LakeError` and reading resumes at the next line.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging.errors import MessagingError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


__all__ = [
    "PARTITION_KEY",
    "LakeError",
    "LakeObject",
    "LakeSummary",
    "list_objects",
    "parse_records",
    "partition_of",
    "read_object",
    "summarize",
]

PARTITION_KEY = "landing_date"
_WHITESPACE = " \t\n\r"


class LakeError(MessagingError):
    """The lake cannot be read: a corrupt record or object, or S3 refused."""

    def __init__(self, message: str, *, key: str | None = None, offset: int | None = None):
        where = f"{key}" if key is not None else ""
        if offset is not None:
            where += f" at byte {offset}"
        super().__init__(f"{where}: {message}" if where else message)
        self.key = key
        self.offset = offset


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
    bytes_per_partition: dict[str, int] = field(default_factory=dict)
    # Outside `landing_date=` (Firehose's `errors/...`): not events of the lake table.
    unpartitioned_objects: int = 0
    unpartitioned_bytes: int = 0


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


def read_object(s3: S3Client, bucket: str, key: str) -> bytes:
    """The bytes of one lake object, decompressed when its key ends in `.gz`."""
    try:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as error:
        raise LakeError(f"cannot read s3://{bucket}/{key}: {error}") from error
    if not key.endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise LakeError(f"not valid GZIP: {error}", key=key) from error


def summarize(objects: list[LakeObject]) -> LakeSummary:
    per_partition: Counter[str] = Counter()
    bytes_per_partition: Counter[str] = Counter()
    for obj in objects:
        if obj.partition is not None:
            per_partition[obj.partition] += 1
            bytes_per_partition[obj.partition] += obj.size
    outside = [o for o in objects if o.partition is None]
    return LakeSummary(
        objects=len(objects),
        bytes=sum(o.size for o in objects),
        partitions=sorted(per_partition),
        objects_per_partition=dict(sorted(per_partition.items())),
        bytes_per_partition=dict(sorted(bytes_per_partition.items())),
        unpartitioned_objects=len(outside),
        unpartitioned_bytes=sum(o.size for o in outside),
    )


# -- records ---------------------------------------------------------------------------


def _blank_invalid_utf8(data: bytes, key: str, skipped: list[LakeError] | None) -> str:
    """Decode; in skip mode a line holding invalid UTF-8 is reported and blanked."""
    while True:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            problem = LakeError(f"not UTF-8 ({error.reason})", key=key, offset=error.start)
            if skipped is None:
                raise problem from None
            skipped.append(problem)
            start = data.rfind(b"\n", 0, error.start) + 1
            end = data.find(b"\n", error.start)
            end = len(data) if end < 0 else end
            data = data[:start] + b" " * (end - start) + data[end:]


def parse_records(
    data: bytes, *, key: str = "<bytes>", skipped: list[LakeError] | None = None
) -> Iterator[dict[str, Any]]:
    """The JSON objects of one lake object: NDJSON, concatenated, or both mixed.

    Whitespace (blank lines, a trailing newline) between records is ignored. A corrupt
    record raises `LakeError` naming `key` and its byte offset; with a `skipped` list it
    is appended there instead, and reading resumes at the next line (or right after the
    value, for valid JSON that is not an object).
    """
    text = _blank_invalid_utf8(data, key, skipped)
    decoder = json.JSONDecoder()
    position, end = 0, len(text)
    while True:
        while position < end and text[position] in _WHITESPACE:
            position += 1
        if position >= end:
            return
        resume: int | None = None
        try:
            value, after = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as error:
            reason = getattr(error, "msg", None) or type(error).__name__
            problem = f"corrupt JSON record ({reason})"
        else:
            if isinstance(value, dict):
                yield value
                position = after
                continue
            problem, resume = f"JSON {type(value).__name__} where an object was expected", after
        offset = len(text[:position].encode("utf-8"))
        if skipped is None:
            raise LakeError(problem, key=key, offset=offset)
        skipped.append(LakeError(problem, key=key, offset=offset))
        if resume is None:
            newline = text.find("\n", position)
            resume = end if newline < 0 else newline + 1
        position = resume
