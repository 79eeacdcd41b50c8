"""Standard SQS queues whose per-call cost does not grow with backlog.

The gap it closes: moto keeps a queue's messages in one list and scans it on nearly every
call (`Queue.messages`, the `approximate_*` counters behind `Queue.attributes`, receive,
delete, change visibility, and a retention check per received message that rebuilds all
queue attributes). On moto 5.2.5 a send took 1.8 ms on an empty queue and 152 ms at 5,000
messages; a receive of 10 took 4.5 s. A backlog, which is when a local run matters most,
made the local cloud unusable.

Design: `FastQueue` (a moto `Queue`) keeps its messages in a `MessageStore` (see
`sqs_store`: ready deque, in-flight and delayed heaps, lazy invalidation, O(1) counters,
one `threading.Condition`); `FastSQSBackend` routes the hot calls of such queues to it and
leaves FIFO queues on moto's own `Queue` and code paths. moto's `Message` (as a
`StoredMessage`, which keeps its MD5s instead of computing them on every read),
attribute filtering, request parsing and validation are reused unchanged.

AWS semantics kept (standard queues):

- at-least-once; a received message is hidden for the visibility timeout (per call or the
  queue's), then visible again until deleted; ApproximateReceiveCount and
  ApproximateFirstReceiveTimestamp are kept;
- redrive as moto does it: with maxReceiveCount N a message is delivered N times and moves
  to the DLQ on the next ReceiveMessage after that, which does not return it; it keeps its
  original enqueue time (retention) and receive count;
- long polls wait on the condition until the next due time, so they wake at once on a
  send, a ChangeMessageVisibility(0), a visibility expiry or the end of a delay (a send
  wakes one of them, and a poll that leaves messages wakes the next: `store`);
- receipt handles: a handle the queue never issued (malformed, forged, another queue's) is
  ReceiptHandleIsInvalid. DeleteMessage with the latest or an older handle deletes the
  message and succeeds if it is already gone (API_DeleteMessage: an old handle "succeeds,
  but the message might not be deleted"; AWS deletes, per moto PR #4655, checked against
  AWS). ChangeMessageVisibility takes any handle of a message still in the queue, the
  latest or an older one, even once its timeout ended (moto's tests, checked against AWS:
  neither ReceiptHandleIsInvalid nor MessageNotInflight, although the API reference names
  both); a gone message is InvalidParameterValue "Message does not exist or is not
  available for visibility timeout change". The total visibility may not pass 12 hours
  from the latest receive (API_ChangeMessageVisibility; moto counts from send);
- expired messages (MessageRetentionPeriod) are dropped; PurgeQueue drops everything;
- SetQueueAttributes changes only the attributes given (moto also wipes `Policy`);
- a body with characters outside XML's set is refused with InvalidMessageContents.

Time comes from `FastSQSBackend.clock` (default `time.time`), so tests can move it; after
moving an injected clock call `FastQueue.wake()` to let waiting long polls re-check.
moto's own timestamps (SentTimestamp) stay on the wall clock.

Redrive by API (StartMessageMoveTask and its two siblings) is in `move_tasks`; a message
moved to a DLQ remembers its source queue for it.

Persistence: queues, their messages (state, receive counts, due times, which are wall
clock) and the per-queue handle key pickle with the backend, so receipt handles issued
before a restart stay valid; locks, conditions and the move-task thread are made anew.

Known limits: messages come in the order they became visible (AWS: best effort); Lambda
event-source mappings are not driven from a `FastQueue` (this system has none; moto needs
Docker for them). moto's record of every `Message` it built is a bounded ring
(`localcloud.tracking`).
"""

from __future__ import annotations

import logging
import math
import re
import string
import time
from types import ModuleType
from typing import Any, cast

from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random
from moto.sqs import models as moto_sqs
from moto.sqs.constants import MAXIMUM_VISIBILITY_TIMEOUT
from moto.sqs.exceptions import InvalidAttributeName, InvalidParameterValue, SQSException
from moto.sqs.models import MAXIMUM_MESSAGE_DELAY, Message, Queue, SQSBackend

from messaging.localcloud.seams import use_backend
from messaging.localcloud.sqs.message import StoredMessage
from messaging.localcloud.sqs.move_tasks import MoveTasks, dead_letter_source
from messaging.localcloud.sqs.store import Clock, MessageStore, arriving_together

__all__ = ["FastQueue", "FastSQSBackend", "install", "uninstall"]

logger = logging.getLogger(__name__)

# What SendMessage accepts: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
_INVALID_CHARACTERS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _requested_delay(message: Message) -> int:
    """The DelaySeconds moto's `send_message` applied, read back from `mark_sent`'s stamps.

    moto resolves the per-message / queue default delay, then stamps `sent_timestamp` and
    `delayed_until` (both wall-clock ms, a moment apart) before calling `add_message`.
    """
    sent = cast("float | None", message.sent_timestamp)  # moto annotates it as None
    if not message.delayed_until or sent is None:
        return 0
    return max(0, round((message.delayed_until - sent) / 1000))


class FastQueue(Queue):
    """A standard queue on a `MessageStore`; moto's attributes, policy and DLQ set-up."""

    def __init__(
        self, name: str, region: str, account_id: str, *, clock: Clock = time.time, **kwargs: Any
    ) -> None:
        self.clock = clock
        self.store = MessageStore(clock=self._now, retention=self._retention)
        super().__init__(name, region=region, account_id=account_id, **kwargs)

    @property
    def _messages_lock(self) -> Any:
        """moto's wait_for_messages waits on our condition (moto assigns its own first)."""
        return self.store.cond

    @_messages_lock.setter
    def _messages_lock(self, _value: Any) -> None:
        pass

    def _now(self) -> float:
        return self.clock()

    def _retention(self) -> int:
        return int(self.message_retention_period)  # type: ignore[attr-defined]  # moto setattr

    @property
    def approximate_number_of_messages(self) -> int:
        return self.store.counts().visible

    @property
    def approximate_number_of_messages_not_visible(self) -> int:
        return self.store.counts().not_visible

    @property
    def approximate_number_of_messages_delayed(self) -> int:
        return self.store.counts().delayed

    @property
    def messages(self) -> list[Message]:
        return self.store.visible_messages()

    def add_message(self, message: Message) -> None:
        self.store.put(message, delay=_requested_delay(message))
        if self.lambda_event_source_mappings:
            logger.warning("sqs: %s has Lambda event-source mappings; not invoked", self.name)

    def delete_message(self, receipt_handle: str) -> None:
        self.store.delete(receipt_handle)

    def wake(self) -> None:
        """Let waiting long polls re-check now (after an injected clock moved)."""
        self.store.wake()

    def is_created(self) -> bool:
        return True  # moto's default; declared so type checkers see a concrete class


def _wants_fifo(attributes: dict[str, Any]) -> bool:
    return str(attributes.get("FifoQueue", "false")).lower() == "true"


class FastSQSBackend(MoveTasks, SQSBackend):
    """moto's SQS backend with standard queues on `FastQueue`; FIFO queues unchanged."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.clock: Clock = time.time
        self._init_move_tasks()

    @property
    def _url_module(self) -> ModuleType:
        """Our routes (moto's, plus the move task actions); see `sqs.urls`."""
        from messaging.localcloud.sqs import urls  # noqa: PLC0415 - imports responses

        return urls

    def reset(self) -> None:
        self.stop_move_tasks()
        super().reset()

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in _RUNTIME}
        state.update(self._move_state())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._restore_move_state(state)

    def _now(self) -> float:
        return self.clock()

    def _validate_message(self, queue: Queue, message_body: str, *args: Any, **kwargs: Any) -> None:
        # AWS refuses characters outside XML's set; moto crashed on some (HTTP 500).
        invalid = _INVALID_CHARACTERS.search(message_body)
        if invalid:
            raise SQSException(
                "InvalidMessageContents",
                f"Invalid characters found: U+{ord(invalid.group()):04X} at {invalid.start()}",
            )
        super()._validate_message(queue, message_body, *args, **kwargs)

    def send_message(
        self,
        queue_name: str,
        message_body: str,
        message_attributes: dict[str, Any] | None = None,
        delay_seconds: int | None = None,
        deduplication_id: str | None = None,
        group_id: str | None = None,
        system_attributes: dict[str, Any] | None = None,
        validate_group_id: bool = True,
    ) -> Message:
        """moto's send for a standard queue, without rebuilding every queue attribute.

        moto builds `queue.attributes` on each send to read one FIFO-only flag
        (ContentBasedDeduplication); that was a tenth of the cloud's CPU under load.
        """
        queue = self.get_queue(queue_name)
        if not isinstance(queue, FastQueue):
            return super().send_message(
                queue_name, message_body, message_attributes, delay_seconds,
                deduplication_id, group_id, system_attributes, validate_group_id,
            )  # fmt: skip
        delay = int(queue.delay_seconds if delay_seconds is None else delay_seconds)  # type: ignore[attr-defined]  # moto setattr
        self._validate_message(
            queue,
            message_body=message_body,
            delay_seconds=delay,
            deduplication_id=deduplication_id,
            group_id=group_id,
            validate_group_id=validate_group_id,
        )
        if delay > MAXIMUM_MESSAGE_DELAY:
            raise InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid. "
                "Reason: DelaySeconds must be >= 0 and <= 900."
            )
        message = StoredMessage(str(mock_random.uuid4()), message_body, system_attributes)
        if deduplication_id is not None:  # as moto does, SequenceNumber included
            message.deduplication_id = deduplication_id
            message.sequence_number = "".join(mock_random.choice(string.digits) for _ in range(20))
        message.group_id = group_id
        if message_attributes:
            message.message_attributes = message_attributes
        message.mark_sent(delay_seconds=delay)
        queue.add_message(message)
        return message

    def send_message_batch(
        self, queue_name: str, entries: dict[str, dict[str, Any]]
    ) -> tuple[list[Message], list[dict[str, Any]]]:
        # A batch's messages land in the queue together, at the end (see the store).
        with arriving_together():
            return super().send_message_batch(queue_name, entries)

    def create_queue(self, name: str, tags: dict[str, str] | None = None, **kwargs: Any) -> Queue:
        if name in self.queues or _wants_fifo(kwargs):
            return super().create_queue(name, tags, **kwargs)  # compare/create as moto does
        kwargs.pop("region", None)
        queue = FastQueue(
            name, region=self.region_name, account_id=self.account_id, clock=self._now, **kwargs
        )
        self.queues[name] = queue
        if tags:
            queue.tags = tags
        return queue

    def receive_message(
        self,
        queue_name: str,
        count: int,
        wait_seconds_timeout: float,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Message]:
        queue = self.get_queue(queue_name)
        if not isinstance(queue, FastQueue):
            return super().receive_message(  # moto's FIFO queues wait in whole seconds:
                queue_name,  # rounded up, so a fraction never becomes a busy 0
                count,
                math.ceil(wait_seconds_timeout),
                visibility_timeout,
                message_attribute_names,
            )
        # A float wait is kept: the Lambda pollers wait out the rest of a batching window
        # (0.37 s), which int() would make 0 and a busy loop.
        deadline = queue.clock() + float(wait_seconds_timeout or 0)
        policy = queue.redrive_policy if queue.dead_letter_queue is not None else None
        max_receive = int(policy["maxReceiveCount"]) if policy else None
        while True:
            received = queue.store.receive(
                count, int(visibility_timeout), deadline, message_attribute_names or [], max_receive
            )
            for message, enqueued_at in received.dead:
                self._dead_letter(queue, message, enqueued_at)
            if received.delivered or not received.dead:
                return received.delivered

    @staticmethod
    def _dead_letter(source: FastQueue, message: Message, enqueued_at: float) -> None:
        """Move to the DLQ outside the source's lock (two queues may be each other's DLQ)."""
        dead_letter_source(message, source)
        dlq = source.dead_letter_queue
        if isinstance(dlq, FastQueue):
            dlq.store.put(message, enqueued_at=enqueued_at)
        elif dlq is not None:
            dlq.add_message(message)

    def change_message_visibility(
        self, queue_name: str, receipt_handle: str, visibility_timeout: int
    ) -> None:
        queue = self.get_queue(queue_name)
        if not isinstance(queue, FastQueue):
            super().change_message_visibility(queue_name, receipt_handle, visibility_timeout)
            return
        queue.store.change_visibility(receipt_handle, int(visibility_timeout))

    def change_message_visibility_batch(
        self, queue_name: str, entries: list[dict[str, Any]]
    ) -> tuple[list[str], list[dict[str, str]]]:
        queue = self.get_queue(queue_name)
        if not isinstance(queue, FastQueue):
            return super().change_message_visibility_batch(queue_name, entries)
        success: list[str] = []
        failed: list[dict[str, Any]] = []
        for entry in entries:
            try:
                timeout = int(entry["VisibilityTimeout"])
                if not 0 <= timeout <= MAXIMUM_VISIBILITY_TIMEOUT:
                    raise ValueError(timeout)
            except (KeyError, TypeError, ValueError):
                failed.append(
                    _failure(entry, "InvalidParameterValue", "Visibility timeout invalid")
                )
                continue
            try:
                queue.store.change_visibility(entry["ReceiptHandle"], timeout)
            except SQSException as error:  # per-entry failure, as AWS reports it
                failed.append(_failure(entry, error.code, error.message))
            else:
                success.append(entry["Id"])
        return success, failed

    def get_queue_attributes(self, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        """moto's answer, with `queue.attributes` built once per call.

        For named attributes moto builds the whole dict three times per name (to test it,
        to read it, to read it again): 4 of a GetQueueAttributes' 5.5 ms for the two
        counters `simulate` and `status` ask for each queue every second (issue #21).
        """
        if not attribute_names or "All" in attribute_names:
            return super().get_queue_attributes(queue_name, attribute_names)
        queue = self.get_queue(queue_name)
        valid = {*queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES}
        invalid = next((name for name in attribute_names if name not in valid), None)
        if invalid is not None:
            raise InvalidAttributeName(invalid)
        built = queue.attributes
        return {name: built[name] for name in attribute_names if built.get(name) is not None}

    def set_queue_attributes(self, queue_name: str, attributes: dict[str, Any]) -> Queue:
        # moto resets Policy whenever a call omits it (`Queue._set_attributes` assigns
        # `attributes.get("Policy")`); AWS changes only the attributes given.
        queue = self.get_queue(queue_name)
        if "Policy" not in attributes and queue.policy:
            attributes = {**attributes, "Policy": queue.policy}
        return super().set_queue_attributes(queue_name, attributes)

    def purge_queue(self, queue_name: str) -> None:
        super().purge_queue(queue_name)  # moto's 60-second rule and bookkeeping
        queue = self.get_queue(queue_name)
        if isinstance(queue, FastQueue):
            queue.store.purge()

    def is_message_valid_based_on_retention_period(self, queue_name: str, message: Message) -> bool:
        # moto rebuilds every queue attribute here, per received message; read the one.
        queue = self.get_queue(queue_name)
        retention: int = queue.message_retention_period  # type: ignore[attr-defined]
        sent = cast("float | None", message.sent_timestamp)  # moto annotates it as None
        return sent is None or sent / 1000 + int(retention) > unix_time()


_RUNTIME = frozenset({"move_tasks", "_move_lock", "_mover_stop", "_mover"})


def _failure(entry: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    return {"Id": entry.get("Id"), "SenderFault": True, "Code": code, "Message": message}


def install() -> None:
    """Make moto build `FastSQSBackend` (idempotent; existing stock backends are dropped)."""
    use_backend(moto_sqs.sqs_backends, FastSQSBackend)


def uninstall() -> None:
    """Back to moto's stock backend (benchmark baseline); drops backends built by ours."""
    use_backend(moto_sqs.sqs_backends, SQSBackend)
