"""Lake commands: `lake ls` and `lake query`.

The bucket comes from the stack's `LakeBucketName` output. Listing and reading go
through the session's boto3 S3 client, as `status` does (one S3 path, one set of
credentials); the records are turned into Arrow and queried with DuckDB in memory, so
nothing is downloaded at run time (no DuckDB extension), on AWS and on the local cloud
alike.
"""

from __future__ import annotations

import base64
import csv
import json
import math
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from messaging import lake
from messaging.cli.common import (
    App,
    EndpointUrl,
    Group,
    Profile,
    Region,
    StackName,
    app,
    err,
    fail,
    guard,
    out,
    session,
    settings_from,
)
from messaging.cli.console import note
from messaging.cli.local import require_extra
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings

if TYPE_CHECKING:
    from messaging.lake.query import QueryResult

__all__ = ["lake_app", "list_lake", "query_lake"]

lake_app = App(
    cls=Group,
    help="The S3 data lake Firehose writes: list its partitions, query its events with SQL.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(lake_app, name="lake")

Format = Literal["table", "json", "csv"]


def _bucket(settings: Settings) -> tuple[Aws, str]:
    aws = session(settings)  # a missing --profile fails here
    outputs = guard(lambda: stack.stack_outputs(aws.cloudformation(), settings.stack_name))
    return aws, outputs.LakeBucketName


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


@lake_app.command("ls")
def list_lake(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (sizes in bytes).")] = False,
    long: Annotated[
        bool, typer.Option("--long", "-l", help="List every object, not only partitions.")
    ] = False,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Partitions of the lake (`landing_date=`), their objects and sizes.

    Objects outside the partitions (Firehose's `errors/...`) are counted apart: they
    are not events. `--json` always lists every object.

    Example: messaging lake ls --long
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, bucket = _bucket(settings)
    objects = guard(lambda: lake.list_objects(aws.s3(), bucket))
    summary = lake.summarize(objects)
    if as_json:
        document = {
            "bucket": bucket,
            "objects": summary.objects,
            "bytes": summary.bytes,
            "partitions": [
                {
                    "landing_date": name,
                    "objects": summary.objects_per_partition[name],
                    "bytes": summary.bytes_per_partition[name],
                }
                for name in summary.partitions
            ],
            "unpartitioned": {
                "objects": summary.unpartitioned_objects,
                "bytes": summary.unpartitioned_bytes,
            },
            "files": [
                {
                    "key": o.key,
                    "landing_date": o.partition,
                    "bytes": o.size,
                    "last_modified": o.last_modified.isoformat(),
                }
                for o in objects
            ],
        }
        sys.stdout.write(json.dumps(document) + "\n")
        return
    # The bucket on its own line: as a table title it would wrap at the table's width.
    out.print(f"[bold]s3://{escape(bucket)}[/bold]", soft_wrap=True, highlight=False)
    table = Table("landing_date", "objects", "size")
    for name in summary.partitions:
        size = human_size(summary.bytes_per_partition[name])
        table.add_row(name, str(summary.objects_per_partition[name]), size)
    if summary.unpartitioned_objects:
        table.add_row(
            Text("(outside partitions)", style="yellow"),
            str(summary.unpartitioned_objects),
            human_size(summary.unpartitioned_bytes),
        )
    out.print(table)
    out.print(f"{summary.objects} objects, {human_size(summary.bytes)}")
    if long:
        listing = Table("key", "size", "last modified", title="objects", title_justify="left")
        for o in objects:
            listing.add_row(Text(o.key), human_size(o.size), o.last_modified.isoformat())
        out.print(listing)


# -- query output --------------------------------------------------------------------


_SCALARS: tuple[tuple[tuple[type, ...], Callable[[Any], object]], ...] = (
    ((bool, int, str), lambda v: v),
    ((float,), lambda v: v if math.isfinite(v) else None),  # JSON has no NaN or infinity
    ((datetime, date, time), lambda v: v.isoformat()),
    ((timedelta,), lambda v: v.total_seconds()),
    ((bytes,), lambda v: base64.b64encode(v).decode("ascii")),
)


def jsonable(value: object) -> object:
    """A DuckDB value as JSON: times in ISO 8601, UUIDs and decimals as text, NaN as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None:
        return None
    for kinds, convert in _SCALARS:
        if isinstance(value, kinds):
            return convert(value)
    return str(value)  # UUID, Decimal, ...


def _cell(value: object) -> str:
    """A value as one CSV or table cell: empty for NULL, JSON for structs and lists."""
    shown = jsonable(value)
    if shown is None:
        return ""
    if isinstance(shown, bool):
        return "true" if shown else "false"
    if isinstance(shown, dict | list):
        return json.dumps(shown, ensure_ascii=False)
    return str(shown)


def _unique(columns: list[str]) -> list[str]:
    """JSON objects need distinct keys: a repeated column name gets `_2`, `_3`, ..."""
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        seen[column] = seen.get(column, 0) + 1
        names.append(column if seen[column] == 1 else f"{column}_{seen[column]}")
    return names


def _render(result: QueryResult, output: Format) -> None:
    if output == "json":
        names = _unique(result.columns)
        rows = [{n: jsonable(v) for n, v in zip(names, row, strict=True)} for row in result.rows]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    elif output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_cell(v) for v in row] for row in result.rows)
    else:
        count = len(result.rows)
        table = Table(caption=f"{count} row{'' if count == 1 else 's'}", caption_justify="left")
        for column in result.columns:
            table.add_column(Text(column))
        for row in result.rows:
            table.add_row(*(Text(_cell(v)) if v is not None else Text("NULL", "dim") for v in row))
        out.print(table)


@lake_app.command("query")
def query_lake(
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over the table `events`: event_id, event_type, event_version, "
            "occurred_at, data (a struct: data.address.country), landing_date, object_key."
        ),
    ],
    output: Annotated[
        Format, typer.Option("--format", "-f", help="table, json (an array of rows) or csv.")
    ] = "table",
    skip_corrupt: Annotated[
        bool,
        typer.Option(
            "--skip-corrupt",
            help="Skip corrupt records and JSON objects that are not events (each counted "
            "on stderr) instead of failing on the first.",
        ),
    ] = False,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Query the lake's events with SQL (DuckDB).

    The SQL is checked first, against the table's columns, before anything is read.
    Then only the `landing_date=` partitions its WHERE clause can need are read (e.g.
    `where landing_date >= '2026-11-01'`; with no such condition, all of them), with
    boto3 like every other call (no DuckDB extension, nothing downloaded); DuckDB runs
    in memory with no file or network access. A corrupt record or a JSON object that is
    not an event fails the query, naming its object and byte offset, unless
    --skip-corrupt.

    Example: messaging lake query "select landing_date, count(*) from events group by 1"
    """
    require_extra("lake", "messaging lake query")
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    from messaging.lake import query as lake_query  # noqa: PLC0415 - pyarrow and DuckDB load only here

    try:
        lake_query.check(sql)  # a typo costs nothing: nothing is read before this
    except lake.LakeError as error:
        raise fail(str(error)) from error
    partitions = lake_query.needed(sql)
    aws, bucket = _bucket(settings)
    skipped: list[lake.LakeError] | None = [] if skip_corrupt else None
    try:
        read = lake_query.read_lake(aws.s3(), bucket, skipped=skipped, partitions=partitions)
    except lake.LakeError as error:
        hint = " (--skip-corrupt reads the rest)" if error.offset is not None else ""
        raise fail(f"{error}{hint}") from error
    if partitions is not None:
        wanted = sorted({o.partition for o in read.read if o.partition})
        note(
            f"read {len(read.read)} of {len(read.listed)} objects: the WHERE clause needs "
            f"only landing_date {', '.join(wanted) or '(none of those in the lake)'}"
        )
    if skipped:
        _warn_skipped(skipped)
    try:
        result = lake_query.query(read.table, sql)
    except lake.LakeError as error:
        raise fail(str(error)) from error
    _render(result, output)


def _warn_skipped(skipped: list[lake.LakeError]) -> None:
    from messaging.lake.query import NotAnEventError  # noqa: PLC0415 - DuckDB loads only here

    not_events = sum(isinstance(problem, NotAnEventError) for problem in skipped)
    corrupt = len(skipped) - not_events
    counts = [
        f"{corrupt} corrupt record{'' if corrupt == 1 else 's'}" if corrupt else "",
        f"{not_events} JSON object{'' if not_events == 1 else 's'} that "
        f"{'is' if not_events == 1 else 'are'} not an event"
        if not_events
        else "",
    ]
    err.print(
        f"[yellow]warning:[/yellow] skipped {' and '.join(c for c in counts if c)} "
        f"(not in the results); first: {escape(str(skipped[0]))}",
        soft_wrap=True,
        highlight=False,
    )
