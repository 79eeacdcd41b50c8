"""The lake as one Arrow table, read through pyarrow's S3 file system, queried by DuckDB.

Reading S3 from DuckDB would need its `httpfs` extension, downloaded at run time;
instead pyarrow (whose wheels carry an S3 client) reads the objects, on AWS and on any
endpoint alike, and DuckDB only sees the registered Arrow table `events`: the decoded
event columns plus `landing_date` (from the object's partition) and `object_key`.
DuckDB runs in memory with external access off, so no extension can be installed or
auto-loaded and a query cannot read or write files.

pyarrow is imported here and only here: commands that do not query the lake do not pay
for loading it.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
from pyarrow import fs as pafs

from messaging.lake import PARTITION_KEY, LakeError, LakeObject, parse_records, partition_of

if TYPE_CHECKING:
    from messaging.ops.settings import Settings

__all__ = [
    "EVENTS_SCHEMA",
    "TABLE_NAME",
    "QueryResult",
    "events_table",
    "lake_filesystem",
    "list_lake_objects",
    "query",
    "read_events",
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


class QueryResult(NamedTuple):
    """Column names (in order, duplicates kept as DuckDB gives them) and the rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]  # values are whatever DuckDB returns for each SQL type


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


# -- S3 through pyarrow ------------------------------------------------------------------


def lake_filesystem(
    settings: Settings,
    credentials: tuple[str, str] | None = None,
    *,
    session_token: str | None = None,
) -> Any:  # a pyarrow S3FileSystem (untyped)
    """pyarrow's S3 client for `settings`: AWS by default, or the endpoint URL when set.

    Without `credentials` pyarrow uses the standard AWS chain (environment, profile,
    SSO, instance role); explicit keys are for the local cloud's placeholders, or for
    keys a boto3 session already resolved (pyarrow has no `--profile` of its own).
    """
    options: dict[str, Any] = {"connect_timeout": 5, "request_timeout": 30}
    if settings.region:
        options["region"] = settings.region
    if settings.endpoint_url:
        url = urlsplit(settings.endpoint_url)
        # Any endpoint but AWS gets path-style addressing (no bucket DNS names there).
        options |= {"endpoint_override": url.netloc, "scheme": url.scheme}
        options["force_virtual_addressing"] = False
    if credentials is not None:
        options |= {"access_key": credentials[0], "secret_key": credentials[1]}
        options["session_token"] = session_token
    try:
        return pafs.S3FileSystem(**options)
    except (pa.ArrowException, ValueError) as error:
        raise LakeError(f"cannot configure S3 access: {error}") from error


def list_lake_objects(fs: Any, bucket: str, prefix: str = "") -> list[LakeObject]:
    """Objects whose key starts with `prefix`, through pyarrow (`fs`: an S3FileSystem)."""
    # pyarrow lists directories, not key prefixes: list the prefix's folder, then filter.
    # A folder that is not there is an empty listing, but so would be a missing bucket
    # (pyarrow's `allow_not_found` does not tell them apart): the bucket is checked first.
    folder = prefix.rpartition("/")[0]
    selector = pafs.FileSelector(f"{bucket}/{folder}".rstrip("/"), recursive=True)
    selector.allow_not_found = True
    try:
        if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise LakeError(f"bucket {bucket!r} does not exist")
        infos = fs.get_file_info(selector)
    except (OSError, pa.ArrowException) as error:
        raise LakeError(f"cannot list s3://{bucket}/{prefix}: {error}") from error
    objects = []
    for info in infos:
        key = info.path.removeprefix(f"{bucket}/")
        if info.type == pafs.FileType.File and key.startswith(prefix):
            objects.append(LakeObject(key, int(info.size), info.mtime))
    return sorted(objects, key=lambda o: o.key)


def _read_object(fs: Any, bucket: str, key: str) -> bytes:
    try:
        # compression=None: pyarrow would guess from the extension; we decide below.
        with fs.open_input_stream(f"{bucket}/{key}", compression=None) as stream:
            data: bytes = stream.read()
    except (OSError, pa.ArrowException) as error:
        raise LakeError(f"cannot read s3://{bucket}/{key}: {error}") from error
    if not key.endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise LakeError(f"not valid GZIP: {error}", key=key) from error


def read_events(
    fs: Any,  # a pyarrow S3FileSystem
    bucket: str,
    prefix: str = f"{PARTITION_KEY}=",
    *,
    skipped: list[LakeError] | None = None,
) -> Any:  # a pyarrow Table in EVENTS_SCHEMA
    """Every record under `prefix` as one Arrow table, objects in key order.

    The default prefix is the partitioned layout, so `errors/...` is never read.
    Objects are fetched in parallel (pyarrow releases the GIL while it waits on S3).
    """
    objects = list_lake_objects(fs, bucket, prefix)
    with ThreadPoolExecutor(max_workers=max(1, min(READ_THREADS, len(objects)))) as pool:
        bodies = pool.map(lambda o: _read_object(fs, bucket, o.key), objects)
        records = [
            (obj.key, record)
            for obj, body in zip(objects, bodies, strict=True)
            for record in parse_records(body, key=obj.key, skipped=skipped)
        ]
    return events_table(records)
