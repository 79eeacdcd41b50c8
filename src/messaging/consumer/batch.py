"""The consumer core: `process_batch(messages, handler, store) -> BatchResult`, pure.

Decode -> handle -> commit -> classify, for the messages of one or many polls at once,
with no threads and no SQS calls. What to do with each message is data
(`Disposition`), for a shell to act on: the long-running worker deletes, releases or
holds; a Lambda function reports `batchItemFailures`. Powertools' batch processor is
the model: one generic loop, a handler of one record, partial failure as data.

Every exception is caught where it happens and fails only the messages it concerns:

- a body that is not a valid event is POISON (it can never succeed: the shell lets
  the redrive policy move it to the DLQ at once);
- a handler that raises, or an item the store cannot hold (a float for DynamoDB),
  is RETRY for that message alone (a bug, possibly fixed by a redeploy: it comes back
  after the visibility timeout, and reaches the DLQ after maxReceiveCount);
- a commit that fails because the store failed (throttled, unreachable, denied) is
  RETRY with `dependency_failed`: nothing is wrong with the message, so a shell backs
  off instead of burning its receives (`BatchResult.outage`);
- anything unexpected from the store itself is RETRY for the units concerned: the
  others are committed apart from them.

The input type, `Message`, is what both an SQS `ReceiveMessage` message and a Lambda SQS
event record carry: `from_sqs` and `from_lambda` map each onto it field by field.

Only the standard library, pydantic (the codec), boto3's serialiser and botocore (the
store) are imported: a Lambda function stays light.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from messaging.core.events import ConsumerCreated, DecodeError, decode
from messaging.core.retry import describe, is_fatal
from messaging.core.services import Handler
from messaging.store import (
    CommitFailure,
    Outcome,
    Store,
    UnitOfWork,
    UnitResult,
    is_dependency_failure,
)

__all__ = ["BatchResult", "Disposition", "Message", "MessageResult", "process_batch"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One SQS message, as both shells receive it."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int = 1
    attributes: Mapping[str, Any] = field(default_factory=dict)  # message attributes

    @classmethod
    def from_sqs(cls, message: Mapping[str, Any]) -> Message:
        """A message of `ReceiveMessage` (asked with ApproximateReceiveCount)."""
        return cls._mapped(message, _SQS_NAMES)

    @classmethod
    def from_lambda(cls, record: Mapping[str, Any]) -> Message:
        """A record of a Lambda SQS event (`event["Records"][n]`)."""
        return cls._mapped(record, _LAMBDA_NAMES)

    @classmethod
    def _mapped(cls, record: Mapping[str, Any], names: tuple[str, ...]) -> Message:
        message_id, receipt_handle, body, system, attributes = names
        return cls(
            message_id=str(record.get(message_id, "")),
            receipt_handle=str(record.get(receipt_handle, "")),
            body=str(record.get(body, "")),
            receive_count=int((record.get(system) or {}).get("ApproximateReceiveCount", 1)),
            attributes=record.get(attributes) or {},
        )


# The same five fields, as ReceiveMessage and a Lambda SQS event name them.
_SQS_NAMES = ("MessageId", "ReceiptHandle", "Body", "Attributes", "MessageAttributes")
_LAMBDA_NAMES = ("messageId", "receiptHandle", "body", "attributes", "messageAttributes")


class Disposition(StrEnum):
    APPLIED = "applied"  # effects committed now: acknowledge
    DUPLICATE = "duplicate"  # effects were already there: acknowledge
    RETRY = "retry"  # failed; it must come back
    POISON = "poison"  # can never succeed: straight to the DLQ

    @property
    def acknowledged(self) -> bool:
        return self in (Disposition.APPLIED, Disposition.DUPLICATE)


@dataclass(frozen=True)
class MessageResult:
    message: Message
    disposition: Disposition
    event: ConsumerCreated | None = None  # None when it did not decode
    reason: str | None = None  # why it failed, classified: "<stage>: <error>"
    dependency_failed: bool = False  # a dependency failed, not this message
    fatal: bool = False  # no retry can mend it (`core.retry.is_fatal`): a shell should stop


@dataclass(frozen=True)
class BatchResult:
    """One result per message, in the order given."""

    results: tuple[MessageResult, ...]

    def with_disposition(self, *wanted: Disposition) -> list[MessageResult]:
        return [r for r in self.results if r.disposition in wanted]

    @property
    def acknowledged(self) -> list[MessageResult]:
        return [r for r in self.results if r.disposition.acknowledged]

    @property
    def fatal(self) -> str | None:
        """Why no retry can help (the first such failure), or None."""
        return next((r.reason for r in self.results if r.fatal), None)

    @property
    def outage(self) -> bool:
        """A dependency failed and nothing succeeded: back off, do not burn receives."""
        return any(r.dependency_failed for r in self.results) and not self.acknowledged

    def batch_item_failures(self) -> list[dict[str, str]]:
        """The Lambda answer for an SQS event source with ReportBatchItemFailures."""
        return [
            {"itemIdentifier": r.message.message_id}
            for r in self.results
            if not r.disposition.acknowledged
        ]


def process_batch(messages: Sequence[Message], handler: Handler, store: Store) -> BatchResult:
    """Decode, handle and commit `messages`; classify every outcome. Never raises
    `Exception` (what reaches the caller is `BaseException` only: an interpreter exit)."""
    results: list[MessageResult | None] = [None] * len(messages)
    pending: list[tuple[int, ConsumerCreated, UnitOfWork]] = []
    for index, message in enumerate(messages):
        handled = _decode_and_handle(message, handler)
        if isinstance(handled, MessageResult):
            results[index] = handled
        else:
            pending.append((index, *handled))
    outcomes = _commit([unit for _, _, unit in pending], store)
    for (index, event, _), outcome in zip(pending, outcomes, strict=True):
        results[index] = _result(messages[index], event, outcome)
    batch = BatchResult(tuple(r for r in results if r is not None))
    _log_failures(batch)
    return batch


def _decode_and_handle(
    message: Message, handler: Handler
) -> MessageResult | tuple[ConsumerCreated, UnitOfWork]:
    try:
        event = decode(message.body)
    except DecodeError as error:
        return MessageResult(message, Disposition.POISON, reason=f"undecodable: {error}")
    except Exception as error:  # noqa: BLE001 - the decoder's bug, triggered by this body
        return MessageResult(message, Disposition.POISON, reason=f"decoder: {describe(error)}")
    unit = UnitOfWork()
    try:
        handler(event, unit)
    except Exception as error:  # noqa: BLE001 - a handler bug fails its own message only
        return MessageResult(message, Disposition.RETRY, event, f"handler: {describe(error)}")
    return event, unit


def _commit(units: list[UnitOfWork], store: Store) -> list[UnitResult]:
    """The store's answer per unit. A store that raises (the outline never does; another
    store may) fails the units concerned: all of them for an outage, else the halves are
    committed apart until the unit at fault fails alone."""
    if not units:
        return []
    try:
        outcomes = store.commit(units)
        if len(outcomes) != len(units):
            raise RuntimeError(f"the store answered {len(outcomes)} results for {len(units)}")
    except Exception as error:  # noqa: BLE001 - classified: an outage, or some units' fault
        dependency = is_dependency_failure(error)
        if dependency or len(units) == 1:
            return [CommitFailure(describe(error), dependency, is_fatal(error))] * len(units)
        middle = len(units) // 2
        return _commit(units[:middle], store) + _commit(units[middle:], store)
    return outcomes


def _result(message: Message, event: ConsumerCreated, outcome: UnitResult) -> MessageResult:
    if isinstance(outcome, CommitFailure):
        return MessageResult(
            message,
            Disposition.RETRY,
            event,
            f"commit: {outcome.reason}",
            dependency_failed=outcome.dependency,
            fatal=outcome.fatal,
        )
    disposition = Disposition.APPLIED if outcome is Outcome.APPLIED else Disposition.DUPLICATE
    return MessageResult(message, disposition, event)


def _log_failures(batch: BatchResult) -> None:
    """One line per distinct reason: an outage of 100 messages is one line, not 100."""
    failures = [r for r in batch.results if not r.disposition.acknowledged]
    if not failures:
        return
    reasons = Counter((r.disposition, r.reason) for r in failures)
    for (disposition, reason), count in reasons.items():
        first = next(r for r in failures if (r.disposition, r.reason) == (disposition, reason))
        logger.warning(
            "%d message(s) %s (first: %s): %s",
            count,
            disposition.value,
            first.message.message_id,
            reason,
        )
