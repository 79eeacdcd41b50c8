"""New events of one CloudWatch Logs group, each yielded once, from a window behind the newest.

CloudWatch Logs may ingest an event late, and out of order across streams: a Lambda
function's concurrent invocations write to streams of their own, so one stream's line
may arrive a moment after another stream's later one. Reading from the newest timestamp
seen would skip it. Reading a minute back every time finds it, but then every page holds
a minute of lines, and its cost grows with the rate (issue #21: 740 KB per function per
read at saturation, 15% of a core by the end of a 60 s run, cloud and client together).

So a routine read starts `RECENT_MS` behind the newest event seen, and every
`LOOKBACK_EVERY`-th read and a settling one (`read(settle=True)`) start `LOOKBACK_MS`
behind it. A line late by less than `RECENT_MS` is found by the next read, and one late
by less than `LOOKBACK_MS` by a full read at most `LOOKBACK_EVERY` reads later. Events are
yielded once each, by event id. An id is forgotten once no later read can return its
event again, so a follow that runs for days keeps its memory flat.

`messaging simulate` counts the functions' lines through it, and `messaging logs --follow`
prints them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

__all__ = ["LOOKBACK_EVERY", "LOOKBACK_MS", "RECENT_MS", "LogReader"]

LOOKBACK_MS: Final = 60_000  # CloudWatch may ingest an event this late
RECENT_MS: Final = 5_000  # a routine read's window behind the newest event seen
LOOKBACK_EVERY: Final = 10  # every 10th read (and a settling one) looks LOOKBACK_MS back


@dataclass
class LogReader:
    """New events of one log group, as FilterLogEvents gives them, each yielded once.

    `found` says whether the group existed at the last read: a function's group is
    created by its first invocation, so a missing group is not an error here.
    """

    logs: Any  # a CloudWatch Logs client (no type stubs for it are installed)
    group: str
    since_ms: int
    pattern: str | None = None  # a CloudWatch Logs filter pattern
    found: bool = False
    _seen: dict[str, int] = field(default_factory=dict)  # event id -> its timestamp
    _newest_ms: int = 0
    _reads: int = 0

    def read(self, *, settle: bool = False) -> Iterator[dict[str, Any]]:
        """The events not yet yielded, oldest first within each page; `settle` looks the
        whole `LOOKBACK_MS` back."""
        self._reads += 1
        full = settle or self._reads % LOOKBACK_EVERY == 0
        start = max(self.since_ms, self._newest_ms - (LOOKBACK_MS if full else RECENT_MS))
        asked: dict[str, Any] = {"logGroupName": self.group, "startTime": start}
        if self.pattern:
            asked["filterPattern"] = self.pattern
        while True:
            try:
                page = self.logs.filter_log_events(**asked)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    self.found = False
                    return
                raise
            self.found = True
            for event in sorted(page.get("events", []), key=lambda e: int(e.get("timestamp", 0))):
                event_id = str(event.get("eventId"))
                if event_id in self._seen:
                    continue
                timestamp = int(event.get("timestamp", 0))
                self._seen[event_id] = timestamp
                self._newest_ms = max(self._newest_ms, timestamp)
                yield event
            token = page.get("nextToken")
            if not token:
                break
            asked["nextToken"] = token
        if full:
            self._forget_older_than(max(self.since_ms, self._newest_ms - LOOKBACK_MS))

    @property
    def remembered(self) -> int:
        """How many event ids it keeps to yield each event once."""
        return len(self._seen)

    def _forget_older_than(self, timestamp_ms: int) -> None:
        """Drop the ids of events before `timestamp_ms`: no later read starts earlier
        (the newest only grows), so none of them can be returned again."""
        self._seen = {i: t for i, t in self._seen.items() if t >= timestamp_ms}
