"""Store semantics shared by MemoryStore and DynamoStore (the latter over HTTP)."""

from __future__ import annotations

import pytest

from messaging.store import MemoryStore, Outcome, StoreError, UnitOfWork


def unit(*keys: str) -> UnitOfWork:
    work = UnitOfWork()
    for key in keys:
        work.create(key, {"value": key})
    return work


def test_units_apply_whole_or_are_duplicates() -> None:
    store = MemoryStore()
    assert store.commit([unit("a"), unit("b", "c")]) == [Outcome.APPLIED, Outcome.APPLIED]
    assert store.commit([unit("c", "d"), unit("e")]) == [Outcome.DUPLICATE, Outcome.APPLIED]
    assert set(store.items) == {"a", "b", "c", "e"}  # "d" was not half-applied


def test_a_key_twice_in_one_batch_applies_once() -> None:
    store = MemoryStore()
    assert store.commit([unit("a"), unit("a")]) == [Outcome.APPLIED, Outcome.DUPLICATE]


def test_items_record_their_key_and_when_they_were_stored() -> None:
    store = MemoryStore()
    store.commit([unit("a")])
    assert store.items["a"]["consumer_id"] == "a"
    assert "stored_at" in store.items["a"]


def test_one_event_creating_a_key_twice_is_a_bug() -> None:
    work = unit("a")
    with pytest.raises(StoreError, match="twice"):
        work.create("a", {})
