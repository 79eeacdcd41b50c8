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
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from messaging.errors import MessagingError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


__all__ = [
    "FULL_LISTING_EVERY",
    "PARTITION_KEY",
    "LakeError",
    "LakeObject",
    "LakeSummary",
    "ObjectsSince",
    "list_objects",
    "list_since",
    "parse_records",
    "partition_of",
    "read_object",
    "records_at",
    "summarize",
]

PARTITION_KEY = "landing_date"
_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


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


def list_objects(
    s3: S3Client, bucket: str, prefix: str = "", *, start_after: str | None = None
) -> list[LakeObject]:
    """The objects under `prefix`, in key order; with `start_after`, only keys after it."""
    paginator = s3.get_paginator("list_objects_v2")
    pages = (
        paginator.paginate(Bucket=bucket, Prefix=prefix)
        if start_after is None
        else paginator.paginate(Bucket=bucket, Prefix=prefix, StartAfter=start_after)
    )
    objects: list[LakeObject] = []
    for page in pages:
        objects.extend(
            LakeObject(o["Key"], o["Size"], o["LastModified"]) for o in page.get("Contents", [])
        )
    return objects


def list_since(
    s3: S3Client, bucket: str, since: datetime, now: datetime | None = None
) -> list[LakeObject]:
    """The partitioned objects written at or after `since`: the partitions of its date
    to today's (UTC) are listed, not the whole lake.

    Firehose names a record's partition by its arrival date, and writes it later, so an
    object written since `since` is in the partition of `since`'s date or a later one.
    S3 gives `LastModified` to the second: `since` is compared at that precision.
    """
    return ObjectsSince(since).list(s3, bucket, now)  # a first call lists everything


FULL_LISTING_EVERY: Final = 10  # ObjectsSince: every 10th call lists the partitions whole


@dataclass
class ObjectsSince:
    """`list_since` for a view that asks every second, at the cost of what is new.

    A day's partition holds every object of the day, and listing one costs about 0.6 ms
    of CPU per object, the client's parse and the local cloud's answer together (117 ms
    for 200 objects). A run's live view counted its objects so once a second, so the
    count cost more with every object the day had written (issue #21). S3 lists keys in
    order, and Firehose names an object `<prefix><stream>-<version>-<time>-<id>`, so a
    stream's new object sorts after its older ones, but for one of the same second. So a
    call lists each partition only after the greatest key it has listed there, and every
    `FULL_LISTING_EVERY`-th call (the first included) lists them whole: what sorts before
    (the same second, another stream) or changed in place is found at most that many
    calls later, and what was deleted is dropped.
    """

    since: datetime
    _found: dict[str, LakeObject] = field(default_factory=dict)
    _greatest: dict[str, str] = field(default_factory=dict)  # partition -> greatest key listed
    _calls: int = 0

    def list(self, s3: S3Client, bucket: str, now: datetime | None = None) -> list[LakeObject]:
        """The objects written at or after `since`, in key order."""
        whole = self._calls % FULL_LISTING_EVERY == 0
        self._calls += 1
        since = self.since.astimezone(UTC).replace(microsecond=0)  # S3's precision
        for prefix in _partitions_since(since, now):
            listed = list_objects(
                s3, bucket, prefix, start_after=None if whole else self._greatest.get(prefix)
            )
            if whole:
                for key in [k for k in self._found if k.startswith(prefix)]:
                    del self._found[key]
            for obj in listed:
                if obj.key > self._greatest.get(prefix, ""):
                    self._greatest[prefix] = obj.key
                if obj.last_modified >= since:
                    self._found[obj.key] = obj
        return sorted(self._found.values(), key=lambda o: o.key)


def _partitions_since(since: datetime, now: datetime | None) -> list[str]:
    """The `landing_date=` prefixes from `since`'s date to today's (an hour ahead, UTC)."""
    day = since.date()
    last = ((now or datetime.now(UTC)).astimezone(UTC) + timedelta(hours=1)).date()
    prefixes: list[str] = []
    while day <= last:
        prefixes.append(f"{PARTITION_KEY}={day.isoformat()}/")
        day += timedelta(days=1)
    return prefixes


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


_INVALID_UTF8 = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a bad byte
_NESTED_BEFORE = ":,["  # a `{` after one of these opens a nested value, not a record


def _resume_point(text: str, start: int) -> int:
    """Where the next record can start after a corrupt one that starts at `start`.

    Records are separated by newlines (SNS) or nothing at all (Firehose concatenates), so
    a record starts at the beginning of a line, or at a `{` on the same line that cannot
    open a nested value (what comes before it is not `:`, `,` or `[`) and that parses as
    an object. Skipping to the next line instead lost the valid records after a corrupt
    one on the same line, uncounted.
    """
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    candidate = text.find("{", start + 1, line_end)
    while candidate >= 0:
        before = text[start:candidate].rstrip(_WHITESPACE)
        if before and before[-1] not in _NESTED_BEFORE:
            try:
                value, _ = _DECODER.raw_decode(text, candidate)
            except (ValueError, RecursionError):
                value = None
            if isinstance(value, dict):
                return candidate
        candidate = text.find("{", candidate + 1, line_end)
    return line_end + 1


def _byte_offset(text: str, position: int) -> int:
    return len(text[:position].encode("utf-8", "surrogateescape"))


def parse_records(
    data: bytes, *, key: str = "<bytes>", skipped: list[LakeError] | None = None
) -> Iterator[dict[str, Any]]:
    """The JSON objects of one lake object (`records_at`, without their offsets)."""
    for _, record in records_at(data, key=key, skipped=skipped):
        yield record


def records_at(
    data: bytes, *, key: str = "<bytes>", skipped: list[LakeError] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(byte offset, object) of each JSON object of one lake object: NDJSON,
    concatenated, or both mixed.

    Whitespace (blank lines, a trailing newline) between records is ignored. A corrupt
    record (not JSON, not an object, or holding bytes that are not UTF-8) raises
    `LakeError` naming `key` and its byte offset; with a `skipped` list it is appended
    there instead, one entry per record, and reading resumes at the next record: right
    after a value that parsed, else at the next record start on the same line
    (`_resume_point`), else at the next line. So every record that is valid is read,
    and every one that is not is counted once.
    """
    text = data.decode("utf-8", "surrogateescape")  # bad bytes kept, found per record
    position, end = 0, len(text)
    while True:
        while position < end and text[position] in _WHITESPACE:
            position += 1
        if position >= end:
            return
        try:
            value, after = _DECODER.raw_decode(text, position)
        except (ValueError, RecursionError) as error:
            resume = _resume_point(text, position)
            if _INVALID_UTF8.search(text, position, resume):
                problem = "not UTF-8"
            else:
                reason = getattr(error, "msg", None) or type(error).__name__
                problem = f"corrupt JSON record ({reason})"
        else:
            resume = after
            if _INVALID_UTF8.search(text, position, after):
                problem = "not UTF-8"
            elif isinstance(value, dict):
                yield _byte_offset(text, position), value
                position = after
                continue
            else:
                problem = f"JSON {type(value).__name__} where an object was expected"
        corrupt = LakeError(problem, key=key, offset=_byte_offset(text, position))
        if skipped is None:
            raise corrupt
        skipped.append(corrupt)
        position = resume
