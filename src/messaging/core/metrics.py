"""Small, dependency-free measurements: percentiles and a bounded latency recorder."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence

__all__ = ["Latencies", "percentile"]


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
