"""The lake as an Arrow table read through a boto3 S3 client, and SQL over it.

No S3 here: `read_events` takes the caller's S3 client, so a dict behind the two calls
it makes (a ListObjectsV2 paginator and GetObject) stands in for the bucket; the same
calls run against the local cloud in the integration suite.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from messaging.cli import lake as lake_cli
from messaging.core.events import encode
from messaging.lake import LakeError, parse_records
from messaging.lake import query as lake_query
from messaging.lake.query import query
from tests.support import make_event

KEY = "landing_date=2026-11-28/created-consumer-lake-1-2026-11-28-12-00-00-abc"
AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def records(data: bytes, **kwargs: Any) -> list[dict[str, Any]]:
    return list(parse_records(data, key=KEY, **kwargs))


def event_line(n: int, *, country: str = "US") -> bytes:
    return encode(make_event(n, country=country)).encode()


# -- the Arrow table -----------------------------------------------------------------------


def test_the_table_has_the_envelope_columns_typed_plus_partition_and_key() -> None:
    event = make_event(4, country="BR")
    table = lake_query.events_table([(KEY, json.loads(encode(event)))])
    assert table.schema == lake_query.EVENTS_SCHEMA
    [row] = table.to_pylist()
    assert row["event_id"] == str(event.event_id)
    assert (row["event_type"], row["event_version"]) == ("consumer.created", 1)
    assert row["occurred_at"] == event.occurred_at
    assert row["data"]["address"]["country"] == "BR"
    assert row["data"]["created_at"] == event.data.created_at
    assert (row["landing_date"], row["object_key"]) == ("2026-11-28", KEY)


def test_an_empty_lake_still_has_every_column() -> None:
    table = lake_query.events_table([])
    assert table.num_rows == 0
    assert table.schema == lake_query.EVENTS_SCHEMA
    assert table.column_names == [
        "event_id",
        "event_type",
        "event_version",
        "occurred_at",
        "data",
        "landing_date",
        "object_key",
    ]


def test_odd_records_conform_to_the_schema_instead_of_breaking_it() -> None:
    odd: list[dict[str, Any]] = [
        {"unrelated": True},
        {"event_id": 7, "event_version": "1", "occurred_at": "yesterday", "data": "text"},
        {"event_version": True, "occurred_at": 1700000000, "data": {"address": [1]}},
        {"event_version": 2**70, "occurred_at": "2026-11-28T12:00:00", "data": {"name": {"a": 1}}},
        {"occurred_at": "2026-11-28T14:00:00+02:00", "data": {"address": {"country": "ÅL"}}},
    ]
    rows = lake_query.events_table([("errors/x", record) for record in odd]).to_pylist()
    assert all(row["landing_date"] is None for row in rows)
    assert rows[0]["event_id"] is None
    assert rows[0]["data"] is None
    assert rows[1]["event_id"] == "7"  # text columns keep other JSON as its text
    assert rows[1]["event_version"] is None  # only a JSON integer is a version
    assert rows[1]["occurred_at"] is None
    assert rows[1]["data"] is None
    assert rows[2]["event_version"] is None  # true is not 1
    assert rows[2]["occurred_at"] is None  # RFC 3339 text, not epoch seconds
    assert rows[2]["data"]["address"] is None
    assert rows[3]["event_version"] is None  # beyond int64
    assert rows[3]["occurred_at"] == AT  # naive: read as UTC
    assert rows[3]["data"]["name"] == '{"a": 1}'
    assert rows[4]["occurred_at"] == AT  # converted to UTC
    assert rows[4]["data"]["address"] == {
        "street": None,
        "city": None,
        "state": None,
        "postal_code": None,
        "country": "ÅL",
    }


# -- SQL -----------------------------------------------------------------------------------


@pytest.fixture
def events() -> Any:
    """12 events over two days and three countries; event 0 delivered twice."""
    countries = ["US", "BR", "DE"]
    day1 = [(KEY, json.loads(encode(make_event(n, country=countries[n % 3])))) for n in range(8)]
    day2_key = "landing_date=2026-11-29/created-consumer-lake-1-2026-11-29-00-00-00-def"
    day2 = [
        (day2_key, json.loads(encode(make_event(n, country=countries[n % 3]))))
        for n in [0, *range(8, 12)]
    ]
    return lake_query.events_table(day1 + day2)


def test_count_distinct_sees_a_redelivered_event_once(events: Any) -> None:
    result = query(events, "select count(*) as n, count(distinct event_id) as d from events")
    assert result.columns == ["n", "d"]
    assert result.rows == [(13, 12)]


def test_group_by_landing_date(events: Any) -> None:
    result = query(
        events, "select landing_date, count(*) from events group by landing_date order by 1"
    )
    assert result.rows == [("2026-11-28", 8), ("2026-11-29", 5)]


def test_struct_fields_and_timestamps_are_queryable(events: Any) -> None:
    by_country = query(
        events,
        "select data.address.country as country, count(distinct data.consumer_id) as n "
        "from events group by all order by country",
    )
    assert by_country.columns == ["country", "n"]
    assert by_country.rows == [("BR", 4), ("DE", 4), ("US", 4)]
    first = query(events, "select min(occurred_at), max(occurred_at)::date from events")
    assert first.rows[0][0] == AT
    assert str(first.rows[0][1]) == "2026-11-28"


def test_query_over_an_empty_lake_answers_zero() -> None:
    assert query(lake_query.events_table([]), "select count(*) from events").rows == [(0,)]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("selec 1", 'Parser Error: syntax error at or near "selec"'),
        ("select nope from events", "Binder Error"),
        ("select * from orders", "Table with name orders does not exist"),
        ("", "the query is empty"),
        ("select * from read_csv('/etc/hostname')", "Permission Error"),
        ("install httpfs", "Permission Error"),
    ],
)
def test_bad_sql_is_a_lake_error_with_duckdbs_message_on_one_line(
    events: Any, sql: str, message: str
) -> None:
    with pytest.raises(LakeError) as raised:
        query(events, sql)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_sql_with_no_result_set_gives_no_columns(events: Any) -> None:
    assert query(events, "-- nothing to run") == ([], [])


# -- reading objects through the S3 client -------------------------------------------------


class FakeS3:
    """One bucket in a dict, behind the calls the lake reader makes."""

    def __init__(self, bucket: str = "lake") -> None:
        self.bucket = bucket
        self.objects: dict[str, bytes] = {}

    def get_paginator(self, name: str) -> FakeS3:
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket: str, Prefix: str = "") -> Iterator[dict[str, Any]]:  # noqa: N803
        if Bucket != self.bucket:
            error: Any = {"Error": {"Code": "NoSuchBucket", "Message": "no such bucket"}}
            raise ClientError(error, "ListObjectsV2")
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        for start in range(0, max(1, len(keys)), 2):  # two per page: pages are followed
            page = keys[start : start + 2]
            yield {"Contents": [self._listed(k) for k in page]} if page else {}

    def _listed(self, key: str) -> dict[str, Any]:
        return {"Key": key, "Size": len(self.objects[key]), "LastModified": AT}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        return {"Body": io.BytesIO(self.objects[Key])}


def test_read_events_reads_plain_and_gzip_objects_of_the_partitions_only() -> None:
    s3 = FakeS3()
    s3.objects[KEY] = b"".join(event_line(n) + b"\n" for n in range(3))
    s3.objects["landing_date=2026-11-29/created-consumer-lake-1-2026-11-29-00-00-00-x.gz"] = (
        gzip.compress(b"".join(event_line(n) for n in range(3, 5)))
    )
    s3.objects["errors/processing-failed/landing_date=2026-11-29/e"] = b"not an event"
    table = lake_query.read_events(s3, "lake")  # type: ignore[arg-type]
    assert table.num_rows == 5
    result = query(table, "select landing_date, count(*) from events group by 1 order by 1")
    assert result.rows == [("2026-11-28", 3), ("2026-11-29", 2)]


def test_read_events_of_a_missing_prefix_is_an_empty_table() -> None:
    table = lake_query.read_events(FakeS3(), "lake")  # type: ignore[arg-type]
    assert (table.num_rows, table.schema) == (0, lake_query.EVENTS_SCHEMA)


def test_a_missing_bucket_is_a_lake_error() -> None:
    with pytest.raises(LakeError, match="bucket 'other' does not exist"):
        lake_query.read_events(FakeS3(), "other")  # type: ignore[arg-type]


def test_a_corrupt_object_is_a_lake_error_or_skipped_and_counted() -> None:
    s3: Any = FakeS3()
    s3.objects["landing_date=2026-11-29/y.gz"] = b"not gzip at all"
    with pytest.raises(LakeError, match=r"^landing_date=2026-11-29/y.gz: not valid GZIP"):
        lake_query.read_events(s3, "lake")
    del s3.objects["landing_date=2026-11-29/y.gz"]
    s3.objects[KEY] = event_line(1) + b"\n{broken\n" + event_line(2) + b"\n"
    with pytest.raises(LakeError, match=re.escape(f"{KEY} at byte {len(event_line(1)) + 1}:")):
        lake_query.read_events(s3, "lake")
    skipped: list[LakeError] = []
    table = lake_query.read_events(s3, "lake", skipped=skipped)
    assert table.num_rows == 2
    assert [e.key for e in skipped] == [KEY]


def test_a_json_object_that_is_not_an_event_is_no_row_but_an_error_or_counted() -> None:
    s3: Any = FakeS3()
    s3.objects[KEY] = event_line(1) + b'\n{"hello": "world"}\n' + event_line(2) + b"\n"
    with pytest.raises(lake_query.NotAnEventError) as raised:
        lake_query.read_events(s3, "lake")
    assert raised.value.offset == len(event_line(1)) + 1
    skipped: list[LakeError] = []
    table = lake_query.read_events(s3, "lake", skipped=skipped)
    # Not an all-NULL row that count(*) would count.
    assert query(table, "select count(*) from events").rows == [(2,)]
    assert [type(e).__name__ for e in skipped] == ["NotAnEventError"]


def test_only_the_partitions_the_where_clause_needs_are_read() -> None:
    s3: Any = FakeS3()
    for day in ("2026-11-27", "2026-11-28", "2026-11-29"):
        s3.objects[f"landing_date={day}/o"] = event_line(int(day[-2:])) + b"\n"
    read = lake_query.read_lake(
        s3,
        "lake",
        partitions=lake_query.needed(
            "select count(*) from events where landing_date >= '2026-11-28'"
        ),
    )
    assert [o.key for o in read.read] == ["landing_date=2026-11-28/o", "landing_date=2026-11-29/o"]
    assert len(read.listed) == 3
    assert read.table.num_rows == 2


def test_bad_sql_fails_the_check_before_anything_is_read() -> None:
    with pytest.raises(LakeError, match="Parser Error"):
        lake_query.check("selec count(*) from events")
    with pytest.raises(LakeError, match="nope"):
        lake_query.check("select nope from events")
    lake_query.check("select count(*) from events where landing_date = '2026-11-28'")


# -- output of the CLI ---------------------------------------------------------------------


def test_query_values_become_json() -> None:
    value = {
        "at": AT,
        "day": AT.date(),
        "id": uuid.UUID(int=1),
        "amount": Decimal("1.50"),
        "nan": float("nan"),
        "list": [1, "x", None, True],
        "raw": b"\x00\xff",
    }
    assert lake_cli.jsonable(value) == {
        "at": "2026-11-28T12:00:00+00:00",
        "day": "2026-11-28",
        "id": "00000000-0000-0000-0000-000000000001",
        "amount": "1.50",
        "nan": None,
        "list": [1, "x", None, True],
        "raw": "AP8=",
    }
    json.dumps(lake_cli.jsonable(value), allow_nan=False)  # valid JSON


def test_repeated_column_names_stay_distinct_in_json() -> None:
    assert lake_cli._unique(["a", "b", "a", "a"]) == ["a", "b", "a_2", "a_3"]


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (5 * 1024**2 + 1, "5.0 MiB")],
)
def test_human_size(size: int, shown: str) -> None:
    assert lake_cli.human_size(size) == shown
