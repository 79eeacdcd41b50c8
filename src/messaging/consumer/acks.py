"""The worker's SQS side, in one place: delete, release, extend.

Acknowledgement is one policy applied here, so no retry or delete logic leaks into
handlers or loops. Each call carries up to 10 entries (the batch APIs' limit). A batch
call can succeed while some entries fail: those that SQS does not blame on the sender
are retried by `EntryRetry` (bounded, jittered); a whole call that fails after
botocore's retries is counted and logged, never raised, because every failure here is
safe: a message not deleted comes back and the idempotent store counts it as a
duplicate; a visibility not changed runs out on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging.consumer.batch import Message
from messaging.consumer.state import WorkerStats
from messaging.core.retry import EntryRetry, describe, is_fatal

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["MAX_VISIBILITY_SECONDS", "Acknowledger"]

logger = logging.getLogger(__name__)

BATCH = 10
MAX_VISIBILITY_SECONDS = 43_200  # SQS: 12 hours


class Acknowledger:
    def __init__(
        self,
        name: str,
        sqs: SQSClient,
        queue_url: str,
        stats: WorkerStats,
        retry: EntryRetry | None = None,
    ) -> None:
        self.name = name
        self.sqs = sqs
        self.queue_url = queue_url
        self.stats = stats
        self.retry = retry or EntryRetry()

    def delete(self, messages: Sequence[Message]) -> None:
        """Delete `messages` (their effects are committed)."""
        for start in range(0, len(messages), BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": m.receipt_handle}
                for n, m in enumerate(messages[start : start + BATCH])
            ]
            self._send("delete", entries, "deleted")

    def set_visibility(self, messages: Sequence[Message], seconds: float, *, counter: str) -> None:
        """Hide `messages` for `seconds` more (0: visible again now)."""
        timeout = max(0, min(MAX_VISIBILITY_SECONDS, round(seconds)))
        for start in range(0, len(messages), BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": timeout}
                for n, m in enumerate(messages[start : start + BATCH])
            ]
            self._send("visibility", entries, counter)

    def _send(self, kind: str, entries: list[dict[str, Any]], counter: str) -> None:
        def call(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if kind == "delete":
                response: Any = self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=pending,  # type: ignore[arg-type]
                )
            else:
                response = self.sqs.change_message_visibility_batch(
                    QueueUrl=self.queue_url,
                    Entries=pending,  # type: ignore[arg-type]
                )
            self.stats.add(counter, len(response.get("Successful", [])))
            failed = response.get("Failed", [])
            for failure in failed:
                if failure.get("SenderFault"):  # e.g. a receipt handle that expired
                    logger.info("%s: %s refused: %s", self.name, kind, failure.get("Code"))
            again = {f["Id"] for f in failed if not f.get("SenderFault")}
            return [entry for entry in pending if entry["Id"] in again]

        try:
            left = self.retry.run(call, entries)
        except (ClientError, BotoCoreError) as error:
            if is_fatal(error):
                raise  # the worker stops: see `core.retry.is_fatal`
            self.stats.add("errors")
            logger.warning(
                "%s: %s of %d messages failed (%s); they come back after their visibility timeout",
                self.name,
                kind,
                len(entries),
                describe(error),
            )
            return
        if left:
            logger.warning(
                "%s: %s of %d messages still failing after %d attempts",
                self.name,
                kind,
                len(left),
                self.retry.attempts,
            )
