"""Test helpers shared by the suites: an injected clock, polling with deadlines, events."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from messaging.core.events import Address, Consumer, ConsumerCreated

T = TypeVar("T")


@dataclass
class FakeClock:
    """A wall clock (epoch seconds) that moves only when a test says so."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_for(probe: Callable[[], T | None], *, timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll until `probe` returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def make_event(n: int, *, country: str = "US") -> ConsumerCreated:
    """A valid `consumer.created` event whose ids are derived from `n` (reproducible)."""
    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC) + timedelta(seconds=n)
    return ConsumerCreated(
        event_id=uuid.UUID(int=n + 1, version=4),
        occurred_at=at,
        data=Consumer(
            consumer_id=uuid.UUID(int=10**9 + n, version=4),
            name=f"Consumer {n}",
            email=f"consumer{n}@example.org",
            phone="+1 555 0100",
            address=Address(
                street=f"{n} Main St",
                city="Springfield",
                state="IL",
                postal_code="62701",
                country=country,
            ),
            created_at=at,
        ),
    )
