"""What a worker holds: lots of received messages, from receipt to acknowledgement.

One lock guards it all, so that the threads (pollers, the processor, the acknowledgers,
the heartbeat, the supervisor) agree on which messages are still ours. Only what is
here is kept invisible by the heartbeat: a lot abandoned by a hung or dead thread
leaves, and its messages become suspects, to be processed one by one when they return.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from messaging.consumer.acks import MAX_VISIBILITY_SECONDS
from messaging.consumer.batch import Message
from messaging.consumer.state import Budget, Lot, LotState, Outage, WorkerOptions

__all__ = ["InFlight", "Processing"]


@dataclass(frozen=True)
class Processing:
    """The lots in a process_batch call, since when, and by which processor."""

    lots: list[Lot]
    started: float
    generation: int


class InFlight:
    def __init__(self, options: WorkerOptions, outage: Outage, clock: Callable[[], float]) -> None:
        self.options = options
        self.outage = outage
        self.clock = clock
        self.visibility: float = options.visibility_timeout or 30
        self.budget = Budget(max(options.max_in_flight, 10))
        self._lock = threading.Lock()
        self._queue: queue.Queue[Lot] = queue.Queue()
        self._alone: deque[Lot] = deque()  # suspects, each to be processed on its own
        self._lots: set[Lot] = set()
        self._held: list[Lot] = []
        self._budgets: dict[Lot, int] = {}
        self._suspects: set[str] = set()
        self.generation = 0
        self.current: Processing | None = None

    # -- receiving -------------------------------------------------------------------

    def receive(self, messages: list[Message]) -> None:
        """Queue a poll's messages as one lot; a suspect gets a lot of its own."""
        now = self.clock()
        with self._lock:
            normal = [m for m in messages if m.message_id not in self._suspects]
            lots = [Lot(normal, now, self.visibility)] if normal else []
            lots += [
                Lot([m], now, self.visibility, alone=True)
                for m in messages
                if m.message_id in self._suspects
            ]
            for lot in lots:
                self._lots.add(lot)
                self._budgets[lot] = len(lot.messages)
        for lot in lots:
            self._queue.put(lot)

    def empty(self) -> bool:
        with self._lock:
            return not self._lots

    # -- taking work -----------------------------------------------------------------

    def take(self, timeout: float) -> list[Lot]:
        """The next lots to process together ([] if none came within `timeout`).

        Suspects go alone; held work goes when its time (or the outage's) comes; else
        the first queued lot plus what arrives within `linger`, up to `max_commit`.
        """
        now = self.clock()
        with self._lock:
            if self._alone:
                return [self._alone.popleft()]
        if due := self._due_held(now):
            return due
        if self.outage.open and now < self.outage.next_try:
            # What waits in the queue would only fail too: wait for the next try.
            time.sleep(max(0.0, min(timeout, self.outage.next_try - now)))
            return []
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return []
        return self._gather(first)

    def _due_held(self, now: float) -> list[Lot]:
        with self._lock:
            if not self._held:
                if self.outage.open and now >= self.outage.next_try:
                    self.outage.recovered()  # nothing held to probe with: polling probes
                return []
            if self.outage.open:
                due = list(self._held) if now >= self.outage.next_try else []
            else:
                due = [lot for lot in self._held if lot.retry_at <= now]
            taken = _up_to(due, self.options.max_commit)
            self._held = [lot for lot in self._held if lot not in taken]
            return taken

    def _gather(self, first: Lot) -> list[Lot]:
        """Pollers keep polling while a batch is processed, so at saturation the next
        call finds up to `max_commit` messages waiting: many polls, one transaction."""
        if first.alone:
            return [first]
        lots = [first]
        size = len(first.messages)
        deadline = self.clock() + self.options.linger
        while size < self.options.max_commit:
            try:
                lot = self._queue.get(timeout=max(0.0, deadline - self.clock()))
            except queue.Empty:
                break
            if lot.alone:
                with self._lock:
                    self._alone.append(lot)
                continue
            lots.append(lot)
            size += len(lot.messages)
        return lots

    def idle(self) -> bool:
        """Nothing queued, held or waiting alone."""
        with self._lock:
            return not self._held and not self._alone and self._queue.empty()

    # -- processing ------------------------------------------------------------------

    def start(self, lots: list[Lot], generation: int) -> bool:
        """Mark `lots` as processed by `generation`; False if that processor was replaced."""
        with self._lock:
            if generation != self.generation:
                self._alone.extendleft(reversed(lots))  # the new processor takes them
                return False
            for lot in lots:
                lot.state = LotState.PROCESSING
            self.current = Processing(lots, self.clock(), generation)
            return True

    def is_current(self, generation: int) -> bool:
        with self._lock:
            return generation == self.generation

    def done_processing(self, generation: int) -> None:
        with self._lock:
            if self.current is not None and self.current.generation == generation:
                self.current = None

    def overdue(self, timeout: float) -> bool:
        with self._lock:
            return self.current is not None and self.clock() - self.current.started > timeout

    def hold(self, lot: Lot, waiting: list[Message], retry_at: float) -> None:
        """Keep `waiting` (a dependency failed for them) to try again at `retry_at`;
        the rest of `lot` goes to acknowledgement."""
        with self._lock:
            self._suspects -= lot.ids  # processed to the end: not suspects anymore
            if waiting:
                held = Lot(
                    waiting,
                    lot.extended_at,
                    lot.extension,
                    state=LotState.HELD,
                    retry_at=retry_at,
                    attempts=lot.attempts + 1,
                )
                self._budgets[held] = len(waiting)
                if lot in self._budgets:
                    self._budgets[lot] -= len(waiting)
                self._lots.add(held)
                self._held.append(held)
            lot.state = LotState.ACKING

    def abandon_current(self) -> list[Lot]:
        """The processor is hung or dead: its lots are no longer ours; its messages are
        suspects. A new generation of processor must take over."""
        with self._lock:
            current, self.current = self.current, None
            self.generation += 1
            lots = list(current.lots) if current else []
            for lot in lots:
                self._suspects |= lot.ids
        for lot in lots:
            self.finish(lot)
        return lots

    def finish(self, lot: Lot) -> int:
        """`lot` is no longer ours: stop extending it, free its budget (once)."""
        with self._lock:
            if lot.state is LotState.DONE:
                return 0
            lot.state = LotState.DONE
            self._lots.discard(lot)
            freed = self._budgets.pop(lot, 0)
        self.budget.give(freed)
        return freed

    def withdraw(self, *states: LotState) -> list[Lot]:
        """Finish every lot in `states` and return them (to release them)."""
        with self._lock:
            lots = [lot for lot in self._lots if lot.state in states]
            if LotState.HELD in states:
                self._held = []
            if LotState.QUEUED in states:
                self._alone.clear()
        return [lot for lot in lots if self.finish(lot)]

    # -- the heartbeat ---------------------------------------------------------------

    def to_extend(self) -> list[Lot]:
        """Lots past half their visibility, with their new extension set."""
        now = self.clock()
        with self._lock:
            due = [
                lot
                for lot in self._lots
                if lot.state is not LotState.DONE and now - lot.extended_at >= lot.extension / 2
            ]
            for lot in due:
                lot.extended_at = now
                lot.extension = self.visibility
                if lot.state is LotState.HELD:  # held through an outage: as long as it waits
                    wait = max(lot.retry_at, self.outage.next_try) - now
                    lot.extension = min(MAX_VISIBILITY_SECONDS, max(self.visibility, 2 * wait))
            return due


def _up_to(lots: list[Lot], limit: int) -> list[Lot]:
    """The first lots whose messages fit `limit` (at least one)."""
    taken: list[Lot] = []
    size = 0
    for lot in lots:
        if taken and size + len(lot.messages) > limit:
            break
        taken.append(lot)
        size += len(lot.messages)
    return taken
