"""Idempotent service stores: each event's effects apply once, however often it arrives.

SQS delivers at least once, so a service sees some events twice. A handler does not
write; it records the effects it wants in a `UnitOfWork` ("create this item unless it
exists"). The worker commits the units of many messages together, and the store
decides per unit: APPLIED, or DUPLICATE when its item already exists, in which case
nothing changes.

`DynamoStore` commits with `TransactWriteItems`, each put conditional on
`attribute_not_exists(<key>)`: one request for up to 100 items, which is what keeps
requests per event low. A cancelled transaction says, per item, which conditions
failed; those units are duplicates and the rest is committed again. Every stored item
records the effect that made it (`event_id`) and when it was stored (`stored_at`), so a
run can prove that no effect was applied twice.

`MemoryStore` has the same semantics in memory, for unit tests.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from messaging.errors import MessagingError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

__all__ = [
    "DynamoStore",
    "MemoryStore",
    "Outcome",
    "Store",
    "StoreError",
    "UnitOfWork",
]

MAX_TRANSACTION_ITEMS = 100
RETRYABLE_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


class StoreError(MessagingError):
    """The store could not commit; the messages stay unacknowledged and come back."""


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"


@dataclass
class UnitOfWork:
    """The effects of one event, applied all together or not at all."""

    creates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def create(self, key: str, item: Mapping[str, Any]) -> None:
        """Create `item` under `key`, unless an item with that key already exists."""
        if key in self.creates:
            raise StoreError(f"one event creates {key!r} twice")
        self.creates[key] = dict(item)


class Store(Protocol):
    """What the worker needs from a service's store."""

    key: str
    requests: int  # commit requests made so far (the store's share of the bill)

    def commit(self, units: Sequence[UnitOfWork]) -> list[Outcome]: ...


def _split_duplicates_in_batch(units: Sequence[UnitOfWork]) -> list[bool]:
    """A key created by an earlier unit of the same batch makes a later unit a duplicate."""
    seen: set[str] = set()
    duplicate = []
    for unit in units:
        keys = set(unit.creates)
        duplicate.append(bool(keys & seen))
        if not duplicate[-1]:
            seen |= keys
    return duplicate


@dataclass
class MemoryStore:
    """A dict with the store's semantics; `items` is inspectable by tests."""

    key: str = "consumer_id"
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def commit(self, units: Sequence[UnitOfWork]) -> list[Outcome]:
        with self._lock:
            self.requests += 1
            outcomes = []
            for unit in units:
                if any(key in self.items for key in unit.creates):
                    outcomes.append(Outcome.DUPLICATE)
                    continue
                stored_at = self.clock().isoformat()
                for key, item in unit.creates.items():
                    self.items[key] = {**item, self.key: key, "stored_at": stored_at}
                outcomes.append(Outcome.APPLIED)
            return outcomes


def _chunks(indexes: list[int], units: Sequence[UnitOfWork]) -> Iterator[list[int]]:
    """Groups of whole units whose items fit one transaction."""
    chunk: list[int] = []
    size = 0
    for index in indexes:
        items = len(units[index].creates)
        if items > MAX_TRANSACTION_ITEMS:
            raise StoreError(f"one event creates {items} items; a transaction holds 100")
        if size + items > MAX_TRANSACTION_ITEMS:
            yield chunk
            chunk, size = [], 0
        chunk.append(index)
        size += items
    if chunk:
        yield chunk


@dataclass
class DynamoStore:
    """A DynamoDB table written with conditional transactions."""

    client: DynamoDBClient
    table: str
    key: str = "consumer_id"
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    max_attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    _serializer: TypeSerializer = field(default_factory=TypeSerializer, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def commit(self, units: Sequence[UnitOfWork]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(units)
        in_batch_duplicates = _split_duplicates_in_batch(units)
        pending = [i for i, dup in enumerate(in_batch_duplicates) if not dup]
        for i, dup in enumerate(in_batch_duplicates):
            if dup:
                outcomes[i] = Outcome.DUPLICATE
        for chunk in _chunks(pending, units):
            for index, outcome in self._commit_chunk(chunk, units).items():
                outcomes[index] = outcome
        return [outcome or Outcome.APPLIED for outcome in outcomes]

    def count(self) -> int:
        """Items in the table (a paginated COUNT scan: exact, unlike DescribeTable)."""
        total = 0
        for page in self.client.get_paginator("scan").paginate(
            TableName=self.table, Select="COUNT"
        ):
            total += page["Count"]
        return total

    def _commit_chunk(self, chunk: list[int], units: Sequence[UnitOfWork]) -> dict[int, Outcome]:
        """Commit whole units; drop those a cancellation names as duplicates, and retry."""
        outcomes: dict[int, Outcome] = {}
        remaining = list(chunk)
        for attempt in range(1, self.max_attempts + 1):
            owners = [i for i in remaining for _ in units[i].creates]
            try:
                self._transact(remaining, units)
            except ClientError as error:
                codes = self._cancellation_codes(error)
                duplicates = {
                    owners[n] for n, code in enumerate(codes) if code == "ConditionalCheckFailed"
                }
                outcomes.update(dict.fromkeys(duplicates, Outcome.DUPLICATE))
                remaining = [i for i in remaining if i not in duplicates]
                if not remaining:
                    return outcomes
                if RETRYABLE_REASONS & set(codes):
                    self.sleep(min(2.0, 0.05 * 2**attempt) * random.random())  # noqa: S311
                continue
            outcomes.update(dict.fromkeys(remaining, Outcome.APPLIED))
            return outcomes
        raise StoreError(
            f"{self.table}: transaction still conflicting after {self.max_attempts} attempts"
        )

    def _transact(self, indexes: list[int], units: Sequence[UnitOfWork]) -> None:
        stored_at = self.clock().isoformat()
        items = [
            self._put(key, item, stored_at)
            for i in indexes
            for key, item in units[i].creates.items()
        ]
        with self._lock:
            self.requests += 1
        self.client.transact_write_items(TransactItems=items)

    def _cancellation_codes(self, error: ClientError) -> list[str]:
        """Per-item reason codes of a cancelled transaction; anything else is a StoreError."""
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise StoreError(f"{self.table}: transaction failed: {error}") from error
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
        codes = [str(reason.get("Code") or "None") for reason in reasons]
        unexpected = set(codes) - RETRYABLE_REASONS - {"ConditionalCheckFailed", "None"}
        if unexpected:
            raise StoreError(
                f"{self.table}: transaction cancelled: {sorted(unexpected)}"
            ) from error
        return codes

    def _put(self, key: str, item: Mapping[str, Any], stored_at: str) -> TransactWriteItemTypeDef:
        document = {**item, self.key: key, "stored_at": stored_at}
        return {
            "Put": {
                "TableName": self.table,
                "Item": {k: self._serializer.serialize(v) for k, v in document.items()},
                "ConditionExpression": "attribute_not_exists(#key)",
                "ExpressionAttributeNames": {"#key": self.key},
            }
        }
