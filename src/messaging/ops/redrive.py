"""Move messages from a dead-letter queue back to their source queue, losing none.

After the cause of a failure is fixed (a handler bug, a schema the service now
understands), the messages parked in the DLQ deserve another try. Each batch is sent to
the source queue first and deleted from the DLQ only once SQS has accepted it, so a
crash in between duplicates a message (which the idempotent services absorb) but never
loses one. Bodies and message attributes are kept; the receive count starts afresh, as
a new message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

__all__ = ["RedriveReport", "redrive"]


@dataclass(frozen=True)
class RedriveReport:
    moved: int
    failed: int  # could not be sent this run; still in the DLQ, visible again


def _entry(n: int, message: MessageTypeDef) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": str(n), "MessageBody": message.get("Body", "")}
    if message.get("MessageAttributes"):
        entry["MessageAttributes"] = message["MessageAttributes"]
    return entry


def redrive(
    sqs: SQSClient,
    dlq_url: str,
    source_url: str,
    *,
    max_messages: int | None = None,
    wait_seconds: int = 1,
) -> RedriveReport:
    """Move up to `max_messages` (all by default) from `dlq_url` to `source_url`."""
    moved = failed = 0
    empty_polls = 0
    while empty_polls < 2 and (max_messages is None or moved + failed < max_messages):
        wanted = 10 if max_messages is None else min(10, max_messages - moved - failed)
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            empty_polls += 1  # twice in a row: the DLQ is empty (counts are approximate)
            continue
        empty_polls = 0
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
        moved += len(done)
        failed += len(rejected)
        if rejected:
            break  # do not spin on what SQS refuses; report it
    return RedriveReport(moved, failed)
