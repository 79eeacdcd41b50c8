"""The worker's bookkeeping: options, counters, lots in flight, the budget, the outage.

Kept apart from `worker` so that the threads' logic reads on its own.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from messaging.consumer.batch import Message
from messaging.errors import MessagingError

__all__ = [
    "Budget",
    "ConsumerError",
    "Lot",
    "LotState",
    "Outage",
    "WorkerOptions",
    "WorkerStalledError",
    "WorkerStats",
]


class ConsumerError(MessagingError):
    """Base of the consumer's errors."""


class WorkerStalledError(ConsumerError):
    """The worker cannot make progress (threads hung or dying); restart the process."""


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 4  # pollers, i.e. receive batches in flight
    wait_seconds: int = 20  # long poll
    visibility_timeout: int | None = None  # None: read from the queue once
    max_messages: int | None = None  # stop after receiving this many
    until_empty: bool = False  # stop when the queue has nothing visible, delayed or in flight
    linger: float = 0.02  # how long the processor may wait to fill a commit
    # After a partial receive, a poller waits this long before polling again, so the
    # queue can fill the next batch: a long poll returns as soon as one message is
    # there, and under a steady stream that meant ~1 message per receive and per delete.
    fill_wait: float = 0.05
    max_commit: int = 100  # messages per process_batch (a DynamoDB transaction holds 100)
    max_in_flight: int = 200  # received but not yet acknowledged (bounds hidden messages)
    # Liveness: a process_batch call running longer than this is hung. Its messages are
    # abandoned (no longer kept invisible), processed alone when they come back, and a
    # new thread takes over. Above botocore's worst case for one commit with retries.
    processing_timeout: float = 300.0
    max_stalls: int = 10  # hung or dead threads replaced before the worker gives up
    # Outage: when the store fails for every message, held work is tried again after
    # this back-off (doubling, jittered, capped) while polling pauses.
    outage_backoff: float = 1.0
    outage_backoff_cap: float = 30.0


class WorkerStats:
    """Thread-safe counters of one worker."""

    FIELDS = (
        "received",  # messages received
        "handled",  # applied: effects committed
        "duplicates",  # effects already there
        "failed",  # handler or commit failed for the message itself: left for redelivery
        "undecodable",  # poison: released to reach the DLQ
        "held",  # failed because a dependency failed: held and tried again later
        "deleted",
        "released",  # visibility reset to 0 (poison, or handed back on stop)
        "extended",  # visibility extended (heartbeat)
        "errors",  # AWS calls that failed after botocore's retries
        "restarts",  # threads found hung or dead, and replaced
        "abandoned",  # messages a hung or dead thread held, left to come back
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.FIELDS, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class LotState(Enum):
    QUEUED = "queued"  # received, waiting for the processor
    PROCESSING = "processing"  # in a process_batch call
    HELD = "held"  # a dependency failed: waiting to be tried again
    ACKING = "acking"  # results known; being deleted or released
    DONE = "done"  # acknowledged, released or abandoned: no longer ours


@dataclass(eq=False)
class Lot:
    """Messages received together, from receipt to acknowledgement."""

    messages: list[Message]
    extended_at: float  # when their visibility was last set
    extension: float  # for how long, in seconds
    state: LotState = LotState.QUEUED
    retry_at: float = 0.0  # HELD: not before this
    attempts: int = 0  # HELD: dependency failures so far
    alone: bool = False  # suspected of hanging a thread: processed on its own

    @property
    def ids(self) -> set[str]:
        return {m.message_id for m in self.messages}


class Budget:
    """Messages received but not yet acknowledged: pollers wait when it is spent."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._cond = threading.Condition()

    def take(self, count: int, halt: threading.Event) -> bool:
        with self._cond:
            while self._free < count:
                if halt.is_set():
                    return False
                self._cond.wait(0.1)
            self._free -= count
            return True

    def give(self, count: int) -> None:
        if count:
            with self._cond:
                self._free += count
                self._cond.notify_all()


@dataclass
class Outage:
    """A circuit breaker over the store: open while every attempt fails.

    While open, polling pauses and held work is tried again after a jittered back-off
    that doubles up to `cap`; the first success closes it.
    """

    base: float
    cap: float
    jitter: Callable[[], float] = random.random
    failures: int = 0
    next_try: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def open(self) -> bool:
        with self._lock:
            return self.failures > 0

    def delay(self, failures: int) -> float:
        """Equal jitter: between half and all of the capped doubling curve."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        return ceiling * (0.5 + 0.5 * self.jitter())

    def failed(self, now: float) -> float:
        """Record one more failed attempt; the time of the next one."""
        with self._lock:
            self.failures += 1
            self.next_try = now + self.delay(self.failures)
            return self.next_try

    def recovered(self) -> bool:
        """Close the circuit; True when it was open."""
        with self._lock:
            was_open, self.failures = self.failures > 0, 0
            return was_open
