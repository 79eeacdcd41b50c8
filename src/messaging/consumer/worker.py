"""A generic SQS worker: long poll, batch, commit, acknowledge, heartbeat, stop gracefully.

It is the plumbing around a service's `handle(event, store)`, and it avoids the known
ways SQS consumers fail:

- short polling wastes requests, so pollers long-poll for batches of 10;
- a long poll returns as soon as one message is there, so after a partial receive a
  poller waits `fill_wait` before polling again, and a steady stream fills batches;
- requests are the bill: the messages of several polls are committed to the store in
  one transaction, and the successes of each poll are deleted in one request;
- a message is deleted only after its effects are committed; a handler or store
  failure leaves it for redelivery after the visibility timeout (at-least-once), and the
  idempotent store turns the redelivery into a counted duplicate;
- an undecodable message is never deleted: its visibility is reset to 0 so that the
  queue's redrive policy moves it to the DLQ after maxReceiveCount receives, promptly,
  while the good messages around it are processed;
- work that outlives half the visibility timeout gets a heartbeat (visibility extended)
  so it is not delivered twice while still running;
- a connection or API error never stops a poller: it backs off and polls again;
- on stop: no new polls; received work finishes and is acknowledged; messages received
  after the stop are released (visibility 0) instead of hidden for the whole timeout.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging.consumer.state import Batch, Budget, Result, WorkerOptions, WorkerStats
from messaging.core.events import ConsumerCreated, DecodeError, decode
from messaging.core.metrics import Latencies
from messaging.core.services import Handler
from messaging.store import Outcome, Store, StoreError, UnitOfWork

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = ["Worker", "WorkerOptions", "WorkerStats"]

logger = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)


_STOP = object()
_Owner = tuple[Batch, int, ConsumerCreated]  # a unit's message, and its event


class Worker:
    """Runs `handler` over every message of one queue, committing to `store`."""

    def __init__(
        self,
        name: str,
        sqs: SQSClient,
        queue_url: str,
        handler: Handler,
        store: Store,
        options: WorkerOptions | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.store = store
        self.options = options = options or WorkerOptions()
        self.clock = clock
        self.stats = WorkerStats()
        self.latencies = Latencies()  # occurred_at -> stored, ms, for applied events
        self._halt = threading.Event()  # no new polls
        self._finished = threading.Event()  # everything acknowledged: heartbeat may end
        self._work: queue.Queue[Any] = queue.Queue()
        self._budget = Budget(max(options.max_in_flight, 10))
        self._acks = ThreadPoolExecutor(options.concurrency, thread_name_prefix=f"{name}-ack")
        self._inflight: set[Batch] = set()
        self._lock = threading.Lock()
        self._reserved = 0
        self._empty_checks = 0
        self._visibility = options.visibility_timeout or 30

    # -- public --------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> WorkerStats:
        """Process until `stop` is set (or the queue is empty / max messages, if asked)."""
        self._visibility = self.options.visibility_timeout or self._queue_visibility()
        committer = threading.Thread(target=self._commit_loop, name=f"{self.name}-commit")
        heartbeat = threading.Thread(target=self._heartbeat_loop, name=f"{self.name}-heartbeat")
        pollers = [
            threading.Thread(target=self._poll_loop, name=f"{self.name}-poll-{n}")
            for n in range(self.options.concurrency)
        ]
        for thread in (committer, heartbeat, *pollers):
            thread.start()
        while not self._halt.wait(0.1) and any(poller.is_alive() for poller in pollers):
            if stop is not None and stop.is_set():
                self._halt.set()
        for poller in pollers:
            poller.join()  # each finishes its current poll (at most one long poll)
        self._work.put(_STOP)
        committer.join()  # commits everything received before the stop
        self._acks.shutdown(wait=True)  # and acknowledges it
        self._finished.set()
        heartbeat.join()
        return self.stats

    def halt(self) -> None:
        self._halt.set()

    # -- polling -------------------------------------------------------------------

    def _poll_loop(self) -> None:
        failures = 0
        while not self._halt.is_set():
            wanted = self._reserve()
            if wanted == 0:
                break  # max_messages reserved: this poller is done, the others finish theirs
            if not self._budget.take(wanted, self._halt):
                self._unreserve(wanted)
                break
            try:
                messages = self._receive(wanted)
            except AWS_ERRORS as error:
                self._unreserve(wanted)
                self._budget.give(wanted)
                failures += 1
                self.stats.add("errors")
                delay = min(20.0, 0.2 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
                logger.warning(
                    "%s: receive failed (%s); retrying in %.1fs", self.name, error, delay
                )
                self._halt.wait(delay)
                continue
            failures = 0
            self._unreserve(wanted - len(messages))
            self._budget.give(wanted - len(messages))
            if self._halt.is_set():
                self._release(messages)  # received after the stop: give them back now
                self._budget.give(len(messages))
                break
            if not messages:
                if self.options.until_empty:
                    self._check_empty()
                continue
            self._handle(messages)
            if len(messages) < wanted and self.options.fill_wait > 0:
                self._halt.wait(self.options.fill_wait)

    def _reserve(self) -> int:
        """How many to ask for: 10, or what is left of `max_messages` (0: stop)."""
        if self.options.max_messages is None:
            return 10
        with self._lock:
            wanted = max(0, min(10, self.options.max_messages - self._reserved))
            self._reserved += wanted
            return wanted

    def _unreserve(self, count: int) -> None:
        if self.options.max_messages is not None and count:
            with self._lock:
                self._reserved -= count

    def _receive(self, count: int) -> list[MessageTypeDef]:
        wait = (
            min(self.options.wait_seconds, 2)
            if self.options.until_empty
            else (self.options.wait_seconds)
        )
        self.stats.add("requests")
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        self.stats.add("received", len(messages))
        return messages

    def _handle(self, messages: list[MessageTypeDef]) -> None:
        """Hand the batch to the committer and go back to polling (no waiting)."""
        now = self.clock()
        batch = Batch(messages, received_at=now, extended_at=now)
        with self._lock:
            self._inflight.add(batch)
            self._empty_checks = 0
        self._work.put(batch)

    def _finish(self, batch: Batch) -> None:
        """Acknowledge a committed batch, then free its place in the budget."""
        try:
            self._acknowledge(batch)
        finally:
            batch.done.set()
            with self._lock:
                self._inflight.discard(batch)
            self._budget.give(len(batch.messages))

    def _check_empty(self) -> None:
        """Done when nothing is in flight here and the queue shows nothing, twice running."""
        with self._lock:
            if self._inflight:
                return
        try:
            self.stats.add("requests")
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
        except AWS_ERRORS as error:
            self.stats.add("errors")
            logger.warning("%s: cannot read queue depth (%s)", self.name, error)
            return
        empty = all(int(value) == 0 for value in attributes.values())
        with self._lock:
            self._empty_checks = self._empty_checks + 1 if empty else 0
            if self._empty_checks >= 2:  # approximate counters: confirm once more
                self._halt.set()

    # -- acknowledging -------------------------------------------------------------

    def _acknowledge(self, batch: Batch) -> None:
        done = [m for m, r in zip(batch.messages, batch.results, strict=True) if r is Result.ACK]
        poison = [
            m for m, r in zip(batch.messages, batch.results, strict=True) if r is Result.POISON
        ]
        if done:
            self._delete(done)
        if poison:
            self._set_visibility(poison, 0, counter="released")

    def _delete(self, messages: Sequence[MessageTypeDef]) -> None:
        entries = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
        ]
        for attempt in range(3):
            try:
                self.stats.add("requests")
                response = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)  # type: ignore[arg-type]
            except AWS_ERRORS as error:
                self.stats.add("errors")
                logger.warning("%s: delete failed (%s); attempt %d", self.name, error, attempt + 1)
                continue
            self.stats.add("deleted", len(response.get("Successful", [])))
            failed = {f["Id"] for f in response.get("Failed", []) if not f.get("SenderFault")}
            entries = [e for e in entries if e["Id"] in failed]
            if not entries:
                return
        # Not deleted: the message comes back and the store counts it as a duplicate.
        logger.warning(
            "%s: %d messages not deleted; they will be redelivered", self.name, len(entries)
        )

    def _set_visibility(
        self, messages: Sequence[MessageTypeDef], seconds: int, *, counter: str
    ) -> None:
        if not messages:
            return
        entries = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": seconds}
            for n, m in enumerate(messages)
        ]
        try:
            self.stats.add("requests")
            response = self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=entries,  # type: ignore[arg-type]
            )
        except AWS_ERRORS as error:
            self.stats.add("errors")
            logger.warning("%s: visibility change failed (%s)", self.name, error)
            return
        self.stats.add(counter, len(response.get("Successful", [])))

    def _release(self, messages: Sequence[MessageTypeDef]) -> None:
        self._set_visibility(messages, 0, counter="released")

    # -- committing ----------------------------------------------------------------

    def _commit_loop(self) -> None:
        pending: list[Batch] = []
        stopping = False
        while True:
            if not stopping:
                stopping = self._gather(pending)
            if not pending:
                if stopping:
                    return
                continue
            taken: list[Batch] = []
            size = 0
            while pending and (
                not taken or size + len(pending[0].messages) <= self.options.max_commit
            ):
                batch = pending.pop(0)
                taken.append(batch)
                size += len(batch.messages)
            self._commit(taken)

    def _gather(self, pending: list[Batch]) -> bool:
        """Add to `pending` what is waiting, plus what arrives within `linger`.

        Pollers keep polling while a commit runs, so at saturation the next commit finds
        up to `max_commit` messages waiting: many polls, one request. Returns True once
        the stop marker is seen (nothing more will come).
        """
        if not pending:
            first = self._work.get()
            if first is _STOP:
                return True
            pending.append(first)
        deadline = self.clock() + self.options.linger
        while sum(len(b.messages) for b in pending) < self.options.max_commit:
            try:
                item = self._work.get(timeout=max(0.0, deadline - self.clock()))
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            pending.append(item)
        return False

    def _commit(self, batches: list[Batch]) -> None:
        units: list[UnitOfWork] = []
        owners: list[_Owner] = []
        try:
            for batch in batches:
                for index, message in enumerate(batch.messages):
                    handled = self._run_handler(batch, index, message)
                    if handled is not None:
                        units.append(handled[0])
                        owners.append((batch, index, handled[1]))
            if units:
                self._store(units, owners)
        finally:
            for batch in batches:
                self._acks.submit(self._finish, batch)

    def _run_handler(
        self, batch: Batch, index: int, message: MessageTypeDef
    ) -> tuple[UnitOfWork, ConsumerCreated] | None:
        try:
            event = decode(message.get("Body", ""))
        except DecodeError as error:
            batch.results[index] = Result.POISON
            self.stats.add("undecodable")
            logger.warning(
                "%s: message %s undecodable (%s): %s",
                self.name,
                message.get("MessageId"),
                error.reason,
                error,
            )
            return None
        unit = UnitOfWork()
        try:
            self.handler(event, unit)
        except Exception:  # a handler bug fails its own message only, and is logged
            batch.results[index] = Result.RETRY
            self.stats.add("failed")
            logger.exception("%s: handler failed for event %s", self.name, event.event_id)
            return None
        return unit, event

    def _store(self, units: list[UnitOfWork], owners: list[_Owner]) -> None:
        try:
            outcomes = self.store.commit(units)
        except (StoreError, *AWS_ERRORS) as error:
            self.stats.add("failed", len(units))
            logger.warning(
                "%s: commit of %d events failed (%s); they will be redelivered",
                self.name,
                len(units),
                error,
            )
            return
        now = time.time()
        for (batch, index, event), outcome in zip(owners, outcomes, strict=True):
            batch.results[index] = Result.ACK
            if outcome is Outcome.APPLIED:
                self.stats.add("handled")
                self.latencies.add((now - event.occurred_at.timestamp()) * 1000)
            else:
                self.stats.add("duplicates")

    # -- heartbeat -----------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        """Extend the visibility of batches still in flight after half the timeout."""
        interval = max(0.2, self._visibility / 4)
        while not self._finished.wait(interval):
            now = self.clock()
            with self._lock:
                due = [
                    b
                    for b in self._inflight
                    if not b.done.is_set() and now - b.extended_at >= self._visibility / 2
                ]
            for batch in due:
                batch.extended_at = now
                self._set_visibility(batch.messages, self._visibility, counter="extended")

    def _queue_visibility(self) -> int:
        try:
            self.stats.add("requests")
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"]
            )["Attributes"]
            return int(attributes.get("VisibilityTimeout", 30))
        except AWS_ERRORS as error:
            self.stats.add("errors")
            logger.warning(
                "%s: cannot read the visibility timeout (%s); assuming 30s", self.name, error
            )
            return 30
