"""What a simulation produced, and what each service did with it: the run's own events only.

A stack in use may hold a backlog when a run starts: events published before, some of
them already stored. The services consume it along with the run's events, so their
counters (`WorkerStats`) mix both, and a verdict built on them counted the backlog as
duplicate effects (7,930 "duplicates" for a 5-second run against a 5,000-event backlog).
The ledger tells them apart by event id: it records every event the run produces before
publishing it, and the workers report every result to it (`Runner(on_result=...)`). A
result for an event it did not produce is backlog, counted apart and never judged.

Known limits: a run with a `--seed` already used against the same stack produces events
that are stored already; they are found as duplicates (idempotency at work), not applied,
and their latency is meaningless. An undecodable message carries no event id and is not
attributed (it reaches the DLQ, which the report shows).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from messaging.consumer.batch import Disposition, MessageResult
from messaging.core.events import ConsumerCreated

__all__ = ["Ledger", "ServiceTally"]


@dataclass
class ServiceTally:
    """One service's results, the run's events apart from the backlog."""

    applied: Counter[str] = field(default_factory=Counter)  # run event id -> applications
    found_duplicate: Counter[str] = field(default_factory=Counter)  # run event id -> times
    backlog_applied: int = 0  # events the run did not produce, applied now
    backlog_duplicates: int = 0  # ... found already applied (redeliveries of the backlog)

    @property
    def done(self) -> int:
        """Distinct run events this service has applied or found applied."""
        return len(self.applied.keys() | self.found_duplicate.keys())

    @property
    def applied_twice(self) -> int:
        """Applications beyond the first, per run event: effects applied more than once."""
        return sum(n - 1 for n in self.applied.values() if n > 1)


class Ledger:
    """Thread-safe: the producer records, every service's processor reports."""

    def __init__(self, services: list[str]) -> None:
        self.produced: dict[str, datetime] = {}  # event_id -> occurred_at
        self.published = 0
        self.tallies = {name: ServiceTally() for name in services}
        self._lock = threading.Lock()

    def produce(self, event: ConsumerCreated) -> None:
        """Record an event before it is published, so no result can come before it."""
        with self._lock:
            self.produced[str(event.event_id)] = event.occurred_at

    def count_published(self, count: int) -> None:
        with self._lock:
            self.published += count

    def observe(self, service: str, result: MessageResult) -> None:
        if result.event is None or not result.disposition.acknowledged:
            return  # undecodable, or failed: it comes back (or reaches the DLQ)
        event_id = str(result.event.event_id)
        applied = result.disposition is Disposition.APPLIED
        with self._lock:
            tally = self.tallies[service]
            if event_id in self.produced:
                (tally.applied if applied else tally.found_duplicate)[event_id] += 1
            elif applied:
                tally.backlog_applied += 1
            else:
                tally.backlog_duplicates += 1

    def done(self, service: str) -> int:
        with self._lock:
            return self.tallies[service].done

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.produced)
