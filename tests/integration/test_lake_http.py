"""The lake reader against the local cloud over HTTP: boto3 reads, then Arrow and DuckDB.

Objects are put the way Firehose lays them out (plain and GZIP, NDJSON from SNS raw
delivery and concatenated JSON from other producers, an `errors/...` object beside),
then read back through the session's S3 client, exactly as `messaging lake query` does:
one S3 path, one set of credentials, every request counted.
"""

from __future__ import annotations

import gzip
import uuid

import pytest

from messaging.core.events import encode
from messaging.lake import LakeError, list_objects
from messaging.lake.query import query, read_events
from messaging.ops.aws import Aws, default_config
from messaging.ops.settings import Settings
from tests.support import make_event

pytestmark = pytest.mark.integration

STREAM = "created-consumer-lake"


def firehose_key(day: str, second: int, *, gz: bool = False) -> str:
    stamp = f"{day}-12-00-{second:02d}"
    return f"landing_date={day}/{STREAM}-1-{stamp}-{uuid.uuid4()}" + (".gz" if gz else "")


def lines(numbers: range, *, countries: tuple[str, ...] = ("US",)) -> list[bytes]:
    return [encode(make_event(n, country=countries[n % len(countries)])).encode() for n in numbers]


@pytest.fixture
def bucket(aws: Aws, name_prefix: str) -> str:
    """A bucket in the Firehose layout: 4 event objects over two days, and an error object."""
    name = f"{name_prefix}lake-http"
    s3 = aws.s3()
    s3.create_bucket(Bucket=name)
    objects = {
        # SNS raw delivery: one event per line, each with its newline.
        firehose_key("2026-11-28", 0): b"".join(x + b"\n" for x in lines(range(10))),
        # The same, compressed (CompressionFormat: GZIP).
        firehose_key("2026-11-28", 5, gz=True): gzip.compress(
            b"".join(x + b"\n" for x in lines(range(10, 15), countries=("BR", "DE")))
        ),
        # Another producer: concatenated, no separator; event 0 redelivered.
        firehose_key("2026-11-29", 0): b"".join(lines(range(15, 20)) + lines(range(1))),
        firehose_key("2026-11-29", 9, gz=True): gzip.compress(b"\n".join(lines(range(20, 25)))),
        "errors/processing-failed/landing_date=2026-11-29/err-1": b'{"errorCode":"x"}\n',
    }
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    return name


def test_events_read_through_boto3_and_queried_with_duckdb(aws: Aws, bucket: str) -> None:
    s3 = aws.s3()
    assert len(list_objects(s3, bucket)) == 5
    before = aws.requests.snapshot().get("s3:GetObject", 0)
    table = read_events(s3, bucket)
    assert aws.requests.snapshot()["s3:GetObject"] - before == 4  # counted like any call
    assert table.num_rows == 26  # the errors/ object is not an event
    totals = query(table, "select count(*), count(distinct event_id) from events")
    assert totals.rows == [(26, 25)]
    per_day = query(
        table, "select landing_date, count(distinct event_id) from events group by 1 order by 1"
    )
    assert per_day.rows == [("2026-11-28", 15), ("2026-11-29", 11)]
    countries = query(
        table,
        "select data.address.country, count(*) from events "
        "where object_key like '%.gz' group by 1 order by 1",
    )
    assert countries.rows == [("BR", 3), ("DE", 2), ("US", 5)]


def test_the_default_credential_chain_reads_the_environment(aws: Aws, bucket: str) -> None:
    # The `aws` fixture exported the cloud's placeholder keys, as `client_environment` does:
    # a session without explicit keys finds them, as it finds a profile's or a role's.
    session = Aws(aws.settings)
    table = read_events(session.s3(), bucket, prefix="landing_date=2026-11-29/")
    assert set(table.column("landing_date").to_pylist()) == {"2026-11-29"}
    assert table.num_rows == 11


def test_s3_failures_are_lake_errors(aws: Aws, name_prefix: str) -> None:
    with pytest.raises(LakeError, match=r"bucket .* does not exist"):
        read_events(aws.s3(), f"{name_prefix}no-such-bucket")
    unreachable = Settings(endpoint_url="http://127.0.0.1:9", region=aws.region)
    session = Aws(unreachable, default_config(max_attempts=1), placeholder_credentials=("k", "s"))
    with pytest.raises(LakeError, match="cannot list s3://"):
        read_events(session.s3(), "any-bucket")
