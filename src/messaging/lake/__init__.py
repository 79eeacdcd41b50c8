"""The S3 data lake Firehose writes: its objects and records (`objects`, through boto3),
and SQL over them (`query`, which alone loads pyarrow and DuckDB, so it is not imported
here)."""

from messaging.lake.objects import (
    FULL_LISTING_EVERY,
    PARTITION_KEY,
    LakeError,
    LakeObject,
    LakeSummary,
    ObjectsSince,
    list_objects,
    list_since,
    parse_records,
    partition_of,
    read_object,
    records_at,
    summarize,
)

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
