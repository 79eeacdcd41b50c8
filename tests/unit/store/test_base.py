"""The idempotency outline against a scripted backend: what it decides, and what it costs.

The contract both real backends share is in tests/integration/test_store_contract.py;
here a backend whose answers the test scripts shows how the outline classifies
failures, isolates the unit at fault and bounds its retries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from messaging.core.retry import EntryRetry
from messaging.store import CommitFailure, IdempotentStore, Outcome, UnitOfWork
from messaging.store.base import EXISTS, NO_REASON

Answer = Callable[[list[str]], list[str] | None]


class Scripted(IdempotentStore[str]):
    """Items are their keys; `answer` decides each transaction (it may raise)."""

    def __init__(self, answer: Answer, *, attempts: int = 4) -> None:
        self.sleeps: list[float] = []
        super().__init__(retry=EntryRetry(attempts=attempts, sleep=self.sleeps.append))
        self.answer = answer
        self.calls: list[list[str]] = []
        self.created: list[str] = []

    def _prepare(self, key: str, document: Mapping[str, Any]) -> str:
        if isinstance(document.get("value"), float):
            raise TypeError("Float types are not supported. Use Decimal types instead.")
        return key

    def _create_all(self, items: list[str]) -> list[str] | None:
        self.calls.append(list(items))
        codes = self.answer(items)
        if codes is None:
            self.created += items
        return codes


def units(*keys: str) -> list[UnitOfWork]:
    made = []
    for key in keys:
        unit = UnitOfWork()
        unit.create(key, {"value": key})
        made.append(unit)
    return made


def client_error(code: str, status: int = 400) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}}
    response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return ClientError(response, "TransactWriteItems")


def test_a_transaction_per_100_items_and_nothing_else_when_all_goes_well() -> None:
    store = Scripted(lambda _: None)
    assert store.commit(units(*map(str, range(250)))) == [Outcome.APPLIED] * 250
    assert [len(call) for call in store.calls] == [100, 100, 50]
    assert store.sleeps == []


def test_existing_keys_are_duplicates_and_the_rest_is_committed_in_one_more_call() -> None:
    existing = {"b", "d"}

    def answer(items: list[str]) -> list[str] | None:
        codes = [EXISTS if key in existing else NO_REASON for key in items]
        return codes if EXISTS in codes else None

    store = Scripted(answer)
    results = store.commit(units("a", "b", "c", "d"))
    assert results == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE]
    assert store.calls == [["a", "b", "c", "d"], ["a", "c"]]


def test_transient_cancellations_are_retried_within_the_bound_then_are_a_dependency_failure() -> (
    None
):
    store = Scripted(lambda items: ["TransactionConflict"] * len(items), attempts=3)
    results = store.commit(units("a", "b"))
    assert all(isinstance(r, CommitFailure) and r.dependency for r in results)
    assert len(store.calls) == 3  # the bound, not one more
    assert len(store.sleeps) == 2  # jittered back-off between attempts
    assert all(0 <= pause <= store.retry.cap for pause in store.sleeps)


def test_a_throttled_or_unreachable_store_is_an_outage_of_every_unit_without_bisecting() -> None:
    for error in (
        client_error("ProvisionedThroughputExceededException"),
        client_error("InternalServerError", 500),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        client_error("AccessDeniedException"),  # not transient, but not about the units
        client_error("ResourceNotFoundException"),
    ):

        def fail(_: list[str], error: Exception = error) -> list[str] | None:
            raise error

        store = Scripted(fail)
        results = store.commit(units(*"abcdefgh"))
        assert all(isinstance(r, CommitFailure) and r.dependency for r in results), error
        assert len(store.calls) == 1


@pytest.mark.parametrize(
    "error", [client_error("ValidationException"), TypeError("a bug in the backend")]
)
def test_an_error_one_unit_causes_is_isolated_and_the_others_are_committed(
    error: Exception,
) -> None:
    def answer(items: list[str]) -> list[str] | None:
        if "bad" in items:
            raise error
        return None

    keys = [*"abcdefg", "bad", *"hijklmn"]
    store = Scripted(answer)
    results = store.commit(units(*keys))
    bad = results[keys.index("bad")]
    assert isinstance(bad, CommitFailure)
    assert not bad.dependency
    assert [r for k, r in zip(keys, results, strict=True) if k != "bad"] == [Outcome.APPLIED] * 14
    assert sorted(store.created) == sorted(k for k in keys if k != "bad")
    assert len(store.calls) <= 2 * 4 + 1  # about 2 log2(n): halves, then quarters...


def test_an_item_the_backend_cannot_hold_fails_its_unit_before_any_call() -> None:
    store = Scripted(lambda _: None)
    floaty = UnitOfWork()
    floaty.create("f", {"value": 1.5})
    results = store.commit([*units("a"), floaty, *units("b")])
    assert results[0] == results[2] == Outcome.APPLIED
    assert isinstance(results[1], CommitFailure)
    assert not results[1].dependency
    assert "Float types are not supported" in results[1].reason
    assert store.calls == [["a", "b"]]


def test_an_item_rejected_in_a_cancellation_fails_its_unit_alone() -> None:
    def answer(items: list[str]) -> list[str] | None:
        if "big" in items:
            return ["ItemCollectionSizeLimitExceeded" if k == "big" else NO_REASON for k in items]
        return None

    store = Scripted(answer)
    results = store.commit(units("a", "big", "b"))
    assert results[0] == results[2] == Outcome.APPLIED
    assert isinstance(results[1], CommitFailure)
    assert not results[1].dependency
    assert store.calls == [["a", "big", "b"], ["a", "b"]]


def test_a_later_unit_creating_the_same_key_follows_the_first() -> None:
    store = Scripted(lambda _: None)
    assert store.commit(units("a", "a")) == [Outcome.APPLIED, Outcome.DUPLICATE]

    def throttled(_: list[str]) -> list[str] | None:
        raise client_error("ThrottlingException")

    failing = Scripted(throttled)
    first, second = failing.commit(units("a", "a"))
    assert isinstance(first, CommitFailure)
    assert second == first  # not a duplicate of an effect that was never applied


def test_a_unit_with_nothing_to_create_is_applied_without_a_call() -> None:
    store = Scripted(lambda _: None)
    assert store.commit([UnitOfWork()]) == [Outcome.APPLIED]
    assert store.calls == []


def test_a_unit_too_big_for_one_transaction_fails_alone() -> None:
    store = Scripted(lambda _: None)
    huge = UnitOfWork()
    for n in range(101):
        huge.create(f"k{n}", {"value": n})
    results = store.commit([huge, *units("a")])
    assert isinstance(results[0], CommitFailure)
    assert "a transaction holds 100" in results[0].reason
    assert results[1] == Outcome.APPLIED


class Single(Scripted):
    """Writes one-item units singly (as DynamoDB does, for its bill); records which path."""

    write_singly = True

    def __init__(self, answer: Answer, **options: Any) -> None:
        super().__init__(answer, **options)
        self.singles: list[str] = []

    def _create_one(self, item: str) -> list[str] | None:
        self.singles.append(item)
        return super()._create_one(item)  # the default: a list of one to `_create_all`


def test_written_singly_one_item_units_take_a_call_each_and_bigger_units_a_transaction() -> None:
    store = Single(lambda items: [EXISTS] if items == ["b"] else None)
    pair = UnitOfWork()
    pair.create("p1", {"value": "p1"})
    pair.create("p2", {"value": "p2"})
    results = store.commit([*units("a", "b"), pair, *units("c")])
    assert results == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.APPLIED]
    assert sorted(store.singles) == ["a", "b", "c"]  # sent at once, in any order
    assert ["p1", "p2"] in store.calls  # the two-item unit stays atomic
    assert sorted(store.created) == ["a", "c", "p1", "p2"]


def test_written_singly_a_transient_refusal_is_retried_and_an_outage_fails_only_its_unit() -> None:
    answers = iter([["TransactionConflict"], None])
    store = Single(lambda items: next(answers) if items == ["a"] else None)
    assert store.commit(units("a", "b")) == [Outcome.APPLIED, Outcome.APPLIED]
    assert sorted(store.singles) == ["a", "a", "b"]

    def down(items: list[str]) -> list[str] | None:
        if items == ["x"]:
            raise client_error("ValidationException")
        return None

    results = Single(down).commit(units("x", "y"))
    assert isinstance(results[0], CommitFailure)
    assert not results[0].dependency
    assert results[1] == Outcome.APPLIED
