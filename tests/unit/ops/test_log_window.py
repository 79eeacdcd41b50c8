"""Reading a log group from a window behind its newest event: each event once, late ones too."""

from __future__ import annotations

from messaging.ops.log_window import LOOKBACK_EVERY, LOOKBACK_MS, RECENT_MS, LogReader
from tests.support.fake_logs import FakeLogGroup


def _messages(reader: LogReader, *, settle: bool = False) -> list[str]:
    return [str(event["message"]) for event in reader.read(settle=settle)]


def test_a_routine_read_asks_only_for_the_last_seconds_before_the_newest_event() -> None:
    group = FakeLogGroup()
    reader = LogReader(group, "/aws/lambda/orders", since_ms=1_000)
    group.put(100_000, "a")
    assert _messages(reader) == ["a"]
    group.put(101_000, "b")
    assert _messages(reader) == ["b"]
    assert group.starts == [1_000, 100_000 - RECENT_MS]


def test_every_tenth_read_and_a_settling_one_look_a_minute_back() -> None:
    group = FakeLogGroup()
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
    group = FakeLogGroup(page=2)  # pages too: a read follows nextToken
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0)
    for t in (300_000, 300_500, 301_000):
        group.put(t, f"on time {t}")
    assert len(_messages(reader)) == 3
    group.put(301_000 - RECENT_MS - 20_000, "late, 25 s before the newest")
    routine = [_messages(reader) for _ in range(LOOKBACK_EVERY - 2)]
    assert all(found == [] for found in routine)
    assert _messages(reader) == ["late, 25 s before the newest"]  # the tenth read
    assert _messages(reader, settle=True) == []


def test_another_streams_line_a_moment_older_than_the_newest_is_found_by_the_next_read() -> None:
    group = FakeLogGroup()
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0)
    group.put(400_000, "stream a, newest", stream="a")
    assert _messages(reader) == ["stream a, newest"]
    group.put(399_000, "stream b, ingested a moment later", stream="b")
    assert _messages(reader) == ["stream b, ingested a moment later"]


def test_a_filter_pattern_is_asked_of_every_read() -> None:
    group = FakeLogGroup()
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0, pattern="REPORT")
    group.put(1_000, "START RequestId: 1")
    group.put(1_001, "REPORT RequestId: 1")
    assert _messages(reader) == ["REPORT RequestId: 1"]
    _messages(reader)
    assert group.patterns == ["REPORT", "REPORT"]
    assert LogReader(group, "/aws/lambda/orders", since_ms=0).pattern is None


def test_a_missing_group_yields_nothing_until_it_exists() -> None:
    group = FakeLogGroup(exists=False)
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0)
    assert (_messages(reader), reader.found) == ([], False)
    group.exists = True
    group.put(5_000, "first invocation")
    assert (_messages(reader), reader.found) == (["first invocation"], True)


def test_a_long_follow_forgets_ids_no_later_read_can_return() -> None:
    group = FakeLogGroup()
    reader = LogReader(group, "/aws/lambda/orders", since_ms=0)
    second = 1_000
    for t in range(0, 10 * LOOKBACK_MS, second):  # ten minutes, a line a second
        group.put(t, f"line {t}")
        _messages(reader)
    newest = 10 * LOOKBACK_MS - second
    # No more than the last minute (and the reads since the last full one) is kept.
    assert reader.remembered <= (LOOKBACK_MS + LOOKBACK_EVERY * second) // second + 1
    group.put(newest - LOOKBACK_MS // 2, "late by half a minute")
    found = [m for _ in range(LOOKBACK_EVERY) for m in _messages(reader)]
    assert found == ["late by half a minute"]  # and nothing already yielded comes again
