"""Publish `consumer.created` events to SNS in batches, at a steady rate, losing none.

Why: SNS bills per request, so requests per event is the bill; `PublishBatch` carries
up to 10 messages in one request (<= 0.1 request per event at saturation). A batch
API answers per entry: an HTTP 200 can still hold `Failed` entries, so partial
failure is the normal case, not an exception. Delivery is at-least-once: a retried
entry may already have been accepted (a lost response), so consumers deduplicate by
`event_id`; what this module guarantees is that nothing taken is silently dropped:
`events == published + failed`, and every failure is reported with its code. Requests
are counted by the session that made the client (`messaging.ops.aws`), not here.

Design:
- The calling thread pulls events lazily (the iterable may be infinite), releases
  event i at `start + i / rate` (absolute times: no drift; a late caller catches up),
  and packs entries into batches of <= 10 entries and <= 256 KiB (bodies plus
  attribute names, types and values). A partial batch is sent as soon as the next
  event is due later than its linger allows, so latency at low rates is <= `linger`.
- Batches go to a pool of `concurrency` threads; at most `concurrency` are in flight,
  so a slow or throttled SNS slows intake instead of buffering without bound.
- Retries follow the one policy (`messaging.core.retry`): whole calls are retried by
  botocore's standard mode, configured with the client; entries that failed inside a
  successful call (`SenderFault` false) are sent again by `EntryRetry`, with jittered
  back-off, at most `retry.attempts` calls per batch. `SenderFault` entries are
  permanent. A whole call that still fails after botocore's retries fails every entry
  of its batch, with its error code; when botocore does not call it transient (4xx
  such as NotFound or AuthorizationError, missing credentials) it also aborts intake:
  every later batch would fail the same way. So a batch costs at most
  `retry.attempts` x the client's max attempts HTTP requests, and a throttled
  PublishBatch exactly the client's max attempts.
- `stop` ends intake; what was taken is still sent (retries included) before return.

Known limits: standard topics only (no MessageGroupId/DeduplicationId for FIFO);
the 256 KiB budget assumes the topic's default MaximumMessageSize; linger is enforced
between scheduled events, so a blocking iterable with `rate=None` delays the flush of
a partial batch; an unexpected (non-AWS) exception from the client is re-raised after
in-flight batches finish, without stats.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, NamedTuple
from uuid import UUID

from botocore.exceptions import BotoCoreError, ClientError

from messaging.core.events import ConsumerCreated, encode
from messaging.core.retry import EntryRetry, describe, error_code, is_transient
from messaging.errors import MessagingError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import PublishBatchRequestEntryTypeDef

__all__ = [
    "ATTRIBUTE",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
    "Failure",
    "Producer",
    "ProducerError",
    "ProducerStats",
]

logger = logging.getLogger(__name__)

MAX_BATCH_ENTRIES: Final = 10
MAX_BATCH_BYTES: Final = 256 * 1024  # per message and per batch (default MaximumMessageSize)
ATTRIBUTE: Final = "event_type"
TOO_LARGE: Final = "EntryTooLarge"
NO_RESULT: Final = "NoResult"  # an entry the response neither confirmed nor failed
_NAP: Final = 0.1  # longest uninterrupted rate wait, so `stop` is seen within 100 ms


class ProducerError(MessagingError):
    """Invalid producer options."""


class Failure(NamedTuple):
    """An event that was not published, and the last error code that said why."""

    event_id: UUID
    code: str


@dataclass(frozen=True)
class ProducerStats:
    """What one `publish` call did; `events == published + failed` always holds."""

    events: int
    published: int
    failures: tuple[Failure, ...]
    retried_entries: int  # entries sent again after they failed inside a batch
    elapsed_seconds: float
    aborted: str | None = None  # the permanent whole-call error that ended intake

    @property
    def failed(self) -> int:
        return len(self.failures)


@dataclass(frozen=True)
class _Entry:
    event_id: UUID
    request: PublishBatchRequestEntryTypeDef
    size: int

    @classmethod
    def build(cls, sequence: int, event: ConsumerCreated) -> _Entry:
        message = encode(event)
        size = len(message.encode()) + sum(
            len(part.encode()) for part in (ATTRIBUTE, "String", event.event_type)
        )
        request: PublishBatchRequestEntryTypeDef = {
            "Id": str(sequence),  # unique within a batch; <= 80 chars of [0-9]
            "Message": message,
            "MessageAttributes": {
                ATTRIBUTE: {"DataType": "String", "StringValue": event.event_type}
            },
        }
        return cls(event.event_id, request, size)

    @property
    def id(self) -> str:
        return self.request["Id"]


@dataclass
class _Batch:
    opened: float = 0.0
    entries: list[_Entry] = field(default_factory=list)
    size: int = 0

    def fits(self, entry: _Entry) -> bool:
        return len(self.entries) < MAX_BATCH_ENTRIES and self.size + entry.size <= MAX_BATCH_BYTES

    def add(self, entry: _Entry, now: float) -> None:
        if not self.entries:
            self.opened = now
        self.entries.append(entry)
        self.size += entry.size


class _Tally:
    """Thread-safe accumulation of one `publish` call's outcome."""

    def __init__(self, on_published: Callable[[int], None] | None) -> None:
        self._lock = threading.Lock()
        self._on_published = on_published
        self.events = self.published = self.retried = 0
        self.failures: list[Failure] = []
        self.aborted: str | None = None

    def taken(self) -> None:
        with self._lock:
            self.events += 1

    def resent(self, entries: int) -> None:
        with self._lock:
            self.retried += entries

    def confirm(self, count: int) -> None:
        if count:
            with self._lock:
                self.published += count
            if self._on_published is not None:
                self._on_published(count)

    def fail(self, entries: Iterable[_Entry], code: str) -> None:
        with self._lock:
            self.failures.extend(Failure(entry.event_id, code) for entry in entries)

    def abort(self, reason: str) -> None:
        with self._lock:
            self.aborted = self.aborted or reason

    def stats(self, elapsed: float) -> ProducerStats:
        with self._lock:
            return ProducerStats(
                events=self.events,
                published=self.published,
                failures=tuple(self.failures),
                retried_entries=self.retried,
                elapsed_seconds=elapsed,
                aborted=self.aborted,
            )


class Producer:
    """Publishes events to one topic; `publish` may be called again when it returns."""

    def __init__(
        self,
        client: SNSClient,
        topic_arn: str,
        *,
        rate: float | None = None,
        concurrency: int = 4,
        linger: float = 1.0,
        retry: EntryRetry | None = None,
        sleep: Callable[[float], None] = time.sleep,  # pacing
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        checks = {
            f"rate must be > 0 events/s or None, got {rate!r}": rate is None or 0 < rate < math.inf,
            f"concurrency must be an int >= 1, got {concurrency!r}": (
                isinstance(concurrency, int) and concurrency >= 1
            ),
            f"linger must be >= 0 seconds, got {linger!r}": 0 <= linger < math.inf,
            "topic_arn must not be empty": bool(topic_arn),
        }
        if problems := [message for message, ok in checks.items() if not ok]:
            raise ProducerError("invalid producer options: " + "; ".join(problems))
        self._client = client
        self._topic_arn = topic_arn
        self._rate = rate
        self._concurrency = concurrency
        self._linger = linger
        self._retry = retry or EntryRetry(base=0.1, cap=5.0)
        self._sleep = sleep
        self._monotonic = monotonic

    def publish(
        self,
        events: Iterable[ConsumerCreated],
        *,
        on_published: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> ProducerStats:
        """Send every event taken from `events` until it ends or `stop` is set."""
        tally = _Tally(on_published)
        start = self._monotonic()
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="producer") as pool:
            inflight: set[Future[None]] = set()

            def dispatch(batch: _Batch) -> None:
                if batch.entries:
                    while len(inflight) >= self._concurrency:
                        _settle(inflight, FIRST_COMPLETED)
                    inflight.add(pool.submit(self._send, batch.entries, tally))

            try:
                self._feed(iter(events), start, stop or threading.Event(), tally, dispatch)
            finally:
                _settle(inflight, None)
        return tally.stats(self._monotonic() - start)

    def _feed(
        self,
        events: Iterator[ConsumerCreated],
        start: float,
        stop: threading.Event,
        tally: _Tally,
        dispatch: Callable[[_Batch], None],
    ) -> None:
        batch = _Batch()
        sequence = 0
        try:
            while not stop.is_set() and tally.aborted is None:
                if self._rate is not None:
                    release = start + sequence / self._rate
                    if batch.entries and release > batch.opened + self._linger:
                        dispatch(batch)  # the next event is due too late to join it
                        batch = _Batch()
                    if not self._wait_until(release, stop):
                        break
                event = next(events, None)
                if event is None:
                    break
                tally.taken()
                entry = _Entry.build(sequence, event)
                sequence += 1
                if entry.size > MAX_BATCH_BYTES:
                    logger.warning("event %s is %d bytes: too large", entry.event_id, entry.size)
                    tally.fail([entry], TOO_LARGE)
                    continue
                if not batch.fits(entry):
                    dispatch(batch)
                    batch = _Batch()
                batch.add(entry, self._monotonic())
                if len(batch.entries) == MAX_BATCH_ENTRIES:
                    dispatch(batch)
                    batch = _Batch()
        finally:
            dispatch(batch)  # what was taken is sent, whatever ended intake

    def _wait_until(self, deadline: float, stop: threading.Event) -> bool:
        """Sleep until `deadline` in short naps; False if `stop` was set meanwhile."""
        while (remaining := deadline - self._monotonic()) > 1e-9:
            if stop.is_set():
                return False
            self._sleep(min(remaining, _NAP))
        return not stop.is_set()

    def _send(self, entries: list[_Entry], tally: _Tally) -> None:
        """Send one batch; send again what failed inside it; record every outcome."""
        codes: dict[str, str] = {}
        sent = [0]

        def attempt(pending: list[_Entry]) -> list[_Entry]:
            if sent[0]:
                tally.resent(len(pending))
            sent[0] += 1
            return self._attempt(pending, tally, codes)

        try:
            left = self._retry.run(attempt, entries)
        except (ClientError, BotoCoreError) as error:
            code = error_code(error)
            unsettled = [e for e in entries if e.id not in codes or codes[e.id] != ""]
            tally.fail(unsettled, code)
            if not is_transient(error):
                logger.warning("PublishBatch failed permanently (%s); stopping intake", code)
                tally.abort(describe(error))
            else:
                logger.warning("PublishBatch failed after botocore's retries: %s", code)
            return
        for entry in left:
            tally.fail([entry], codes.get(entry.id) or NO_RESULT)
        if left:
            logger.warning("%d entries failed after %d attempts", len(left), self._retry.attempts)

    def _attempt(self, entries: list[_Entry], tally: _Tally, codes: dict[str, str]) -> list[_Entry]:
        """One PublishBatch call; returns the entries to send again (their codes in `codes`,
        "" once an entry is settled: published or rejected)."""
        response = self._client.publish_batch(
            TopicArn=self._topic_arn,
            PublishBatchRequestEntries=[entry.request for entry in entries],
        )
        by_id = {entry.id: entry for entry in entries}
        confirmed = [by_id.pop(ok["Id"]) for ok in response["Successful"] if ok.get("Id") in by_id]
        codes.update(dict.fromkeys((entry.id for entry in confirmed), ""))
        tally.confirm(len(confirmed))
        again: list[_Entry] = []
        for failed in response["Failed"]:
            entry = by_id.pop(failed["Id"], None)
            if entry is None:
                logger.warning("PublishBatch reported unknown or duplicate Id %r", failed["Id"])
            elif failed["SenderFault"]:
                logger.warning("event %s rejected: %s", entry.event_id, failed.get("Message"))
                codes[entry.id] = ""
                tally.fail([entry], failed["Code"])
            else:
                codes[entry.id] = failed["Code"]
                again.append(entry)
        for entry in by_id.values():  # neither confirmed nor failed: not known to be sent
            codes[entry.id] = NO_RESULT
            again.append(entry)
        return again


def _settle(inflight: set[Future[None]], until: str | None) -> None:
    """Wait for one (FIRST_COMPLETED) or all (None) sends; re-raise a worker's bug."""
    done, _ = wait(inflight, return_when=until or ALL_COMPLETED)
    inflight.difference_update(done)
    for future in done:
        future.result()  # only unexpected (non-AWS) exceptions get here
