"""The long-running shell over the consumer core: poll -> `process_batch` -> acknowledge.

It avoids the known ways SQS consumers fail:

- short polling wastes requests, so pollers long-poll for batches of 10, and after a
  partial receive a poller waits `fill_wait`, so a steady stream fills batches;
- requests are the bill: one processor hands the messages of many polls (up to
  `max_commit`) to one `process_batch` call, i.e. one store commit, and the
  successes of each poll are deleted in one request (`acks`);
- a message is deleted only after its effects are committed; a handler or unit failure
  leaves it for redelivery (at-least-once), the idempotent store turns a redelivery into
  a counted duplicate, and after maxReceiveCount it reaches the DLQ; an undecodable
  message is released at once (visibility 0) so the redrive policy moves it promptly;
- an outage is not poison: when the store fails for every message, polling pauses and
  the held messages are kept invisible and tried again with a jittered back-off, so no
  receive is burnt and nothing good reaches the DLQ (`state.Outage`);
- work that outlives half its visibility timeout gets a heartbeat, but only work that a
  live thread holds: a batch processing past `processing_timeout`, or whose thread
  died, is abandoned (left to come back; processed alone next time, so one message that
  hangs the store cannot take others hostage again) and a new thread takes over;
- no thread dies silently: every loop catches, classifies, logs and counts; a
  supervisor (the `run` loop) replaces a thread found dead or hung and counts it; past
  `max_stalls` replacements the worker stops and `run` raises `WorkerStalledError`, so
  the process exits non-zero and a process manager restarts it;
- on stop: no new polls; received work finishes and is acknowledged; held work and
  messages received after the stop are released (visibility 0), not hidden for the
  whole timeout.

Known limits: a hung thread cannot be killed in Python; it is abandoned (daemon) and
its late results are discarded. Work held through an outage longer than SQS's 12-hour
visibility limit comes back to the queue.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from messaging.consumer.acks import Acknowledger
from messaging.consumer.batch import BatchResult, Disposition, Message, MessageResult, process_batch
from messaging.consumer.inflight import InFlight
from messaging.consumer.state import (
    Lot,
    LotState,
    Outage,
    WorkerOptions,
    WorkerStalledError,
    WorkerStats,
)
from messaging.core.metrics import Latencies
from messaging.core.retry import describe, is_fatal
from messaging.core.services import Handler
from messaging.store import Store

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["Worker", "WorkerOptions", "WorkerStalledError", "WorkerStats"]

logger = logging.getLogger(__name__)

TICK = 0.1  # how often idle threads look at the world (halt, held work, the supervisor)
FATAL_SETTLE_SECONDS = 2.0  # how long a stop for a fatal error waits for the batch at hand


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
        on_result: Callable[[MessageResult], None] | None = None,
    ) -> None:
        self.name = name
        # Told of every result once counted, e.g. so that a simulation can tell its own
        # events from a backlog the queue held before (it must be quick: the processor waits).
        self.on_result = on_result
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.store = store
        self.options = options = options or WorkerOptions()
        self.clock = clock
        self.stats = WorkerStats()
        self.latencies = Latencies()  # occurred_at -> stored, ms, for applied events
        self.acks = Acknowledger(name, sqs, queue_url, self.stats)
        self.outage = Outage(options.outage_backoff, options.outage_backoff_cap)
        self.inflight = InFlight(options, self.outage, clock)
        self._halt = threading.Event()  # no new polls
        self._pollers_done = threading.Event()  # nothing more will be received
        self._finished = threading.Event()  # everything acknowledged: the heartbeat may end
        self._ack_pool = ThreadPoolExecutor(options.concurrency, thread_name_prefix=f"{name}-ack")
        self._lock = threading.Lock()
        self._reserved = 0
        self._empty_checks = 0
        self._threads: dict[str, threading.Thread] = {}
        self._crashed: set[threading.Thread] = set()
        self._fatal: str | None = None

    # -- the supervisor --------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> WorkerStats:
        """Process until `stop` is set (or the queue is empty / max messages, if asked).

        Raises `WorkerStalledError` when the worker cannot make progress.
        """
        self.inflight.visibility = self.options.visibility_timeout or self._queue_visibility()
        pollers = [f"poll-{n}" for n in range(self.options.concurrency)]
        self._start("heartbeat", self._heartbeat_loop)
        self._start("processor", self._process_loop, self.inflight.generation)
        for role in pollers:
            self._start(role, self._poll_loop)
        try:
            while not self._halt.wait(TICK):
                if stop is not None and stop.is_set():
                    break
                self._supervise()
                if not any(self._threads[role].is_alive() for role in pollers):
                    break  # max_messages received
        finally:
            self._shutdown(pollers)
        if self._fatal is not None:
            raise WorkerStalledError(self._fatal)
        return self.stats

    def _start(self, role: str, target: Callable[..., None], *args: object) -> None:
        def guarded() -> None:
            try:
                target(*args)
            except BaseException:
                logger.exception("%s: thread %s died", self.name, role)
                with self._lock:
                    self._crashed.add(threading.current_thread())

        # Daemon: a thread hung in a handler or a store must not keep the process alive.
        thread = threading.Thread(target=guarded, name=f"{self.name}-{role}", daemon=True)
        self._threads[role] = thread
        thread.start()

    def _supervise(self) -> None:
        """Replace a thread that died, or a processor hung past `processing_timeout`."""
        for role, thread in list(self._threads.items()):
            with self._lock:
                crashed = thread in self._crashed
                self._crashed.discard(thread)
            if not crashed:
                continue
            if role == "processor":
                self._replace_processor("the processor thread died")
            elif role == "heartbeat":
                self._count_stall("the heartbeat thread died")
                self._start(role, self._heartbeat_loop)
            elif not self._halt.is_set():
                self._count_stall(f"thread {role} died")
                self._start(role, self._poll_loop)
        timeout = self.options.processing_timeout
        if self.inflight.overdue(timeout):
            self._replace_processor(f"a batch was still processing after {timeout:g}s")

    def _replace_processor(self, reason: str) -> None:
        abandoned = sum(len(lot.messages) for lot in self.inflight.abandon_current())
        self.stats.add("abandoned", abandoned)
        logger.error(
            "%s: %s; %d messages abandoned (they come back after their visibility timeout "
            "and are then processed one by one); a new processor takes over",
            self.name,
            reason,
            abandoned,
        )
        self._count_stall(reason)
        if self._fatal is None:
            self._start("processor", self._process_loop, self.inflight.generation)

    def _give_up(self, reason: str) -> None:
        """Stop for good: no retry can mend `reason` (`core.retry.is_fatal`)."""
        with self._lock:
            if self._fatal is None:
                self._fatal = f"{reason}; stopping"
        logger.error("%s: %s; stopping", self.name, reason)
        self._halt.set()

    def _count_stall(self, reason: str) -> None:
        self.stats.add("restarts")
        if self.stats["restarts"] > self.options.max_stalls and self._fatal is None:
            self._fatal = (
                f"cannot make progress: {self.stats['restarts']} threads found hung or dead "
                f"(last: {reason}); restart the process"
            )
            self._halt.set()

    def _shutdown(self, pollers: list[str]) -> None:
        self._halt.set()
        for role in pollers:
            self._threads[role].join()  # each finishes its current poll (one long poll)
        self._pollers_done.set()
        while self._fatal is None and self._threads["processor"].is_alive():
            self._threads["processor"].join(TICK)  # it drains what was received...
            self._supervise()  # ...unless it hangs or dies: then a new one does
        if self._fatal is not None:
            # A processor that stopped for a fatal error settles its batch first; a hung
            # one is not waited for beyond a moment.
            self._threads["processor"].join(FATAL_SETTLE_SECONDS)
            self._release(LotState.QUEUED, LotState.HELD)
        self._ack_pool.shutdown(wait=True)
        self._finished.set()
        self._threads["heartbeat"].join()

    # -- polling ---------------------------------------------------------------------

    def _poll_loop(self) -> None:
        failures = 0
        while not self._halt.is_set():
            if self.outage.open:  # polling paused: the held work probes the store
                self._halt.wait(TICK)
                continue
            try:
                polled = self._poll_once()
            except Exception as error:  # noqa: BLE001 - never stops a poller: back off
                if is_fatal(error):
                    self._give_up(describe(error))
                    return
                failures += 1
                self.stats.add("errors")
                delay = min(20.0, 0.2 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311
                logger.warning(
                    "%s: receive failed (%s); polling again in %.1fs",
                    self.name,
                    describe(error),
                    delay,
                )
                self._halt.wait(delay)
                continue
            failures = 0
            if polled is None:
                return  # max_messages reserved: this poller is done
            wanted, got = polled
            if 0 < got < wanted and self.options.fill_wait > 0:
                self._halt.wait(self.options.fill_wait)

    def _poll_once(self) -> tuple[int, int] | None:
        """One receive: (asked, got); None when `max_messages` is reached."""
        wanted = self._reserve()
        if wanted == 0:
            return None
        budget = self.inflight.budget
        if not budget.take(wanted, self._halt):
            self._unreserve(wanted)
            return 0, 0
        messages: list[Message] = []
        try:
            messages = self._receive(wanted)
        finally:
            self._unreserve(wanted - len(messages))
            budget.give(wanted - len(messages))
        if self._halt.is_set() and messages:
            self.acks.set_visibility(messages, 0, counter="released")  # after the stop
            budget.give(len(messages))
        elif messages:
            with self._lock:
                self._empty_checks = 0
            self.inflight.receive(messages)
        elif self.options.until_empty:
            self._check_empty()
        return wanted, len(messages)

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

    def _receive(self, count: int) -> list[Message]:
        wait = self.options.wait_seconds
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=min(wait, 2) if self.options.until_empty else wait,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = [Message.from_sqs(m) for m in response.get("Messages", [])]
        self.stats.add("received", len(messages))
        return messages

    def _check_empty(self) -> None:
        """Done when nothing is held here and the queue shows nothing, twice running."""
        if not self.inflight.empty():
            return
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        empty = all(int(value) == 0 for value in attributes.values())
        with self._lock:
            self._empty_checks = self._empty_checks + 1 if empty else 0
            if self._empty_checks >= 2:  # approximate counters: confirm once more
                self._halt.set()

    # -- processing ------------------------------------------------------------------

    def _process_loop(self, generation: int) -> None:
        while self._fatal is None:
            lots = self.inflight.take(TICK)
            if not lots:
                if self._pollers_done.is_set():
                    self._release(LotState.HELD)  # stopping: hand back what waits
                    if self.inflight.idle():
                        return
                continue
            if not self.inflight.start(lots, generation):
                return  # replaced: the new processor takes the lots
            messages = [m for lot in lots for m in lot.messages]
            result = process_batch(messages, self.handler, self.store)
            if not self.inflight.is_current(generation):
                return  # abandoned meanwhile: the messages come back; results discarded
            self._settle(lots, result)
            self.inflight.done_processing(generation)

    def _settle(self, lots: list[Lot], result: BatchResult) -> None:
        """Count, hold what a dependency failed, and hand the rest to acknowledgement."""
        now = self.clock()
        next_try: float | None = None
        if result.outage:
            next_try = self.outage.failed(now)
            logger.warning(
                "%s: the store is failing for every message; polling paused, %d held "
                "messages tried again in %.1fs",
                self.name,
                sum(r.dependency_failed for r in result.results),
                next_try - now,
            )
        elif result.acknowledged and self.outage.recovered():
            logger.warning("%s: the store answers again; polling resumes", self.name)
        position = 0
        for lot in lots:
            part = result.results[position : position + len(lot.messages)]
            position += len(lot.messages)
            self._count(part)
            waiting = [r.message for r in part if r.dependency_failed]
            retry_at = next_try or now + self.outage.delay(lot.attempts + 1)
            self.inflight.hold(lot, waiting, retry_at)
            done = [r.message for r in part if r.disposition.acknowledged]
            poison = [r.message for r in part if r.disposition is Disposition.POISON]
            self._ack_pool.submit(self._acknowledge, lot, done, poison)
        if result.fatal is not None:  # after holding its work, so a stop can release it
            self._give_up(result.fatal)

    def _count(self, results: tuple[MessageResult, ...]) -> None:
        wall = time.time()
        for r in results:
            if r.disposition is Disposition.APPLIED:
                self.stats.add("handled")
                if r.event is not None:
                    self.latencies.add((wall - r.event.occurred_at.timestamp()) * 1000)
            elif r.disposition is Disposition.DUPLICATE:
                self.stats.add("duplicates")
            elif r.disposition is Disposition.POISON:
                self.stats.add("undecodable")
            elif r.dependency_failed:
                self.stats.add("held")
            else:
                self.stats.add("failed")
            if self.on_result is not None:
                self.on_result(r)

    def _acknowledge(self, lot: Lot, done: list[Message], poison: list[Message]) -> None:
        try:
            if done:
                self.acks.delete(done)
            if poison:
                self.acks.set_visibility(poison, 0, counter="released")
        except Exception as error:
            if is_fatal(error):
                self._give_up(describe(error))
                return
            self.stats.add("errors")
            logger.exception("%s: acknowledging %d messages failed", self.name, len(done))
        finally:
            self.inflight.finish(lot)

    def _release(self, *states: LotState) -> None:
        """Make the lots in `states` visible again now (stopping, or giving up)."""
        for lot in self.inflight.withdraw(*states):
            try:
                self.acks.set_visibility(lot.messages, 0, counter="released")
            except Exception as error:
                if not is_fatal(error):
                    raise
                # Nothing to hand back to: they come back after their visibility timeout.
                logger.warning("%s: cannot release messages: %s", self.name, describe(error))
                return

    # -- heartbeat -------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        """Extend the visibility of the lots still ours once half of it has passed."""
        interval = max(0.2, self.inflight.visibility / 4)
        while not self._finished.wait(interval):
            try:
                for lot in self.inflight.to_extend():
                    self.acks.set_visibility(lot.messages, lot.extension, counter="extended")
            except Exception as error:
                if is_fatal(error):
                    self._give_up(describe(error))
                    return
                self.stats.add("errors")
                logger.exception("%s: heartbeat failed", self.name)

    def _queue_visibility(self) -> int:
        try:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"]
            )["Attributes"]
            return int(attributes.get("VisibilityTimeout", 30))
        except Exception as error:  # noqa: BLE001 - a default is safe: the heartbeat covers it
            self.stats.add("errors")
            logger.warning(
                "%s: cannot read the visibility timeout (%s); assuming 30s",
                self.name,
                describe(error),
            )
            return 30
