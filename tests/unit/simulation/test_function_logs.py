"""The functions' lines, as Lambda and the handler write them, read back for the bill."""

from __future__ import annotations

import json
from typing import Any

import pytest

from messaging.simulation.function_logs import (
    LOOKBACK_EVERY,
    LOOKBACK_MS,
    RECENT_MS,
    FunctionActivity,
    LogReader,
    parse_report,
)

# As Lambda writes it (and the local runtime, localcloud/awslambda/logs.py), cold start.
REPORT = (
    "REPORT RequestId: 3f1c\tDuration: 12.34 ms\tBilled Duration: 323 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 41 MB\tInit Duration: 310.52 ms"
)
HANDLER = json.dumps(
    {
        "type": "messaging.batch",
        "service": "orders",
        "records": 10,
        "applied": 10,
        "aws_calls": {"dynamodb:PutItem": 10},
        "aws_usage": {"dynamodb:PutItem": {"requests": 10, "records": 10, "write_units": 10}},
    }
)


def test_the_report_line_gives_gb_seconds() -> None:
    report = parse_report(REPORT)
    assert report is not None
    assert (report.billed_ms, report.memory_mb) == (323, 256)
    activity = FunctionActivity()
    activity.add(0, REPORT)
    assert activity.gb_seconds == pytest.approx(0.323 * 0.25)


def test_the_handler_line_gives_its_usage_and_every_line_its_bytes() -> None:
    activity = FunctionActivity()
    for line in (HANDLER, HANDLER, "START RequestId: 3f1c Version: $LATEST"):
        activity.add(0, line)
    usage = activity.usage["dynamodb:PutItem"]
    assert (usage.requests, usage.write_units) == (20, 20.0)
    assert activity.log_bytes == 2 * len(HANDLER) + len("START RequestId: 3f1c Version: $LATEST")


class _Group:
    """A log group as FilterLogEvents answers it: events from `startTime`, by timestamp,
    in pages of `page` events; every call's `startTime` kept."""

    def __init__(self, page: int = 1_000) -> None:
        self.events: list[dict[str, object]] = []
        self.starts: list[int] = []
        self.page = page

    def put(self, timestamp: int, message: str) -> None:
        self.events.append(
            {"eventId": str(len(self.events)), "timestamp": timestamp, "message": message}
        )

    def filter_log_events(self, **asked: Any) -> dict[str, object]:
        start: int = asked["startTime"]
        token: str | None = asked.get("nextToken")
        if token is None:
            self.starts.append(start)
        matching = sorted(
            (e for e in self.events if int(str(e["timestamp"])) >= start),
            key=lambda e: int(str(e["timestamp"])),
        )
        first = int(token or 0)
        page: dict[str, object] = {"events": matching[first : first + self.page]}
        if first + self.page < len(matching):
            page["nextToken"] = str(first + self.page)
        return page


def _messages(reader: LogReader, *, settle: bool = False) -> list[str]:
    return [message for _, message in reader.read(settle=settle)]


def test_a_routine_read_asks_only_for_the_last_seconds_before_the_newest_event() -> None:
    group = _Group()
    reader = LogReader(group, "/aws/lambda/orders", since_ms=1_000)
    group.put(100_000, "a")
    assert _messages(reader) == ["a"]
    group.put(101_000, "b")
    assert _messages(reader) == ["b"]
    assert group.starts == [1_000, 100_000 - RECENT_MS]


def test_every_tenth_read_and_a_settling_one_look_a_minute_back() -> None:
    group = _Group()
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0)
    group.put(200_000, "newest")
    for _ in range(LOOKBACK_EVERY - 1):
        _messages(reader)
    _messages(reader)  # the tenth
    _messages(reader, settle=True)
    assert (
        group.starts[1:]
        == [200_000 - RECENT_MS] * (LOOKBACK_EVERY - 2) + [200_000 - LOOKBACK_MS] * 2
    )


def test_a_line_ingested_late_is_yielded_once_by_the_next_full_read_and_none_twice() -> None:
    group = _Group(page=2)  # pages too: a read follows nextToken
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0)
    for t in (300_000, 300_500, 301_000):
        group.put(t, f"on time {t}")
    assert len(_messages(reader)) == 3
    group.put(301_000 - RECENT_MS - 20_000, "late, 25 s before the newest")
    routine = [_messages(reader) for _ in range(LOOKBACK_EVERY - 2)]
    assert all(found == [] for found in routine)
    assert _messages(reader) == ["late, 25 s before the newest"]  # the tenth read
    assert _messages(reader, settle=True) == []
