"""The lake as one Arrow table, queried by DuckDB: check the SQL, read what it needs, query.

The SQL is parsed and bound first, against an empty table of the same columns (`check`),
so a typo costs nothing; then only the partitions its WHERE clause can need are read
(`prune.needed_partitions`), then it runs.

Reading S3 from DuckDB would need its `httpfs` extension, downloaded at run time; a
second S3 client (pyarrow's) would need the credentials copied into it. Instead the
objects are listed and read with the caller's boto3 client (`lake.objects`), the one
S3 path of the application, so credentials and endpoint come from one session. DuckDB
only sees the registered Arrow table `events`: the decoded event columns plus
`landing_date` (from the object's partition) and `object_key`. DuckDB runs in memory
with external access off, so no extension can be installed or auto-loaded and a query
cannot read or write files.

pyarrow and DuckDB are imported here and only here: commands that do not query the
lake do not pay for loading them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
from botocore.exceptions import BotoCoreError, ClientError

from messaging.lake import (
    PARTITION_KEY,
    LakeError,
    LakeObject,
    list_objects,
    partition_of,
    read_object,
    records_at,
)
from messaging.lake.prune import Partitions, needed_partitions

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "EVENTS_SCHEMA",
    "TABLE_NAME",
    "LakeRead",
    "NotAnEventError",
    "QueryResult",
    "check",
    "events_table",
    "is_event",
    "needed",
    "query",
    "read_events",
    "read_lake",
]

READ_THREADS = 16
_INT64 = (-(2**63), 2**63 - 1)
_ADDRESS = pa.struct(
    [(name, pa.string()) for name in ("street", "city", "state", "postal_code", "country")]
)
_TIMESTAMP = pa.timestamp("us", tz="UTC")
# The known envelope of `messaging.core.events`, explicit so that an empty lake still has
# every column and an odd record cannot change a column's type.
_ENVELOPE = pa.struct(
    [
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("event_version", pa.int64()),
        ("occurred_at", _TIMESTAMP),
        (
            "data",
            pa.struct(
                [
                    ("consumer_id", pa.string()),
                    ("name", pa.string()),
                    ("email", pa.string()),
                    ("phone", pa.string()),
                    ("address", _ADDRESS),
                    ("created_at", _TIMESTAMP),
                ]
            ),
        ),
    ]
)
EVENTS_SCHEMA = pa.schema(
    [
        *(_ENVELOPE.field(i) for i in range(_ENVELOPE.num_fields)),
        (PARTITION_KEY, pa.string()),
        ("object_key", pa.string()),
    ]
)


TABLE_NAME = "events"
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class NotAnEventError(LakeError):
    """A JSON object in the lake that is not an event: no `event_id` or `event_type` text.

    It used to become a row of NULLs that count(*) counted."""


class LakeRead(NamedTuple):
    table: Any  # a pyarrow Table in EVENTS_SCHEMA
    read: list[LakeObject]  # the objects read
    listed: list[LakeObject]  # every object under the prefix


class QueryResult(NamedTuple):
    """Column names (in order, duplicates kept as DuckDB gives them) and the rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]  # values are whatever DuckDB returns for each SQL type


def check(sql: str) -> None:
    """Parse and bind `sql` against an empty table of the lake's columns: reads nothing."""
    query(events_table([]), sql)


def needed(sql: str) -> Partitions | None:
    """Which partitions `sql` needs (None: all of them); see `lake.prune`."""
    with duckdb.connect(":memory:", config=_CONFIG) as connection:
        return needed_partitions(connection, sql)


def query(table: Any, sql: str) -> QueryResult:  # table: a pyarrow Table (untyped)
    """Run `sql` with `table` registered as `events`; a DuckDB error becomes `LakeError`."""
    if not sql.strip():
        raise LakeError("the query is empty")
    try:
        with duckdb.connect(":memory:", config=_CONFIG) as connection:
            connection.register(TABLE_NAME, table)
            # `execute` returns None (not the connection) for SQL that is only comments,
            # so read the result through the connection, whose description says if any.
            connection.execute(sql)
            # The stubs say a list, but it is None when there is no result set.
            description: list[tuple[Any, ...]] | None = connection.description
            if description is None:
                return QueryResult([], [])
            return QueryResult([column[0] for column in description], connection.fetchall())
    except duckdb.Error as error:
        raise LakeError(_one_line(str(error))) from error


def _one_line(message: str) -> str:
    """DuckDB's message without the `LINE 1: ...` excerpt and caret that follow it."""
    kept: list[str] = []
    for line in filter(None, (part.strip() for part in message.splitlines())):
        if line.startswith("LINE "):
            break
        kept.append(line)
    return " ".join(kept) or message.strip()


# -- the Arrow table ---------------------------------------------------------------------


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # RFC 3339 requires an offset; a naive time is read as UTC, as AWS writes them.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _conform_struct(value: Mapping[str, Any], kind: Any) -> dict[str, object]:
    fields = [kind.field(i) for i in range(kind.num_fields)]
    return {f.name: _conform(value.get(f.name), f.type) for f in fields}


def _conform(value: object, kind: Any) -> object:  # kind: a pyarrow DataType (untyped)
    """`value` shaped to `kind`: unknown fields dropped, a misfit becomes null, never an error.

    Strings stay lossless: a number or object where text was expected becomes its JSON.
    """
    if pa.types.is_struct(kind):
        return _conform_struct(value, kind) if isinstance(value, Mapping) else None
    if value is None:
        return None
    if pa.types.is_string(kind):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if pa.types.is_integer(kind):
        fits = type(value) is int and _INT64[0] <= value <= _INT64[1]
        return value if fits else None
    if pa.types.is_timestamp(kind):
        return _timestamp(value)
    raise TypeError(f"no conversion to {kind}")  # a schema change without a converter


def events_table(records: Iterable[tuple[str, Mapping[str, Any]]]) -> Any:  # a pyarrow Table
    """One row per `(object_key, record)`, in `EVENTS_SCHEMA` (zero rows when empty)."""
    rows = []
    for key, record in records:
        row = _conform_struct(record, _ENVELOPE)
        rows.append({**row, PARTITION_KEY: partition_of(key), "object_key": key})
    return pa.Table.from_pylist(rows, schema=EVENTS_SCHEMA)


# -- reading ------------------------------------------------------------------------------


def is_event(record: Mapping[str, Any]) -> bool:
    """The least an envelope has: its id and its type, as text."""
    return isinstance(record.get("event_id"), str) and isinstance(record.get("event_type"), str)


def read_events(
    s3: S3Client,
    bucket: str,
    prefix: str = f"{PARTITION_KEY}=",
    *,
    skipped: list[LakeError] | None = None,
    partitions: Partitions | None = None,
) -> Any:  # a pyarrow Table in EVENTS_SCHEMA
    """`read_lake`'s table."""
    return read_lake(s3, bucket, prefix, skipped=skipped, partitions=partitions).table


def read_lake(
    s3: S3Client,
    bucket: str,
    prefix: str = f"{PARTITION_KEY}=",
    *,
    skipped: list[LakeError] | None = None,
    partitions: Partitions | None = None,
) -> LakeRead:
    """Every event under `prefix` (of the `partitions` wanted, if given) as one Arrow
    table, objects in key order.

    The default prefix is the partitioned layout, so `errors/...` is never read.
    Objects are fetched in parallel (boto3 clients are thread-safe and release the GIL
    while they wait on S3). A corrupt record, or a JSON object that is not an event
    (`NotAnEventError`), raises `LakeError`, or with `skipped` is appended there and left
    out of the table: every record is either a row or counted there, once.
    """
    try:
        listed = sorted(list_objects(s3, bucket, prefix), key=lambda o: o.key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            raise LakeError(f"bucket {bucket!r} does not exist") from error
        raise LakeError(f"cannot list s3://{bucket}/{prefix}: {error}") from error
    except BotoCoreError as error:
        raise LakeError(f"cannot list s3://{bucket}/{prefix}: {error}") from error
    objects = [
        o for o in listed if partitions is None or o.partition is None or partitions(o.partition)
    ]
    records: list[tuple[str, Mapping[str, Any]]] = []
    with ThreadPoolExecutor(max_workers=max(1, min(READ_THREADS, len(objects)))) as pool:
        bodies = pool.map(lambda o: read_object(s3, bucket, o.key), objects)
        for obj, body in zip(objects, bodies, strict=True):
            for offset, record in records_at(body, key=obj.key, skipped=skipped):
                if is_event(record):
                    records.append((obj.key, record))
                    continue
                problem = NotAnEventError(
                    "a JSON object that is not an event (no event_id and event_type text)",
                    key=obj.key,
                    offset=offset,
                )
                if skipped is None:
                    raise problem
                skipped.append(problem)
    return LakeRead(events_table(records), objects, listed)
