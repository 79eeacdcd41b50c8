"""FilterLogEvents whose cost follows the page it answers, not the size of the log group.

The gap: moto's `LogGroup.filter_log_events` filters every event of every stream on each
call (and builds the filter pattern anew per event), sorts them all, and then finds the
page's `nextToken` by a linear scan of the result. A caller that follows a log (simulate
reads its functions' lines once a second, with `startTime`) paid 13-15 ms per call
over 100,000 events and 16-30 ms over 200,000; a full paginated read (`messaging logs`)
is quadratic: 2.0-2.9 s for 100,000 events, 6.9-10.3 s for 200,000
(`bench/log_search.py`). A function at saturation writes about 100,000 lines an hour.

Here each stream whose events are in time order (the usual case: one writer per stream;
checked incrementally, per stream, as events arrive) is searched by bisection on
`startTime`, `endTime` and the page's `nextToken`, and only the events of the page (and
one more, to know whether there is a next page) are filtered and rendered. A stream out
of time order is filtered in full, as moto does.

The answer is moto's own, event for event: the same streams searched, the same order
(each stream's events by timestamp, stable; the streams in their order, or all of them
merged by timestamp, stable, with `interleaved`), the same page limit (10,000 by
default), the same `nextToken` (`group@stream@eventId`), and an empty page for a token
it cannot find. A token whose event is not where a bisection can find it (its stream is
not searched, or is out of order) falls back to moto's scan of the whole result.
"""

from __future__ import annotations

import heapq
import itertools
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from moto.logs import models as moto_logs
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogEvent, LogGroup, LogStream
from moto.logs.utils import EventMessageFilter

from messaging.localcloud.seams import moto_urls, use_backend

__all__ = ["LocalLogsBackend", "in_time_order", "install"]

DEFAULT_LIMIT = 10_000  # moto's page size when the request names none (AWS's too)

Found = dict[str, Any]  # one event as FilterLogEvents returns it


class _Order:
    """Whether a stream's events are in time order (and their ids rising, for a token to
    be found by bisection), checked as far as they were seen."""

    __slots__ = ("checked", "ids_rising", "in_order")

    def __init__(self) -> None:
        self.checked = 0
        self.in_order = True
        self.ids_rising = True


_ORDERS: weakref.WeakKeyDictionary[LogStream, _Order] = weakref.WeakKeyDictionary()


def _timestamp(event: LogEvent) -> int:
    return int(event.timestamp)


def _event_id(event: LogEvent) -> int:
    return int(event.event_id)


def _order(stream: LogStream) -> _Order:
    """How `stream.events` are ordered; each event is looked at once, as it arrives."""
    events = stream.events
    order = _ORDERS.get(stream)
    if order is None or len(events) < order.checked:  # new, or the list was replaced
        order = _ORDERS[stream] = _Order()
    for index in range(max(order.checked, 1), len(events)):
        if not (order.in_order or order.ids_rising):
            break
        before, event = events[index - 1], events[index]
        order.in_order = order.in_order and before.timestamp <= event.timestamp
        order.ids_rising = order.ids_rising and before.event_id < event.event_id
    order.checked = len(events)
    return order


def in_time_order(stream: LogStream) -> bool:
    """Whether `stream.events` are sorted by timestamp (then a bisection finds a time)."""
    return _order(stream).in_order


class _Search:
    """One FilterLogEvents over a group's selected streams (see the module docstring)."""

    def __init__(
        self,
        streams: list[LogStream],
        start_time: int | None,
        end_time: int | None,
        pattern: str | None,
    ) -> None:
        self.streams = streams
        self.start_time = start_time
        self.end_time = end_time
        self.matcher = EventMessageFilter(pattern)  # type: ignore[arg-type]  # None: match all, as moto

    def _keeps(self, event: LogEvent) -> bool:
        """moto's filter, in its order: start, end, pattern."""
        if self.start_time and event.timestamp < self.start_time:
            return False
        if self.end_time and event.timestamp > self.end_time:
            return False
        return bool(self.matcher.matches(event.message))

    def _events(self, stream: LogStream, after: int | None) -> Iterator[LogEvent]:
        """The stream's matching events by timestamp (stable), from timestamp `after` on."""
        events = stream.events
        if not in_time_order(stream):
            return iter(sorted(filter(self._keeps, events), key=_timestamp))
        low = max(self.start_time or 0, after or 0)
        first = bisect_left(events, low, key=_timestamp) if low else 0
        last = len(events)
        if self.end_time:
            last = bisect_right(events, self.end_time, key=_timestamp, lo=first)
        # by index from `first` (islice would step over the first `first` events)
        return filter(self._keeps, (events[index] for index in range(first, last)))

    def results(self, *, interleaved: bool, after: tuple[LogStream, int] | None) -> Iterator[Found]:
        """The result in moto's order; with `after` (a stream and a timestamp), only the part
        from there on (streams before that stream skipped; with `interleaved`, every event
        before that timestamp)."""
        streams = self.streams
        if after is None:
            per_stream = [_rendered(stream, self._events(stream, None)) for stream in streams]
        elif interleaved:  # merged by time: whatever comes before the token's time goes
            per_stream = [_rendered(stream, self._events(stream, after[1])) for stream in streams]
        else:  # stream after stream: the streams before the token's stream go
            first = streams.index(after[0])
            per_stream = [_rendered(streams[first], self._events(streams[first], after[1]))]
            per_stream += [
                _rendered(stream, self._events(stream, None)) for stream in streams[first + 1 :]
            ]
        if interleaved:
            return heapq.merge(*per_stream, key=lambda found: found["timestamp"])
        return itertools.chain.from_iterable(per_stream)


def _rendered(stream: LogStream, events: Iterable[LogEvent]) -> Iterator[Found]:
    for event in events:
        found = event.to_filter_dict()
        found["logStreamName"] = stream.log_stream_name
        yield found


def _token_event(group: LogGroup, streams: list[LogStream], token: str) -> tuple[LogStream, int]:
    """The stream and timestamp of the token's event, for a search to start at; ValueError
    when a bisection cannot place it (then the whole result is scanned, as moto does)."""
    name, stream_name, event_id = token.split("@")
    stream = group.streams.get(stream_name)
    if name != group.name or stream is None or stream not in streams:
        raise ValueError(token)
    order = _order(stream)
    if not (order.in_order and order.ids_rising):
        raise ValueError(token)
    wanted = int(event_id)
    index = bisect_left(stream.events, wanted, key=_event_id)
    if index == len(stream.events) or stream.events[index].event_id != wanted:
        raise ValueError(token)
    return stream, int(stream.events[index].timestamp)


def _page(
    results: Iterator[Found], token: str | None, limit: int, group_name: str
) -> tuple[list[Found], str | None]:
    """moto's paging over `results`: after the token's event (none found: an empty page),
    `limit` events, and a token when more follow."""
    if token:
        try:
            group, stream_name, event_id = token.split("@")
        except ValueError:
            return [], None
        if group != group_name:
            return [], None
        for found in results:
            if found["logStreamName"] == stream_name and found["eventId"] == event_id:
                break
        else:
            return [], None
    page = list(itertools.islice(results, max(limit, 0)))
    more = next(results, None) is not None
    if page and more:
        last = page[-1]
        return page, f"{group_name}@{last['logStreamName']}@{last['eventId']}"
    return page, None


class LocalLogsBackend(moto_logs.LogsBackend):
    """moto's CloudWatch Logs with FilterLogEvents by bisection (module docstring)."""

    _url_module = moto_urls("logs")

    def filter_log_events(
        self,
        log_group_name: str,
        log_stream_names: list[str],
        start_time: int | None,  # moto's request parameters: None when not given
        end_time: int | None,
        limit: int | None,
        next_token: str | None,
        filter_pattern: str | None,
        interleaved: bool,
    ) -> tuple[list[dict[str, Any]], str | None, list[dict[str, Any]]]:
        if log_group_name not in self.groups:
            raise ResourceNotFoundException
        if limit and limit > DEFAULT_LIMIT:
            raise InvalidParameterException(
                constraint="Member must have value less than or equal to 10000",
                parameter="limit",
                value=limit,
            )
        group = self.groups[log_group_name]
        streams = [
            stream
            for name, stream in group.streams.items()
            if not log_stream_names or name in log_stream_names
        ]
        search = _Search(streams, start_time, end_time, filter_pattern)
        after = None
        if next_token:
            try:
                after = _token_event(group, streams, next_token)
            except ValueError:
                after = None  # moto's way: the whole result, scanned for the token
        results = search.results(interleaved=interleaved, after=after)
        page, token = _page(results, next_token, limit or DEFAULT_LIMIT, log_group_name)
        searched = [
            {"logStreamName": stream.log_stream_name, "searchedCompletely": True}
            for stream in streams
        ]
        return page, token, searched


def install() -> None:
    """Make moto's Logs BackendDict build our backend (idempotent)."""
    use_backend(moto_logs.logs_backends, LocalLogsBackend)
