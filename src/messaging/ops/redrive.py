"""Move messages from a dead-letter queue back to their queue, as SQS itself does it.

After the cause of a failure is fixed (a handler bug, a schema the service now
understands), the messages parked in the DLQ deserve another try.

The way SQS offers, where the endpoint has it (AWS does, and so does the local cloud):
a message move task (`StartMessageMoveTask`). SQS moves the messages that were in the
DLQ when the task started, no others, at a bounded rate, and reports progress
(`ListMessageMoveTasks`), which is passed on to `on_progress`. A message that fails
again and comes back to the DLQ while the task runs is not moved a second time, so a
redrive always ends, even with the services running and a real poison message. Setting
`stop` cancels the task (`CancelMessageMoveTask`); what was moved stays moved.

The fallback, for endpoints without move tasks and for `max_messages` (a task cannot be
told to stop after N): receive from the DLQ, send the batch to the queue, delete it from
the DLQ only once the queue accepted it, so a crash in between duplicates a message
(which the idempotent services absorb) but never loses one. It too moves at most what
the DLQ held when it started (`ApproximateNumberOfMessages` and `...NotVisible`). Bodies
and message attributes are kept; either way a moved message is a new message whose
receive count starts afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from messaging.errors import MessagingError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = ["Progress", "RedriveError", "RedriveReport", "redrive"]

# What an endpoint without message move tasks answers (LocalStack-likes, old emulators).
UNSUPPORTED = {
    "UnsupportedOperation",
    "InvalidAction",
    "UnknownOperationException",
    "NotImplemented",
    "NotImplementedException",
}
FINAL = {"COMPLETED", "CANCELLED", "FAILED"}

Progress = Callable[[int, int | None], None]  # (moved so far, to move) -> None


class RedriveError(MessagingError):
    """The redrive could not start; the message says why and what to do."""


@dataclass(frozen=True)
class RedriveReport:
    moved: int
    failed: int  # could not be moved this run; still in the DLQ
    to_move: int | None  # what the DLQ held when the redrive started
    method: Literal["move task", "receive and send"]
    status: str = "COMPLETED"  # a move task's final status
    reason: str | None = None  # why it failed, if it did


def _arn(sqs: SQSClient, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def redrive(
    sqs: SQSClient,
    dlq_url: str,
    source_url: str,
    *,
    max_messages: int | None = None,
    rate: int | None = None,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    poll_seconds: float = 1.0,
) -> RedriveReport:
    """Move what `dlq_url` holds now back to `source_url`; see the module docstring."""
    if max_messages is None:
        try:
            return _move_task(
                sqs, dlq_url, source_url, rate, on_progress, stop or threading.Event(),
                poll_seconds,
            )  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in UNSUPPORTED:
                raise
    return _receive_and_send(sqs, dlq_url, source_url, max_messages, on_progress)


def _move_task(
    sqs: SQSClient,
    dlq_url: str,
    source_url: str,
    rate: int | None,
    on_progress: Progress | None,
    stop: threading.Event,
    poll_seconds: float,
) -> RedriveReport:
    dlq_arn = _arn(sqs, dlq_url)
    arguments: dict[str, Any] = {"SourceArn": dlq_arn, "DestinationArn": _arn(sqs, source_url)}
    if rate is not None:
        arguments["MaxNumberOfMessagesPerSecond"] = rate
    try:
        handle = sqs.start_message_move_task(**arguments)["TaskHandle"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "already a task running" in message:
            raise RedriveError(
                "a redrive of this DLQ is already running; wait for it to end "
                "(`aws sqs list-message-move-tasks`) and try again"
            ) from error
        raise
    started: int | None = None
    cancelled = False
    while True:
        task = _find(sqs, dlq_arn, handle, started)
        started = task.get("StartedTimestamp", started)
        moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
        to_move = task.get("ApproximateNumberOfMessagesToMove")
        if on_progress is not None:
            on_progress(moved, None if to_move is None else int(to_move))
        status = str(task.get("Status", ""))
        if status in FINAL:
            return RedriveReport(
                moved=moved,
                failed=max(0, int(to_move or 0) - moved) if status == "FAILED" else 0,
                to_move=None if to_move is None else int(to_move),
                method="move task",
                status=status,
                reason=task.get("FailureReason"),
            )
        if stop.is_set() and not cancelled and status == "RUNNING":
            sqs.cancel_message_move_task(TaskHandle=handle)
            cancelled = True
        stop.wait(poll_seconds)


def _find(sqs: SQSClient, dlq_arn: str, handle: str, started: int | None) -> dict[str, Any]:
    """Our task among the DLQ's recent ones: by handle while it runs, then by start time."""
    results: list[Any] = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    for task in results:
        if task.get("TaskHandle") == handle:
            return dict(task)
    for task in results:  # ended: the handle is gone
        if started is None or task.get("StartedTimestamp") == started:
            return dict(task)
    raise RedriveError("the message move task disappeared from ListMessageMoveTasks")


def _entry(n: int, message: MessageTypeDef) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": str(n), "MessageBody": message.get("Body", "")}
    if message.get("MessageAttributes"):
        entry["MessageAttributes"] = message["MessageAttributes"]
    return entry


def _held(sqs: SQSClient, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def _receive_and_send(
    sqs: SQSClient,
    dlq_url: str,
    source_url: str,
    max_messages: int | None,
    on_progress: Progress | None,
    wait_seconds: int = 1,
) -> RedriveReport:
    held = _held(sqs, dlq_url)
    budget = held if max_messages is None else min(held, max_messages)
    moved = failed = 0
    empty_polls = 0
    while empty_polls < 2 and moved + failed < budget:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, budget - moved - failed),
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            empty_polls += 1  # twice in a row: the DLQ is empty (counts are approximate)
            continue
        empty_polls = 0
        done, rejected = _move_batch(sqs, dlq_url, source_url, messages)
        moved += done
        failed += rejected
        if on_progress is not None:
            on_progress(moved, budget)
        if rejected:
            break  # do not spin on what SQS refuses; report it
    return RedriveReport(moved, failed, held, "receive and send")


def _move_batch(
    sqs: SQSClient, dlq_url: str, source_url: str, messages: list[MessageTypeDef]
) -> tuple[int, int]:
    """Send a batch to the queue, delete what it accepted from the DLQ: (moved, refused)."""
    sent = sqs.send_message_batch(
        QueueUrl=source_url,
        Entries=[_entry(n, m) for n, m in enumerate(messages)],  # type: ignore[misc]
    )
    accepted = {int(item["Id"]) for item in sent.get("Successful", [])}
    done = [m for n, m in enumerate(messages) if n in accepted]
    rejected = [m for n, m in enumerate(messages) if n not in accepted]
    if done:
        sqs.delete_message_batch(
            QueueUrl=dlq_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
            ],
        )
    if rejected:  # visible again at once, for the next run
        sqs.change_message_visibility_batch(
            QueueUrl=dlq_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for n, m in enumerate(rejected)
            ],
        )
    return len(done), len(rejected)
