"""The pollers of one SQS event source mapping: batch, invoke, delete, scale.

Semantics kept (AWS "Using Lambda with Amazon SQS", its scaling and error-handling
pages):

- long polling; a batch is sent when it holds BatchSize records, when the batching
  window (from the first record) ends, or before it would pass 6 MB; with no window, a
  batch is what one receive returned (BatchSize is then at most 10);
- records are received with the queue's visibility timeout and all of `All` attributes;
  FilterCriteria is applied first: a record that matches no pattern is deleted without
  invoking the function;
- the invocation is synchronous. Success deletes the batch; with
  ReportBatchItemFailures only the records named in `batchItemFailures` stay (an empty
  or null list, or an empty or null response, is complete success); an invalid response
  (not a JSON object, an itemIdentifier that is missing, empty or not in the batch), an
  exception, a timeout or a crash fails the whole batch. A failed record is left alone:
  it returns after the visibility timeout, and the queue's redrive policy sends it to the
  DLQ after maxReceiveCount receives;
- concurrency: one poller to start with; each full batch starts one more poller while
  the mapping is below its limit (ScalingConfig.MaximumConcurrency, the function's
  reserved concurrency, the local cap), and an extra poller whose poll finds nothing
  leaves, so concurrency follows the backlog up and comes back down when idle; a
  throttled invocation (another caller holds the function's concurrency) waits for a
  slot;
- Enabled=false pauses polling; an update applies to the next batch.

Stopping (the cloud stops, the mapping is deleted, a reset): an invocation in flight
finishes; records received but not yet invoked are released (visibility 0).

Every SQS call is made in this process, through the snapshot gate; a long poll waits
outside it (the queue parks it), and an invocation runs outside it (the function's own
requests pass the gate themselves).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from moto.sqs.exceptions import SQSException

from messaging.localcloud.awslambda.functions import FunctionConfig
from messaging.localcloud.awslambda.mappings import RecordFilter, effective_concurrency
from messaging.localcloud.awslambda.workers import EncodedJson
from messaging.localcloud.state.gate import gate

if TYPE_CHECKING:
    from moto.sqs.models import Message, Queue

    from messaging.localcloud.awslambda.backend import LocalLambdaBackend

__all__ = [
    "LONG_POLL_SECONDS",
    "MAX_PAYLOAD_BYTES",
    "MappingPoller",
    "invocation_event",
    "sqs_record",
]

logger = logging.getLogger(__name__)

LONG_POLL_SECONDS = 20  # what the mapping's pollers ask SQS for
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # a synchronous invocation's payload
CHUNK_SECONDS = 1.0  # how often a waiting poller checks for stop and config changes
SLOT_WAIT_SECONDS = 0.05


def sqs_record(message: Message, queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the event Lambda sends for SQS."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    record: dict[str, Any] = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {
            name: {
                "stringValue": value.get("string_value"),
                "binaryValue": value.get("binary_value"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("data_type"),
            }
            for name, value in (message.message_attributes or {}).items()
        },
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    return record


def failed_items(payload: str | None, batch_ids: set[str]) -> set[str] | None:
    """The ids ReportBatchItemFailures names, or None when the response is invalid."""
    try:
        response = json.loads(payload) if payload else None
    except ValueError:
        return None
    items = response.get("batchItemFailures") if isinstance(response, dict) else response
    if items is None or items == "":
        return set()  # a null or empty response, or no list: complete success
    if not isinstance(items, list) or not isinstance(response, dict):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return None
        failed.add(identifier)
    return failed


class _Record(NamedTuple):
    """A record and its JSON, encoded once: sized against the 6 MB bound, then sent as is
    (encoding it twice was a tenth of the pollers' CPU, issue #21)."""

    fields: dict[str, Any]
    text: str


def invocation_event(records: list[_Record]) -> EncodedJson:
    """The event Lambda sends for SQS, `{"Records": [...]}`, from the records' JSON."""
    return EncodedJson('{"Records": [' + ", ".join(record.text for record in records) + "]}")


class _Poll:
    """Counts long polls as SQS would bill them, though we wait in short chunks."""

    def __init__(self, stats: Any) -> None:
        self._stats = stats
        self._since: float | None = None

    def waited(self, got: bool) -> None:
        now = time.monotonic()
        if self._since is None:
            self._since = now
        if got or now - self._since >= LONG_POLL_SECONDS:
            self._stats.request("ReceiveMessage")
            self._since = None

    def close(self) -> None:
        if self._since is not None:
            self._stats.request("ReceiveMessage")
            self._since = None


class MappingPoller:
    """The poller threads of one mapping (see the module docstring)."""

    def __init__(self, backend: LocalLambdaBackend, uuid: str) -> None:
        self._backend = backend
        self.uuid = uuid
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def pollers(self) -> int:
        with self._lock:
            return len(self._threads)

    def start(self) -> None:
        self._spawn(limit=1)

    def _spawn(self, limit: int) -> None:
        with self._lock:
            if self._stop.is_set() or len(self._threads) >= limit:
                return
            thread = threading.Thread(
                target=self._run, name=f"lambda-esm-{self.uuid[:8]}", daemon=True
            )
            self._threads.append(thread)
            self._set_pollers()
        thread.start()

    def _set_pollers(self) -> None:
        mapping = self._backend.queue_mapping(self.uuid)
        if mapping is not None:
            mapping.stats.pollers = len(self._threads)

    def _leave(self) -> bool:
        """Whether this (extra) poller may leave; the last one stays."""
        with self._lock:
            if len(self._threads) <= 1:
                return False
            self._threads.remove(threading.current_thread())
            self._set_pollers()
            return True

    def signal(self) -> None:
        """Ask every poller to stop after its current wait or invocation."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; in-flight invocations finish (within `timeout` each)."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _run(self) -> None:
        poll = None
        try:
            while not self._stop.is_set():
                mapping = self._backend.queue_mapping(self.uuid)
                if mapping is None:
                    return
                poll = poll or _Poll(mapping.stats)
                if not self._step(mapping, poll):
                    return
        except Exception:
            logger.exception("lambda mapping %s: poller failed; starting another", self.uuid)
            if not self._stop.is_set():
                threading.Timer(1.0, self._spawn, kwargs={"limit": 1}).start()
        finally:
            if poll is not None:
                poll.close()
            with self._lock:
                if threading.current_thread() in self._threads:
                    self._threads.remove(threading.current_thread())
                    self._set_pollers()

    def _step(self, mapping: Any, poll: _Poll) -> bool:
        """One round: poll, maybe invoke. False when this poller leaves."""
        function = self._backend.function_or_none(mapping.function_arn)
        queue = self._backend.queue_of(mapping.event_source_arn)
        if not mapping.enabled or function is None or queue is None:
            self._stop.wait(CHUNK_SECONDS)
            return not self._leave()
        config = FunctionConfig.of(function)
        limit = effective_concurrency(mapping.scaling_config, config.limit)
        if self.pollers > limit:
            return not self._leave()
        batch = self._collect(mapping, queue, poll)
        if not batch:
            return not self._leave()
        if self._stop.is_set():  # stopping with records received but not invoked
            self._release(mapping, queue, [r.fields["receiptHandle"] for r in batch])
            return False
        if len(batch) >= int(mapping.batch_size):
            self._spawn(limit)
        self._process(mapping, config, queue, batch)
        return True

    def _receive(self, queue: Queue, count: int, wait: float) -> list[Message]:
        sqs = self._backend.sqs_backend()
        with gate.shared():
            return list(
                sqs.receive_message(
                    queue.name,
                    count,
                    wait_seconds_timeout=wait,  # type: ignore[arg-type]  # ours keeps a float wait
                    visibility_timeout=int(queue.visibility_timeout),  # type: ignore[attr-defined]
                    message_attribute_names=["All"],
                )
            )

    def _collect(self, mapping: Any, queue: Queue, poll: _Poll) -> list[_Record]:
        """Records for one invocation (see the module docstring for when a batch is sent)."""
        batch_size = int(mapping.batch_size)
        window = float(mapping.max_batch_window or 0)
        region = self._backend.region_name
        batch: list[_Record] = []
        size = 0
        first_at: float | None = None
        while len(batch) < batch_size and not self._stop.is_set():
            if first_at is None:
                wait = CHUNK_SECONDS
            else:
                remaining = window - (time.monotonic() - first_at)
                if remaining <= 0:
                    break
                wait = min(remaining, CHUNK_SECONDS)
            try:
                messages = self._receive(queue, min(10, batch_size - len(batch)), wait)
            except SQSException as error:  # the queue was deleted under the mapping
                logger.warning("lambda mapping %s: %s", self.uuid, error)
                self._stop.wait(CHUNK_SECONDS)
                break
            poll.waited(bool(messages))
            overflow: list[Message] = []
            for message in messages:
                record = sqs_record(message, mapping.event_source_arn, region)
                text = json.dumps(record)
                if batch and size + len(text) > MAX_PAYLOAD_BYTES:
                    overflow.append(message)
                    continue
                batch.append(_Record(record, text))
                size += len(text)
            if overflow:
                self._release(mapping, queue, [str(m.receipt_handle) for m in overflow])
                break
            if not messages and first_at is None:
                return []  # an empty poll: the caller decides whether to stay
            if first_at is None:
                first_at = time.monotonic()
            if window <= 0:
                break
        return batch

    def _release(self, mapping: Any, queue: Queue, handles: list[str]) -> None:
        """Make received records visible again at once (never invoked)."""
        if not handles:
            return
        sqs = self._backend.sqs_backend()
        with gate.shared():
            for handle in handles:
                try:
                    sqs.change_message_visibility(queue.name, handle, 0)
                except SQSException:
                    logger.info("lambda mapping %s: a record to release was gone", self.uuid)
        mapping.stats.request("ChangeMessageVisibilityBatch", -(-len(handles) // 10))

    def _delete(self, mapping: Any, queue: Queue, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        sqs = self._backend.sqs_backend()
        with gate.shared():
            for record in records:
                try:
                    sqs.delete_message(queue.name, record["receiptHandle"])
                except SQSException:
                    logger.info("lambda mapping %s: a record to delete was gone", self.uuid)
        mapping.stats.request("DeleteMessageBatch", -(-len(records) // 10))
        mapping.stats.add(deleted=len(records))

    def _process(
        self, mapping: Any, config: FunctionConfig, queue: Queue, batch: list[_Record]
    ) -> None:
        selected = RecordFilter.parse(mapping.filter_criteria)
        if selected:
            dropped = [r.fields for r in batch if not selected.matches(r.fields)]
            batch = [r for r in batch if selected.matches(r.fields)]
            self._delete(mapping, queue, dropped)
            mapping.stats.add(filtered=len(dropped))
            if not batch:
                return
        runtime = self._backend.runtime_of(config.name)
        while not runtime.try_acquire(config):
            mapping.stats.add(throttles=1)
            if self._stop.wait(SLOT_WAIT_SECONDS):
                self._release(mapping, queue, [r.fields["receiptHandle"] for r in batch])
                return
        mapping.stats.running(+1)
        try:
            invocation = runtime.invoke(config, invocation_event(batch))
        finally:
            runtime.release()
            mapping.stats.running(-1)
        mapping.stats.add(invocations=1, records=len(batch))
        outcome = invocation.outcome
        if not outcome.ok:
            mapping.stats.add(invocation_errors=1, failed_records=len(batch))
            return
        records = [r.fields for r in batch]
        if "ReportBatchItemFailures" not in (mapping.function_response_types or []):
            self._delete(mapping, queue, records)
            return
        failed = failed_items(outcome.payload, {r["messageId"] for r in records})
        if failed is None:
            logger.info("lambda mapping %s: invalid batchItemFailures; batch failed", self.uuid)
            mapping.stats.add(invocation_errors=1, failed_records=len(batch))
            return
        self._delete(mapping, queue, [r for r in records if r["messageId"] not in failed])
        mapping.stats.add(failed_records=len(failed))
