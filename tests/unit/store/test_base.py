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


class Each(Scripted):
    """Writes one-item units in independent batches (as DynamoDB does, for its bill and its
    requests); `each_answer` gives each item's code (None: created)."""

    write_each = True

    def __init__(self, each_answer: Callable[[str], str | None], **options: Any) -> None:
        super().__init__(lambda _: None, **options)
        self.each_answer = each_answer
        self.batches: list[list[str]] = []

    def _create_each(self, items: list[str]) -> list[str | None]:
        self.batches.append(list(items))
        codes = [self.each_answer(item) for item in items]
        self.created += [item for item, code in zip(items, codes, strict=True) if code is None]
        return codes


def test_one_item_units_go_25_to_a_batch_and_bigger_units_to_a_transaction() -> None:
    store = Each(lambda item: EXISTS if item == "b" else None)
    pair = UnitOfWork()
    pair.create("p1", {"value": "p1"})
    pair.create("p2", {"value": "p2"})
    singles = [f"s{n}" for n in range(30)]
    results = store.commit([*units("a", "b"), pair, *units(*singles)])
    assert results == [Outcome.APPLIED, Outcome.DUPLICATE] + [Outcome.APPLIED] * 31
    assert [len(batch) for batch in store.batches] == [25, 7]  # a, b and 30 singles
    assert store.calls == [["p1", "p2"]]  # the two-item unit stays atomic
    assert sorted(store.created) == sorted(["a", "p1", "p2", *singles])


def test_each_item_is_settled_by_its_own_code() -> None:
    codes = {
        "dup": EXISTS,
        "bad": "ValidationError",
        "gone": "ResourceNotFound",
        "denied": "AccessDenied",
    }
    results = Each(codes.get).commit(units("ok", "dup", "bad", "gone", "denied"))
    assert results[:2] == [Outcome.APPLIED, Outcome.DUPLICATE]
    bad, gone, denied = results[2:]
    assert isinstance(bad, CommitFailure)
    assert not bad.dependency  # poison: the unit's own fault
    assert "ValidationError" in bad.reason
    assert isinstance(gone, CommitFailure)
    assert gone.dependency  # an outage, not the unit's fault
    assert isinstance(denied, CommitFailure)
    assert denied.dependency


def test_throttled_items_alone_are_sent_again_within_the_bound() -> None:
    throttled = iter(["ThrottlingError", "ProvisionedThroughputExceeded", None])
    store = Each(lambda item: next(throttled) if item == "t" else None)
    assert store.commit(units("a", "t", "b")) == [Outcome.APPLIED] * 3
    assert store.batches == [["a", "t", "b"], ["t"], ["t"]]  # only the throttled one again
    assert len(store.sleeps) == 2

    always = Each(lambda item: "RequestLimitExceeded", attempts=3)
    results = always.commit(units("x"))
    assert isinstance(results[0], CommitFailure)
    assert results[0].dependency
    assert "after 3 attempts" in results[0].reason
    assert len(always.batches) == 3


def test_a_whole_batch_refused_as_invalid_is_bisected_to_the_unit_at_fault() -> None:
    class Refusing(Each):
        def _create_each(self, items: list[str]) -> list[str | None]:
            if "x" in items:
                self.batches.append(list(items))
                raise client_error("ValidationException")
            return super()._create_each(items)

    store = Refusing(lambda _: None)
    results = store.commit(units("a", "x", "b", "c"))
    assert isinstance(results[1], CommitFailure)
    assert not results[1].dependency
    assert [results[0], *results[2:]] == [Outcome.APPLIED] * 3
    assert sorted(store.created) == ["a", "b", "c"]


def test_a_whole_batch_that_fails_for_the_store_is_an_outage_of_its_units() -> None:
    class Down(Each):
        def _create_each(self, items: list[str]) -> list[str | None]:
            self.batches.append(list(items))
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    store = Down(lambda _: None)
    results = store.commit(units("a", "b"))
    assert all(isinstance(r, CommitFailure) and r.dependency for r in results)
    assert store.batches == [["a", "b"]]  # no bisection for an outage


def test_the_default_create_each_sends_each_item_as_a_transaction_of_one() -> None:
    class Default(Scripted):
        write_each = True

    store = Default(lambda items: [EXISTS] if items == ["b"] else None)
    assert store.commit(units("a", "b")) == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert store.calls == [["a"], ["b"]]
