"""The orders handler: one event, one in-memory store."""

from __future__ import annotations

from messaging.core.services import orders
from messaging.store import MemoryStore, Outcome, UnitOfWork
from tests.support import make_event


def test_stores_the_consumer_profile_keyed_by_consumer_id() -> None:
    event = make_event(1)
    unit = UnitOfWork()
    orders.handle(event, unit)
    [(key, item)] = unit.creates.items()
    assert key == str(event.data.consumer_id)
    assert item["name"] == "Consumer 1"
    assert item["email"] == "consumer1@example.org"
    assert item["address"] == {
        "street": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    assert item["event_id"] == str(event.event_id)
    assert item["created_at"] == "2026-11-28T12:00:01+00:00"


def test_a_redelivered_event_changes_nothing_and_is_a_duplicate() -> None:
    store = MemoryStore()
    units = []
    for _ in range(2):
        unit = UnitOfWork()
        orders.handle(make_event(1), unit)
        units.append(unit)
    assert store.commit(units[:1]) == [Outcome.APPLIED]
    before = dict(store.items)
    assert store.commit(units[1:]) == [Outcome.DUPLICATE]
    assert store.items == before
