"""FilterLogEvents against the size of a log group: moto's search and ours, in one process.

A function at saturation writes about 100,000 log lines an hour. simulate follows its
functions' logs with one FilterLogEvents a second (`startTime`: the last second or so),
and `messaging logs` reads a group page by page. This fills one group of 20 streams
with `--events` lines and times, on the same backend object, moto's own method and ours
(`messaging.localcloud.log_search`), one after the other:

- a follow call: the last 1,000 events by `startTime`, interleaved (median of 5);
- a full read: every page of 10,000, following `nextToken`.

    .venv/bin/python bench/log_search.py [--events 100000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from moto.logs import models as moto_logs

from messaging.localcloud import log_search

GROUP = "/aws/lambda/orders-service"
STREAMS = 20

Search = Callable[..., tuple[list[dict[str, Any]], str | None, list[dict[str, Any]]]]


def filled(events: int) -> Any:
    log_search.install()
    backend = moto_logs.logs_backends["123456789012"]["us-east-1"]
    backend.create_log_group(GROUP, {})
    start = int(time.time() * 1000) - events - 60_000
    per_stream = events // STREAMS
    for number in range(STREAMS):
        name = f"2026/11/30/[$LATEST]{number:04d}"
        backend.create_log_stream(GROUP, name)
        first = start + number * per_stream
        lines = [{"timestamp": first + i, "message": f"line {i}"} for i in range(per_stream)]
        for chunk in range(0, per_stream, 10_000):
            backend.put_log_events(GROUP, name, lines[chunk : chunk + 10_000])
    return backend, start + events


def follow_ms(search: Search, backend: Any, end: int) -> float:
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        page, _token, _searched = search(
            backend, GROUP, [], end - 1_000, None, None, None, "", True
        )
        timings.append((time.perf_counter() - started) * 1000)
        if len(page) != 1_000:
            raise RuntimeError(f"the follow call found {len(page)} events, not 1,000")
    return statistics.median(timings)


def full_read_s(search: Search, backend: Any, events: int) -> tuple[float, int]:
    started = time.perf_counter()
    token, pages, seen = None, 0, 0
    while True:
        page, token, _searched = search(backend, GROUP, [], None, None, None, token, "", True)
        pages += 1
        seen += len(page)
        if token is None:
            break
    if seen != events:
        raise RuntimeError(f"the full read found {seen:,} events, not {events:,}")
    return time.perf_counter() - started, pages


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--events", type=int, default=100_000)
    args = options.parse_args()
    backend, end = filled(args.events)
    moto: Search = moto_logs.LogsBackend.filter_log_events
    ours: Search = log_search.LocalLogsBackend.filter_log_events
    print(f"FilterLogEvents over one group of {args.events:,} events in {STREAMS} streams")
    searches = (("moto", moto), ("ours", ours))
    follow = {name: follow_ms(search, backend, end) for name, search in searches}
    print(
        f"  follow (last 1,000 events): moto {follow['moto']:.1f} ms, "
        f"ours {follow['ours']:.1f} ms, ours/moto {follow['ours'] / follow['moto']:.3f}"
    )
    read = {name: full_read_s(search, backend, args.events) for name, search in searches}
    (moto_s, pages), (ours_s, _pages) = read["moto"], read["ours"]
    print(
        f"  full read ({pages} pages of 10,000): moto {moto_s:.2f} s, ours {ours_s:.2f} s, "
        f"ours/moto {ours_s / moto_s:.3f}"
    )


if __name__ == "__main__":
    main()
