"""The idempotency algorithm, written once; a backend implements two primitives.

SQS delivers at least once, so a service sees some events twice. A handler does not
write; it records in a `UnitOfWork` the items it wants created ("unless they exist").
`IdempotentStore.commit` takes the units of many messages and answers per unit:
APPLIED, DUPLICATE (an item already existed; nothing changed), or a `CommitFailure`.
The model is Powertools' `BasePersistenceLayer`: the outline owns the algorithm, and a
backend (`DynamoStore`, `MemoryStore`) implements only

- `_prepare(key, document)`: the item in the backend's form; raising here means this
  unit cannot be stored (a float for DynamoDB), and fails this unit alone;
- `_create_all(items)`: create every item atomically unless any key exists; return None
  when committed, or one cancellation code per item (DynamoDB's vocabulary:
  `ConditionalCheckFailed` for an existing key, `None` for an item cancelled because of
  another, `TransactionConflict` and the throttling codes for transient trouble); raise
  when the whole call failed.

and may override a third, `_create_each(items)`: create each item unless its key
exists, each on its own (no atomicity across items), answering one code per item: None
when created, `ConditionalCheckFailed` when the key existed, another code for an item
that failed (the default calls `_create_all` once per item). A backend that has such a
batch call, cheaper than a transaction, sets `write_each`: units of one item are then
committed `max_each` at a time through `_create_each`, and only units of several items
take transactions. On DynamoDB that is `BatchExecuteStatement` with PartiQL `INSERT`:
25 per request, 1 write unit per KiB each, where a transaction's put bills 2 (issue #20)
and a conditional PutItem per item cost a request per event and service (issue #21).

The algorithm:

- a key created by an earlier unit of the same commit makes the later unit a duplicate
  of it (and it fails if the earlier one fails);
- every stored item records its key, and when it was stored (`stored_at`);
- units are grouped, whole, into transactions of at most `max_items` items (with
  `write_each`, units of one item are grouped apart, `max_each` to a `_create_each`);
- a cancelled transaction names the existing keys: those units are duplicates, units
  with an item the backend rejected fail alone, and the rest is committed again;
  transient cancellations are retried by `EntryRetry` (bounded, jittered back-off);
- an item of `_create_each` that failed alone is settled by its code: existing key =
  duplicate; transient (`core.retry.is_transient_code`: throttling, conflicts, a
  server error) = sent again by `EntryRetry`; a missing table or denied access = an
  outage of that unit; anything else (a `ValidationError`) = that unit's fault;
- a whole call that fails with what botocore calls transient (after its own retries),
  or with an AWS error that is not about the request (access denied, no such table), is
  a dependency failure of every unit in it: an outage, not the units' fault;
- any other exception (a request DynamoDB refuses as invalid, a bug in a backend) is
  isolated by committing the two halves apart, down to the unit that fails alone; the
  others are committed. Only failing units cost the extra calls.

Known limits: a unit may create at most `max_items` items (one transaction); the
isolation of a failing unit costs up to about 2 log2(n) extra calls for n units.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Generic, TypedDict, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from messaging.core.retry import (
    EntryRetry,
    describe,
    error_code,
    is_fatal,
    is_outage_code,
    is_transient,
    is_transient_code,
)
from messaging.store.types import CommitFailure, Outcome, UnitOfWork, UnitResult

__all__ = [
    "MAX_BATCH_STATEMENTS",
    "MAX_TRANSACTION_ITEMS",
    "IdempotentStore",
    "OutlineOptions",
    "is_dependency_failure",
]

P = TypeVar("P")  # an item in the backend's own form

MAX_TRANSACTION_ITEMS: Final = 100  # DynamoDB TransactWriteItems
MAX_BATCH_STATEMENTS: Final = 25  # DynamoDB BatchExecuteStatement
EXISTS: Final = "ConditionalCheckFailed"
NO_REASON: Final = "None"  # cancelled because another item of the transaction failed
# Whole-call errors about the request itself: one unit of the transaction may be the cause.
REQUEST_FAULTS: Final = frozenset({"ValidationException", "SerializationException"})


def is_dependency_failure(error: BaseException) -> bool:
    """True when `error` means the store failed, whatever the units: an outage.

    Transient errors (botocore gave up), and AWS errors that are not about the request
    (credentials, permissions, a missing table): any unit would fail the same way.
    """
    if not isinstance(error, ClientError | BotoCoreError):
        return False
    return is_transient(error) or error_code(error) not in REQUEST_FAULTS


class OutlineOptions(TypedDict, total=False):
    """What every backend passes on to the outline (`**options: Unpack[OutlineOptions]`)."""

    key: str  # the attribute that holds an item's key
    clock: Callable[[], datetime]  # for `stored_at`
    retry: EntryRetry | None  # for transient cancellations


@dataclass
class _Ready(Generic[P]):
    """A unit whose items are prepared, waiting for its transaction."""

    index: int
    items: list[P]


class IdempotentStore(ABC, Generic[P]):
    """The outline: `commit` decides per unit; subclasses implement the two primitives."""

    max_items: int = MAX_TRANSACTION_ITEMS
    write_each: bool = False  # units of one item through `_create_each`, not transactions
    max_each: int = MAX_BATCH_STATEMENTS  # items per `_create_each` call

    def __init__(
        self,
        *,
        key: str = "consumer_id",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry: EntryRetry | None = None,
    ) -> None:
        self.key = key
        self.clock = clock
        self.retry = retry or EntryRetry()

    # -- primitives ------------------------------------------------------------------

    @abstractmethod
    def _prepare(self, key: str, document: Mapping[str, Any]) -> P:
        """`document` (its key and `stored_at` included) in the backend's form."""

    @abstractmethod
    def _create_all(self, items: list[P]) -> list[str] | None:
        """Create all atomically unless a key exists: None, or a code per item."""

    def _create_each(self, items: list[P]) -> list[str | None]:
        """Create each item unless its key exists, each alone: per item, None or a code."""
        answers = [self._create_all([item]) for item in items]
        return [None if codes is None else codes[0] for codes in answers]

    # -- the algorithm ---------------------------------------------------------------

    def commit(self, units: Sequence[UnitOfWork]) -> list[UnitResult]:
        """Apply each unit once: per unit, APPLIED, DUPLICATE or a `CommitFailure`."""
        results: list[UnitResult | None] = [None] * len(units)
        stored_at = self.clock().isoformat()
        first_creator: dict[str, int] = {}
        follows: dict[int, int] = {}  # a later unit -> the earlier unit creating its key
        ready: list[_Ready[P]] = []
        for index, unit in enumerate(units):
            if not unit.creates:
                results[index] = Outcome.APPLIED  # nothing to create: nothing can fail
                continue
            earlier = next((first_creator[k] for k in unit.creates if k in first_creator), None)
            if earlier is not None:
                follows[index] = earlier
                continue
            prepared = self._prepare_unit(unit, stored_at)
            if isinstance(prepared, CommitFailure):
                results[index] = prepared
                continue
            ready.append(_Ready(index, prepared))
            first_creator.update(dict.fromkeys(unit.creates, index))
        if self.write_each:
            singles = [unit for unit in ready if len(unit.items) == 1]
            ready = [unit for unit in ready if len(unit.items) > 1]
            for start in range(0, len(singles), self.max_each):
                self._commit_chunk(singles[start : start + self.max_each], results, each=True)
        for chunk in _chunks(ready, self.max_items):
            self._commit_chunk(chunk, results)
        for index, earlier in follows.items():
            result = results[earlier]
            results[index] = result if isinstance(result, CommitFailure) else Outcome.DUPLICATE
        return [_settled(result) for result in results]

    def _prepare_unit(self, unit: UnitOfWork, stored_at: str) -> list[P] | CommitFailure:
        if len(unit.creates) > self.max_items:
            return CommitFailure(
                f"one event creates {len(unit.creates)} items; a transaction holds "
                f"{self.max_items}",
                dependency=False,
            )
        try:
            return [
                self._prepare(key, {**item, self.key: key, "stored_at": stored_at})
                for key, item in unit.creates.items()
            ]
        except Exception as error:  # noqa: BLE001 - any failure to prepare fails this unit only
            return CommitFailure(f"cannot be stored: {describe(error)}", dependency=False)

    def _commit_chunk(
        self, chunk: list[_Ready[P]], results: list[UnitResult | None], *, each: bool = False
    ) -> None:
        """Commit whole units in one transaction (`each`: one-item units in one
        `_create_each`); isolate a unit that breaks the call."""

        def send(pending: list[_Ready[P]]) -> list[_Ready[P]]:
            items = [item for unit in pending for item in unit.items]
            if each:
                return self._resolve_each(pending, self._create_each(items), results)
            codes = self._create_all(items)
            if codes is None:
                for unit in pending:
                    results[unit.index] = Outcome.APPLIED
                return []
            return self._resolve_cancellation(pending, codes, results)

        try:
            still_failing = self.retry.run(send, chunk)
        except Exception as error:  # noqa: BLE001 - classified below, never lost
            self._after_call_failure(chunk, results, error, each=each)
            return
        for unit in still_failing:
            what = "write still throttled" if each else "transaction still cancelled"
            results[unit.index] = CommitFailure(
                f"{what} after {self.retry.attempts} attempts", dependency=True
            )

    def _resolve_cancellation(
        self, pending: list[_Ready[P]], codes: list[str], results: list[UnitResult | None]
    ) -> list[_Ready[P]]:
        """Duplicates and rejected units are settled; the rest is to be sent again."""
        if len(codes) != sum(len(unit.items) for unit in pending):
            raise RuntimeError(f"{len(codes)} cancellation reasons for the transaction's items")
        again: list[_Ready[P]] = []
        position = 0
        for unit in pending:
            reasons = set(codes[position : position + len(unit.items)])
            position += len(unit.items)
            rejected = {r for r in reasons - {EXISTS, NO_REASON} if not is_transient_code(r)}
            if EXISTS in reasons:
                results[unit.index] = Outcome.DUPLICATE
            elif rejected:
                results[unit.index] = CommitFailure(
                    f"rejected by the store: {', '.join(sorted(rejected))}", dependency=False
                )
            else:
                again.append(unit)
        return again

    def _resolve_each(
        self, pending: list[_Ready[P]], codes: list[str | None], results: list[UnitResult | None]
    ) -> list[_Ready[P]]:
        """Each one-item unit settled by its own code; the transient ones to send again."""
        if len(codes) != len(pending):
            raise RuntimeError(f"{len(codes)} answers for {len(pending)} items")
        again: list[_Ready[P]] = []
        for unit, code in zip(pending, codes, strict=True):
            if code is None:
                results[unit.index] = Outcome.APPLIED
            elif code == EXISTS:
                results[unit.index] = Outcome.DUPLICATE
            elif is_transient_code(code):
                again.append(unit)
            else:
                outage = is_outage_code(code)
                what = "store unavailable" if outage else "rejected by the store"
                results[unit.index] = CommitFailure(f"{what}: {code}", dependency=outage)
        return again

    def _after_call_failure(
        self,
        chunk: list[_Ready[P]],
        results: list[UnitResult | None],
        error: Exception,
        *,
        each: bool = False,
    ) -> None:
        open_units = [unit for unit in chunk if results[unit.index] is None]
        if not open_units:
            return
        if is_dependency_failure(error):
            failure = CommitFailure(
                f"store unavailable: {describe(error)}", dependency=True, fatal=is_fatal(error)
            )
            for unit in open_units:
                results[unit.index] = failure
            return
        if len(open_units) == 1:
            results[open_units[0].index] = CommitFailure(
                f"commit failed: {describe(error)}", dependency=False
            )
            return
        middle = len(open_units) // 2  # find the unit(s) at fault; commit the others
        self._commit_chunk(open_units[:middle], results, each=each)
        self._commit_chunk(open_units[middle:], results, each=each)


def _chunks(units: list[_Ready[P]], limit: int) -> Iterator[list[_Ready[P]]]:
    """Groups of whole units whose items fit one transaction."""
    chunk: list[_Ready[P]] = []
    size = 0
    for unit in units:
        if chunk and size + len(unit.items) > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(unit)
        size += len(unit.items)
    if chunk:
        yield chunk


def _settled(result: UnitResult | None) -> UnitResult:
    if result is None:  # every path above settles every unit; say so if one did not
        return CommitFailure("internal error: the unit was never settled", dependency=False)
    return result
