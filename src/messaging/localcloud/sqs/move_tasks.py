"""SQS message move tasks (DLQ redrive): StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask, which moto 5.2.5 does not implement.

AWS semantics kept (API reference; error codes and messages as AWS answers them):

- the source must be a queue that some queue names as its dead-letter queue
  (`InvalidParameterValue` "Source queue must be configured as a Dead Letter Queue.");
  an unknown source or destination is `ResourceNotFoundException`;
- a task moves the messages that were in the source when it started, and no others:
  `ApproximateNumberOfMessagesToMove` is counted then, and a message that reaches the
  DLQ later (a poison message failing again after its redrive) is left for a next task.
  So a redrive always ends;
- at most `MaxNumberOfMessagesPerSecond` (1-500) per second; without it, as fast as
  `DEFAULT_RATE` allows (AWS: "optimized by the system");
- without `DestinationArn`, each message goes back to the queue it was dead-lettered
  from; one that was sent to the DLQ directly has no such queue and fails the task
  (`CouldNotDetermineMessageSource`), leaving it where it is. A destination deleted
  while the task runs fails it (`AWS.SimpleQueueService.NonExistentQueue`);
- a moved message is a new message (new id, receive count from zero), with the body,
  message attributes and system attributes it had;
- one RUNNING task per source; `ListMessageMoveTasks` shows the most recent first (up to
  10 kept per source), with a `TaskHandle` only while RUNNING; a cancelled task stops
  moving at once and keeps what it moved.

Tasks run on one daemon thread per backend, which passes the snapshot gate for each
step, and survive a snapshot and restore (`after_restore()` starts the thread again).

Known limits: sources must be standard queues (a FIFO DLQ is refused with
`UnsupportedOperation`); the task handle is ours (base64 JSON of task id and source
ARN, the shape AWS's handles have), and CANCELLING is never observed (cancel is
immediate).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.sqs.exceptions import SQSException
from moto.sqs.models import Message, Queue

from messaging.localcloud.state.gate import gate

if TYPE_CHECKING:
    from messaging.localcloud.sqs.backend import FastQueue

__all__ = ["DEFAULT_RATE", "MoveTask", "MoveTasks"]

logger = logging.getLogger(__name__)

DEFAULT_RATE = 500  # messages per second when the caller names no rate
MAX_RATE = 500
TASKS_KEPT = 10  # per source queue, as ListMessageMoveTasks can show
TICK_SECONDS = 0.05  # how often the runner moves what the rate allows
NO_SOURCE = "CouldNotDetermineMessageSource"
NO_QUEUE = "AWS.SimpleQueueService.NonExistentQueue"


def _invalid(message: str) -> SQSException:
    return SQSException("InvalidParameterValue", message)


def _not_found(message: str) -> SQSException:
    return SQSException("ResourceNotFoundException", message)


@dataclass
class MoveTask:
    """One task's state; `mark` is the last message sequence number it may move."""

    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    started_ms: int
    mark: int
    to_move: int
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None
    tokens: float = 0.0
    last_tick: float = 0.0

    @property
    def handle(self) -> str:
        raw = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn})
        return base64.b64encode(raw.encode()).decode()

    def describe(self) -> dict[str, Any]:
        """The ListMessageMoveTasks entry: optional fields only when AWS shows them."""
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            entry["TaskHandle"] = self.handle
        if self.destination_arn is not None:
            entry["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure is not None:
            entry["FailureReason"] = self.failure
        return entry


def decode_handle(handle: str) -> tuple[str, str]:
    """(task id, source ARN) of a handle, else InvalidParameterValue."""
    try:
        fields = json.loads(base64.b64decode(handle, validate=True))
        return str(fields["taskId"]), str(fields["sourceArn"])
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise _invalid("Value for parameter TaskHandle is invalid.") from error


class MoveTasks:
    """Backend mixin (for `FastSQSBackend`): the three APIs and the thread that moves."""

    queues: dict[str, Queue]
    clock: Any

    def _init_move_tasks(self) -> None:
        self.move_tasks: dict[str, deque[MoveTask]] = {}  # by source ARN, newest first
        self._move_lock = threading.Lock()
        self._mover_stop = threading.Event()
        self._mover: threading.Thread | None = None

    # -- API ---------------------------------------------------------------------

    def start_message_move_task(
        self, source_arn: str, destination_arn: str | None = None, rate: int | None = None
    ) -> str:
        if rate is not None and not 1 <= rate <= MAX_RATE:
            raise _invalid(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                f"Reason: Must be between 1 and {MAX_RATE}."
            )
        source = self._queue_by_arn(source_arn, "SourceArn")
        if not any(q.dead_letter_queue is source for q in self.queues.values()):
            raise _invalid("Source queue must be configured as a Dead Letter Queue.")
        if destination_arn is not None:
            self._queue_by_arn(destination_arn, "DestinationArn")
        store = self._store_of(source)
        with self._move_lock:
            history = self.move_tasks.setdefault(source_arn, deque(maxlen=TASKS_KEPT))
            if history and history[0].status == "RUNNING":
                raise _invalid(
                    "There is already a task running. Only one active task is allowed "
                    "for a source queue arn at a given time."
                )
            now = float(self.clock())
            mark = store.last_seq()
            task = MoveTask(
                task_id=str(uuid.uuid4()),
                source_arn=source_arn,
                destination_arn=destination_arn,
                rate=rate,
                started_ms=int(now * 1000),
                mark=mark,
                to_move=store.count_upto(mark),
                last_tick=now,
            )
            history.appendleft(task)
        self._ensure_mover()
        return task.handle

    def list_message_move_tasks(self, source_arn: str, max_results: int = 1) -> list[MoveTask]:
        if not 1 <= max_results <= TASKS_KEPT:
            raise _invalid(
                f"Value {max_results} for parameter MaxResults is invalid. "
                f"Reason: Must be between 1 and {TASKS_KEPT}."
            )
        self._queue_by_arn(source_arn, "SourceArn")
        with self._move_lock:
            return list(self.move_tasks.get(source_arn, ()))[:max_results]

    def cancel_message_move_task(self, handle: str) -> int:
        task_id, source_arn = decode_handle(handle)
        self._queue_by_arn(source_arn, "SourceArn")
        with self._move_lock:
            for task in self.move_tasks.get(source_arn, ()):
                if task.task_id == task_id and task.status == "RUNNING":
                    task.status = "CANCELLED"
                    return task.moved
        raise _not_found("Task does not exist.")

    # -- moving --------------------------------------------------------------------

    def step_move_tasks(self) -> bool:
        """Move what each running task's rate allows now; True while any still runs."""
        running = False
        with self._move_lock:
            for history in self.move_tasks.values():
                task = history[0] if history else None
                if task is not None and task.status == "RUNNING":
                    self._step(task)
                    running = running or task.status == "RUNNING"
        return running

    def _step(self, task: MoveTask) -> None:
        now = float(self.clock())
        rate = task.rate or DEFAULT_RATE
        task.tokens = min(float(rate), task.tokens + rate * max(0.0, now - task.last_tick))
        task.last_tick = now
        try:
            source = self._store_of(self._queue_by_arn(task.source_arn, "SourceArn"))
        except SQSException:
            self._fail(task, NO_QUEUE)
            return
        if not source.holds_upto(task.mark):
            task.status = "COMPLETED"
            return
        budget = int(task.tokens)
        if budget == 0:
            return
        taken = source.take_upto(task.mark, budget)
        for n, (message, _) in enumerate(taken):
            reason = self._deliver(task, message)
            if reason is not None:  # back where it was, with the ones not yet moved
                for rest, at in taken[n:]:
                    source.put(rest, enqueued_at=at)
                self._fail(task, reason)
                return
            task.moved += 1
        task.tokens -= len(taken)
        if not source.holds_upto(task.mark):
            task.status = "COMPLETED"

    def _deliver(self, task: MoveTask, message: Message) -> str | None:
        """Send a copy of `message` as a new message; the failure reason, or None."""
        target = task.destination_arn or getattr(message, "dead_letter_source_arn", None)
        if target is None:
            return NO_SOURCE
        try:
            queue = self._queue_by_arn(target, "DestinationArn")
        except SQSException:
            return NO_QUEUE
        try:
            self.send_message(  # type: ignore[attr-defined]  # the backend's own send
                queue.name,
                message.body,
                message_attributes=dict(message.message_attributes) or None,
                group_id=message.group_id,
                deduplication_id=message.deduplication_id,
                system_attributes=message.system_attributes or None,
            )
        except SQSException as error:  # the destination refuses it (e.g. its size limit)
            return str(error.code)
        return None

    @staticmethod
    def _fail(task: MoveTask, reason: str) -> None:
        task.status = "FAILED"
        task.failure = reason
        logger.warning("sqs: message move task %s failed: %s", task.task_id, reason)

    def _any_running(self) -> bool:
        return any(h and h[0].status == "RUNNING" for h in self.move_tasks.values())

    def _ensure_mover(self) -> None:
        with self._move_lock:
            if self._mover is None:
                self._mover = threading.Thread(
                    target=self._run_mover, args=(self._mover_stop,), name="sqs-move-tasks",
                    daemon=True,
                )  # fmt: skip
                self._mover.start()

    def _run_mover(self, stop: threading.Event) -> None:
        """Step every TICK_SECONDS; end (under the lock) once no task runs."""
        while not stop.wait(TICK_SECONDS):
            try:
                with gate.shared():
                    self.step_move_tasks()
            except Exception:  # a bug must not end the runner silently: log it, go on
                logger.exception("sqs: message move tasks: unexpected error")
            with self._move_lock:
                if not self._any_running():
                    self._mover = None
                    return

    def after_restore(self) -> None:
        """Start moving again after a restore, if a task was running."""
        with self._move_lock:
            running = self._any_running()
        if running:
            self._ensure_mover()

    def stop_move_tasks(self) -> None:
        self._mover_stop.set()

    # -- lookups -------------------------------------------------------------------

    def _queue_by_arn(self, arn: str, parameter: str) -> Queue:
        for queue in self.queues.values():
            if queue.queue_arn == arn:
                return queue
        raise _not_found(
            f"The resource that you specified for the {parameter} parameter doesn't exist."
        )

    @staticmethod
    def _store_of(queue: Queue) -> Any:
        store = getattr(queue, "store", None)
        if store is None:
            raise SQSException(
                "UnsupportedOperation",
                "The local cloud moves messages from standard queues only.",
            )
        return store

    # -- persistence ---------------------------------------------------------------

    def _move_state(self) -> dict[str, Any]:
        return {"move_tasks": self.move_tasks}

    def _restore_move_state(self, state: dict[str, Any]) -> None:
        self._init_move_tasks()
        self.move_tasks = state.get("move_tasks", {})


def dead_letter_source(message: Message, source: FastQueue | Queue) -> None:
    """Remember where a message was dead-lettered from (the default redrive target)."""
    message.dead_letter_source_arn = source.queue_arn  # type: ignore[attr-defined]
