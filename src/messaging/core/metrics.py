"""Small, dependency-free measurements: percentiles, a bounded latency recorder, and the
count of AWS requests made (from botocore's `before-send` event, retries included)."""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Latencies", "RequestCounter", "percentile"]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class Latencies:
    """The most recent latencies in milliseconds (bounded, thread-safe)."""

    def __init__(self, keep: int = 10_000) -> None:
        self._values: deque[float] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def add(self, milliseconds: float) -> None:
        with self._lock:
            self._values.append(milliseconds)

    def snapshot(self) -> list[float]:
        with self._lock:
            return list(self._values)


@dataclass
class RequestCounter:
    """HTTP requests sent, by `service:Operation`, retries included (thread-safe).

    Fed by botocore's `before-send` event, which fires once per HTTP attempt: on AWS,
    requests are the bill. `observe` receives each request, so a meter (bytes, dollars)
    can extend it on the same event.
    """

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, service: str, operation: str, request: Any) -> None:
        """One HTTP request about to be sent (`request`: botocore's prepared request)."""
        with self._lock:
            self.counts[f"{service}:{operation}"] += 1

    def on_before_send(self, event_name: str, request: Any = None, **_: Any) -> None:
        """botocore's `before-send` handler; returning None lets the request go."""
        # event_name is "before-send.<service-id>.<Operation>".
        service, operation = event_name.split(".", 2)[1:]
        self.observe(service, operation, request)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def take(self) -> dict[str, int]:
        """The counts so far, and start again from zero (one invocation's calls)."""
        with self._lock:
            taken = dict(self.counts)
            self.counts.clear()
            return taken
