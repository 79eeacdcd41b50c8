"""`messaging lake ls | query` as subprocesses against a stack on the local cloud.

Firehose buffering is off (`BufferIntervalSeconds=0`), so what `produce` publishes
lands in the bucket at once; the test still polls `lake ls` with a deadline rather than
trusting that.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from messaging.localcloud.server import LocalCloud
from tests.support import wait_for

pytestmark = pytest.mark.e2e

MESSAGING = Path(sys.executable).with_name("messaging")
STACK = ["--stack-name", "lake-e2e"]
EVENTS = 25


def run(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **cloud.client_environment(), "COLUMNS": "200"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [str(MESSAGING), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def ok(cloud: LocalCloud, *args: str) -> str:
    done = run(cloud, *args)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def lake_listing(cloud: LocalCloud) -> dict[str, Any] | None:
    listing: dict[str, Any] = json.loads(ok(cloud, "lake", "ls", "--json", *STACK))
    return listing if listing["partitions"] else None


@pytest.fixture(scope="module")
def listing(cloud: LocalCloud) -> Iterator[dict[str, Any]]:
    """The stack deployed, 25 events produced, and `lake ls --json` once they landed."""
    ok(
        cloud,
        "deploy",
        *STACK,
        "--parameter",
        "NamePrefix=lake-",
        "--parameter",
        "BufferIntervalSeconds=0",
    )
    try:
        empty = json.loads(ok(cloud, "lake", "ls", "--json", *STACK))
        assert (empty["objects"], empty["partitions"], empty["files"]) == (0, [], [])
        produced = json.loads(
            ok(cloud, "produce", "--count", str(EVENTS), "--seed", "3", "--json", *STACK)
        )
        assert (produced["published"], produced["failed"]) == (EVENTS, 0)
        yield wait_for(lambda: lake_listing(cloud), timeout=30, interval=0.5)
    finally:
        ok(cloud, "destroy", *STACK, "--yes")


def test_ls_lists_partitions_objects_and_sizes(cloud: LocalCloud, listing: dict[str, Any]) -> None:
    assert listing["bucket"].startswith("lake-consumer-lake-")
    [partition] = listing["partitions"]  # one run, one UTC day (barring midnight)
    days = {f["landing_date"] for f in listing["files"]}
    assert days == {partition["landing_date"]}
    assert partition["objects"] == listing["objects"] == len(listing["files"])
    assert partition["bytes"] == listing["bytes"] == sum(f["bytes"] for f in listing["files"])
    assert all(f["key"].startswith(f"landing_date={partition['landing_date']}/lake-created-")
               for f in listing["files"])  # fmt: skip
    assert listing["unpartitioned"] == {"objects": 0, "bytes": 0}

    shown = ok(cloud, "lake", "ls", "--long", *STACK)
    assert partition["landing_date"] in shown
    assert f"{listing['objects']} objects" in shown
    assert listing["files"][0]["key"] in shown


def test_query_counts_every_event_in_json_csv_and_table(
    cloud: LocalCloud, listing: dict[str, Any]
) -> None:
    count = "select count(distinct event_id) as n from events"
    assert json.loads(ok(cloud, "lake", "query", count, "--format", "json", *STACK)) == [
        {"n": EVENTS}
    ]

    day = listing["partitions"][0]["landing_date"]
    per_day = "select landing_date, count(*) as n from events group by 1"
    csv_out = ok(cloud, "lake", "query", per_day, "--format", "csv", *STACK)
    assert csv_out.splitlines() == ["landing_date,n", f"{day},{EVENTS}"]

    table = ok(cloud, "lake", "query", "select event_type, event_version from events limit 1",
               *STACK)  # fmt: skip
    assert "consumer.created" in table
    assert re.search(r"^1 row\s*$", table, re.MULTILINE)


def test_rows_serialise_dates_uuids_and_structs(cloud: LocalCloud, listing: dict[str, Any]) -> None:
    sql = (
        "select event_id::uuid as id, occurred_at, occurred_at::date as day, data.address "
        "from events order by occurred_at limit 2"
    )
    rows = json.loads(ok(cloud, "lake", "query", sql, "--format", "json", *STACK))
    assert len(rows) == 2
    assert set(rows[0]) == {"id", "occurred_at", "day", "address"}
    assert len(rows[0]["id"]) == 36
    assert rows[0]["occurred_at"].startswith(rows[0]["day"])
    assert set(rows[0]["address"]) == {"street", "city", "state", "postal_code", "country"}
    assert listing["partitions"]


def test_errors_are_one_line_and_a_non_zero_exit(
    cloud: LocalCloud, listing: dict[str, Any]
) -> None:
    assert listing["partitions"]
    bad = run(cloud, "lake", "query", "select nope from events", *STACK)
    assert bad.returncode == 1
    assert bad.stdout == ""
    [line] = bad.stderr.splitlines()
    assert line.startswith("error: Binder Error:")
    assert "nope" in line

    missing = run(cloud, "lake", "query", "select 1", "--stack-name", "no-such-stack")
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr

    unreachable = run(cloud, "lake", "ls", *STACK, "--endpoint-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 1
    assert "Could not connect" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr

    bad_format = run(cloud, "lake", "query", "select 1", "--format", "xml", *STACK)
    assert bad_format.returncode == 2


def test_help_gives_an_example_for_every_lake_command(cloud: LocalCloud) -> None:
    assert "lake" in ok(cloud, "--help")
    for command in ("ls", "query"):
        assert "Example: messaging lake" in ok(cloud, "lake", command, "--help")
