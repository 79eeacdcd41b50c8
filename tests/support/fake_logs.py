"""A CloudWatch Logs group as FilterLogEvents answers it; every call's start recorded."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

__all__ = ["FakeLogGroup"]


class FakeLogGroup:
    """One log group: events from `startTime`, by timestamp, in pages of `page` events.

    `exists` False answers ResourceNotFoundException, as CloudWatch does before a
    function's first invocation creates its group. `filterPattern` keeps the events whose
    message contains it (CloudWatch's pattern for one plain term).
    """

    def __init__(self, page: int = 1_000, *, exists: bool = True) -> None:
        self.events: list[dict[str, object]] = []
        self.starts: list[int] = []  # each read's startTime (not its later pages')
        self.patterns: list[str | None] = []  # each read's filterPattern
        self.page = page
        self.exists = exists

    def put(self, timestamp: int, message: str, stream: str = "a") -> None:
        self.events.append(
            {
                "eventId": str(len(self.events)),
                "timestamp": timestamp,
                "message": message,
                "logStreamName": stream,
            }
        )

    def client(self, service: str) -> FakeLogGroup:
        """Stands for `Aws` too: its logs client is the group itself."""
        assert service == "logs"
        return self

    def filter_log_events(self, **asked: Any) -> dict[str, object]:
        if not self.exists:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no group"}}
            raise ClientError(error, "FilterLogEvents")  # type: ignore[arg-type]
        start: int = asked["startTime"]
        pattern: str | None = asked.get("filterPattern")
        token: str | None = asked.get("nextToken")
        if token is None:
            self.starts.append(start)
            self.patterns.append(pattern)
        matching = sorted(
            (
                e
                for e in self.events
                if int(str(e["timestamp"])) >= start
                and (not pattern or pattern in str(e["message"]))
            ),
            key=lambda e: int(str(e["timestamp"])),
        )
        first = int(token or 0)
        page: dict[str, object] = {"events": matching[first : first + self.page]}
        if first + self.page < len(matching):
            page["nextToken"] = str(first + self.page)
        return page
