"""The worker's bookkeeping: options, counters, batches in flight, and the budget.

Kept apart from `worker` so the polling/committing logic reads on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = ["Batch", "Budget", "Result", "WorkerOptions", "WorkerStats"]


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 4  # pollers, i.e. receive batches in flight
    wait_seconds: int = 20  # long poll
    visibility_timeout: int | None = None  # None: read from the queue once
    max_messages: int | None = None  # stop after receiving this many
    until_empty: bool = False  # stop when the queue has nothing visible, delayed or in flight
    linger: float = 0.02  # how long the committer may wait to fill a commit
    # After a partial receive, a poller waits this long before polling again, so the
    # queue can fill the next batch: a long poll returns as soon as one message is
    # there, and under a steady stream that meant ~1 message per receive and per delete.
    fill_wait: float = 0.05
    max_commit: int = 100  # messages per commit (a DynamoDB transaction holds 100 items)
    max_in_flight: int = 200  # received but not yet acknowledged (bounds hidden messages)


class WorkerStats:
    """Thread-safe counters of one worker."""

    FIELDS = ("received", "handled", "duplicates", "failed", "undecodable", "deleted",
              "released", "extended", "requests", "errors")  # fmt: skip

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


class Result(Enum):
    ACK = "ack"  # effects committed (applied or duplicate): delete
    RETRY = "retry"  # failed: leave it, it comes back after the visibility timeout
    POISON = "poison"  # undecodable: release now, the redrive policy moves it to the DLQ


@dataclass(eq=False)
class Batch:
    """The messages of one ReceiveMessage call, from receipt to acknowledgement."""

    messages: Sequence[MessageTypeDef]
    received_at: float
    extended_at: float
    results: list[Result] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.results = [Result.RETRY] * len(self.messages)


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
