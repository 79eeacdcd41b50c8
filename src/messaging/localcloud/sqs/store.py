"""Message storage for standard SQS queues whose per-call cost does not grow with backlog.

Used by `messaging.localcloud.sqs.backend` (the moto glue; its docstring has the why and the AWS
semantics). Kept apart so the data structures and their invariants read on their own.

Layout, all guarded by one `threading.Condition` (moto's server runs requests on threads):

- `_entries`: seq -> `_Entry`, the only strong reference to a live message;
- `_ready`: deque of (seq, gen) in the order messages became receivable;
- `_inflight`, `_delayed`: heaps of (due, seq, gen);
- `_by_age`: heap of (enqueued_at, seq) for the retention period.

Every state change bumps the entry's `gen`; deque and heap items carrying an older `gen`
(or a deleted seq) are skipped when met (lazy invalidation) and swept out by `_compact`
once they outnumber the live ones. So memory stays O(live messages) and every call is
amortised O(log n). Due entries are promoted at the start of each call, after which the
three counters are exact.

Receipt handles are `seq`, the entry's receive number and a MAC under a per-queue key:
validity is checked from the handle itself, with no record of past handles. The MAC is
keyed BLAKE2s (RFC 7693's keyed mode is a MAC by design), 1 µs where HMAC-SHA256 took
5: each record a Lambda mapping delivers pays it twice, at receive and at delete.

`seq` only grows, and `_entries` keeps insertion order, so "the messages that were here
when a move task started" are the entries with `seq <= mark` (`take_upto`), and the
first entry tells at once whether any of them is left.

A long poll waits outside the snapshot gate (`state.gate`), so a snapshot never waits
for one. The store pickles without its condition, which is made anew on restore.

Waking the parked receivers: a put wakes one, and a receiver that took messages and left
some receivable wakes the next, so every waiter is woken while there is something to
take, and none for nothing. Waking all of them on every put (as before) woke an event
source mapping's five pollers for each PublishBatch, four of which found the batch taken
and parked again: wake-ups, and interpreter switches, that the local cloud's one core
paid for at every event (issue #21).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import secrets
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from moto.sqs.constants import MAXIMUM_VISIBILITY_TIMEOUT
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, _filter_message_attributes

from messaging.localcloud.state.gate import gate

__all__ = ["Clock", "Counts", "MessageStore", "Received", "arriving_together"]

Clock = Callable[[], float]

READY, INFLIGHT, DELAYED = 0, 1, 2
_HANDLE = struct.Struct(">QI")  # seq, receive number
_MAC_BYTES = 16
_SLACK = 64  # garbage tolerated before a structure is rebuilt


# Per thread, while a request delivers a batch: the puts it made, per store, not yet done.
_held = threading.local()
_Put = tuple[Message, float, float | None]  # message, delay, enqueued_at


@contextmanager
def arriving_together() -> Iterator[None]:
    """Messages this thread puts inside the block land in each queue together, at its end.

    One request that delivers several messages (an SNS PublishBatch fanned out to its
    queues, a SendMessageBatch) then lands them at once, under one lock, with one
    wake-up: a receiver, parked or not, sees all of a batch or none of it, instead of
    taking the first one or two and coming back for the rest (more requests per
    message). The block ends before the request answers, so every message is stored
    when the sender learns it was sent; SQS does not say at what instants a batch's
    messages become receivable, and this is one of the schedules it allows. The puts
    are done even if the block fails midway: what was sent is never lost. Nested
    blocks join the outer one.
    """
    if getattr(_held, "puts", None) is not None:
        yield
        return
    puts: dict[MessageStore, list[_Put]] = {}
    _held.puts = puts
    try:
        yield
    finally:
        _held.puts = None
        for store, pending in puts.items():
            with store.cond:
                for message, delay, enqueued_at in pending:
                    store._put(message, delay, enqueued_at)  # noqa: SLF001 - same module
                store.cond.notify()  # one receiver; it wakes the next if it leaves any


class Counts(NamedTuple):
    """ApproximateNumberOfMessages, ...NotVisible and ...Delayed."""

    visible: int
    not_visible: int
    delayed: int


class Received(NamedTuple):
    """One receive: per-receive copies to return, and messages due for the DLQ."""

    delivered: list[Message]
    dead: list[tuple[Message, float]]  # with their original enqueue time


@dataclass(slots=True)
class _Entry:
    seq: int
    message: Message
    enqueued_at: float
    state: int
    gen: int = 0
    receives: int = 0  # receives in this queue: the handle's generation
    received_at: float = 0.0


def _snapshot(message: Message, attribute_names: list[str]) -> Message:
    """A shallow per-receive copy, filtered as moto filters it (not a deepcopy of the body)."""
    # object.__new__ skips BaseModel.__new__, which keeps every instance alive for moto's
    # dashboard; a per-receive copy must not.
    view = object.__new__(message.__class__)  # a StoredMessage's copy shares its body digest
    view.__dict__.update(message.__dict__)
    _filter_message_attributes(view, attribute_names)
    return view


class MessageStore:
    """Ready/in-flight/delayed messages of one standard queue; see the module docstring."""

    def __init__(self, clock: Clock, retention: Callable[[], int]) -> None:
        self.cond = threading.Condition()
        self._clock = clock
        self._retention = retention
        self._key = secrets.token_bytes(32)
        self._entries: dict[int, _Entry] = {}
        self._ready: deque[tuple[int, int]] = deque()
        self._inflight: list[tuple[float, int, int]] = []
        self._delayed: list[tuple[float, int, int]] = []
        self._by_age: list[tuple[float, int]] = []
        self._counts = [0, 0, 0]  # indexed by state
        self._next_seq = 1

    # -- public operations (each takes the lock) -------------------------------------

    def put(self, message: Message, delay: float = 0, enqueued_at: float | None = None) -> None:
        """Enqueue; `enqueued_at` keeps a dead-lettered message's original retention clock.

        Inside `arriving_together`, the put is done when the block ends."""
        held: dict[MessageStore, list[_Put]] | None = getattr(_held, "puts", None)
        if held is not None:
            held.setdefault(self, []).append((message, delay, enqueued_at))
            return
        with self.cond:
            self._put(message, delay, enqueued_at)
            self.cond.notify()  # one receiver; it wakes the next if it leaves any

    def _put(self, message: Message, delay: float, enqueued_at: float | None) -> None:
        """The put itself; the caller holds the lock and wakes the waiters."""
        now = self._clock()
        seq = self._next_seq
        self._next_seq += 1
        entry = _Entry(seq, message, now if enqueued_at is None else enqueued_at, DELAYED)
        self._entries[seq] = entry
        heapq.heappush(self._by_age, (entry.enqueued_at, seq))
        if delay > 0:
            self._counts[DELAYED] += 1
            heapq.heappush(self._delayed, (now + delay, seq, entry.gen))
        else:
            self._make_ready(entry)

    def receive(
        self,
        count: int,
        visibility: float,
        deadline: float,
        attribute_names: list[str],
        max_receive: int | None,
    ) -> Received:
        """Take up to `count` messages, waiting until `deadline` (clock time) for one.

        Returns as soon as anything was taken, including messages bound for the DLQ: the
        caller moves those without holding this lock, then calls again if it still waits.
        """
        with self.cond:
            while True:
                now = self._clock()
                self._advance(now)
                received = self._take(now, count, visibility, attribute_names, max_receive)
                if received.delivered or received.dead:
                    # A waiter parked before these messages became receivable was woken
                    # by the put or CMV, or planned its wake for that due time; what this
                    # call left is the next waiter's.
                    if self._counts[READY]:
                        self.cond.notify()
                    self._compact()
                    return received
                if now >= deadline:
                    return received
                due = self._next_due()
                until = deadline if due is None else min(deadline, due)
                with gate.parked(self.cond):
                    self.cond.wait(until - now)

    def delete(self, handle: str) -> None:
        """Delete by any handle the message was given; a message already gone is a no-op."""
        with self.cond:
            seq, _receives = self._decode(handle)
            entry = self._entries.get(seq)
            if entry is not None:
                self._remove(entry)
                self._compact()

    def change_visibility(self, handle: str, timeout: int) -> None:
        """Hide the message for `timeout` s from now (0: visible at once); any handle it had."""
        with self.cond:
            seq, _receives = self._decode(handle)
            now = self._clock()
            self._advance(now)
            entry = self._entries.get(seq)
            if entry is None:
                raise InvalidParameterValue(
                    f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message "
                    "does not exist or is not available for visibility timeout change."
                )
            if timeout < 0 or now + timeout - entry.received_at > MAXIMUM_VISIBILITY_TIMEOUT:
                raise InvalidParameterValue(
                    f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                    "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
                )
            self._counts[entry.state] -= 1
            if timeout == 0:
                self._make_ready(entry)
            else:
                self._make_inflight(entry, now + timeout)
            self._compact()
            self.cond.notify_all()

    def purge(self) -> None:
        """Drop every message; their handles then behave as for deleted messages."""
        with self.cond:
            self._entries.clear()
            self._ready.clear()
            self._inflight.clear()
            self._delayed.clear()
            self._by_age.clear()
            self._counts = [0, 0, 0]

    def counts(self) -> Counts:
        with self.cond:
            self._advance(self._clock())
            return Counts(*self._counts)

    def visible_messages(self) -> list[Message]:
        """The receivable messages, oldest-ready first. O(n): for inspection, not hot paths."""
        with self.cond:
            self._advance(self._clock())
            return [self._entries[seq].message for seq, gen in self._ready if self._live(seq, gen)]

    def next_due(self) -> float | None:
        """When the next delayed or in-flight message becomes visible (clock time)."""
        with self.cond:
            self._advance(self._clock())
            return self._next_due()

    def wake(self) -> None:
        """Make long polls re-check now (after an injected clock was moved forward)."""
        with self.cond:
            self.cond.notify_all()

    # -- move tasks (DLQ redrive) ------------------------------------------------------

    def last_seq(self) -> int:
        """The sequence number of the newest message so far (a move task's mark)."""
        with self.cond:
            return self._next_seq - 1

    def count_upto(self, mark: int) -> int:
        """Messages held now (any state) that arrived at or before `mark`."""
        with self.cond:
            self._advance(self._clock())
            count = 0
            for seq in self._entries:  # insertion order is seq order
                if seq > mark:
                    break
                count += 1
            return count

    def holds_upto(self, mark: int) -> bool:
        """Whether any message that arrived at or before `mark` is still here."""
        with self.cond:
            self._advance(self._clock())
            first = next(iter(self._entries), None)
            return first is not None and first <= mark

    def take_upto(self, mark: int, limit: int) -> list[tuple[Message, float]]:
        """Remove up to `limit` receivable messages that arrived at or before `mark`.

        Returns them with their enqueue times, oldest-ready first.
        """
        with self.cond:
            self._advance(self._clock())
            taken: list[_Entry] = []
            for seq, gen in self._ready:
                if len(taken) == limit:
                    break
                if seq <= mark and self._live(seq, gen):
                    taken.append(self._entries[seq])
            for entry in taken:
                self._remove(entry)
            self._compact()
            return [(entry.message, entry.enqueued_at) for entry in taken]

    # -- persistence -------------------------------------------------------------------

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "cond"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.cond = threading.Condition()

    # -- internals (lock held) -------------------------------------------------------

    def _take(
        self,
        now: float,
        count: int,
        visibility: float,
        attribute_names: list[str],
        max_receive: int | None,
    ) -> Received:
        received = Received([], [])
        while len(received.delivered) < count and self._ready:
            seq, gen = self._ready.popleft()
            if not self._live(seq, gen):
                continue
            entry = self._entries[seq]
            message = entry.message
            if max_receive is not None and message.approximate_receive_count >= max_receive:
                self._remove(entry)
                received.dead.append((message, entry.enqueued_at))
                continue
            self._counts[READY] -= 1
            entry.receives += 1
            entry.received_at = now
            self._make_inflight(entry, now + visibility)
            message.approximate_receive_count += 1
            if not message.approximate_first_receive_timestamp:
                message.approximate_first_receive_timestamp = int(now * 1000)
            message.receipt_handle = self._encode(seq, entry.receives)
            received.delivered.append(_snapshot(message, attribute_names))
        return received

    def _advance(self, now: float) -> None:
        """Drop expired messages, then make due delayed and in-flight ones visible."""
        retention = self._retention()
        age = self._by_age
        while age and (age[0][1] not in self._entries or age[0][0] + retention <= now):
            entry = self._entries.get(heapq.heappop(age)[1])
            if entry is not None:
                self._remove(entry)
        for heap in (self._delayed, self._inflight):
            while heap and heap[0][0] <= now:
                _, seq, gen = heapq.heappop(heap)
                if self._live(seq, gen):
                    entry = self._entries[seq]
                    self._counts[entry.state] -= 1
                    self._make_ready(entry)

    def _make_ready(self, entry: _Entry) -> None:
        entry.state = READY
        entry.gen += 1
        self._counts[READY] += 1
        self._ready.append((entry.seq, entry.gen))

    def _make_inflight(self, entry: _Entry, due: float) -> None:
        entry.state = INFLIGHT
        entry.gen += 1
        self._counts[INFLIGHT] += 1
        heapq.heappush(self._inflight, (due, entry.seq, entry.gen))

    def _remove(self, entry: _Entry) -> None:
        self._counts[entry.state] -= 1
        del self._entries[entry.seq]

    def _live(self, seq: int, gen: int) -> bool:
        entry = self._entries.get(seq)
        return entry is not None and entry.gen == gen

    def _next_due(self) -> float | None:
        tops = [heap[0][0] for heap in (self._delayed, self._inflight) if heap]
        return min(tops) if tops else None

    def _compact(self) -> None:
        """Rebuild a structure once its stale items outnumber its live ones (amortised O(1))."""
        if len(self._ready) > 2 * self._counts[READY] + _SLACK:
            self._ready = deque(item for item in self._ready if self._live(*item))
        for heap, state in ((self._inflight, INFLIGHT), (self._delayed, DELAYED)):
            if len(heap) > 2 * self._counts[state] + _SLACK:
                heap[:] = [item for item in heap if self._live(item[1], item[2])]
                heapq.heapify(heap)
        if len(self._by_age) > 2 * len(self._entries) + _SLACK:
            self._by_age = [(entry.enqueued_at, seq) for seq, entry in self._entries.items()]
            heapq.heapify(self._by_age)

    def _mac(self, payload: bytes) -> bytes:
        return hashlib.blake2s(payload, key=self._key, digest_size=_MAC_BYTES).digest()

    def _encode(self, seq: int, receives: int) -> str:
        payload = _HANDLE.pack(seq, receives)
        mac = self._mac(payload)
        return base64.urlsafe_b64encode(payload + mac).decode("ascii")

    def _decode(self, handle: str) -> tuple[int, int]:
        """(seq, receive number) of a handle this queue issued, else ReceiptHandleIsInvalid."""
        try:
            raw = base64.b64decode(handle, altchars=b"-_", validate=True)
        except (TypeError, ValueError) as error:  # not base64 (binascii.Error is a ValueError)
            raise ReceiptHandleIsInvalid from error
        payload, mac = raw[: _HANDLE.size], raw[_HANDLE.size :]
        expected = self._mac(payload)
        if len(raw) != _HANDLE.size + _MAC_BYTES or not hmac.compare_digest(mac, expected):
            raise ReceiptHandleIsInvalid
        seq, receives = _HANDLE.unpack(payload)
        return int(seq), int(receives)
