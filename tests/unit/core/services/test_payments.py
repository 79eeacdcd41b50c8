"""The payments handler opens one deterministic account per consumer."""

from __future__ import annotations

import pytest

from messaging.core.services import payments
from messaging.store import MemoryStore, Outcome, UnitOfWork
from tests.support import make_event


def opened(country: str = "US") -> dict[str, object]:
    unit = UnitOfWork()
    payments.handle(make_event(7, country=country), unit)
    [item] = unit.creates.values()
    return item


def test_opens_an_active_empty_account() -> None:
    account = opened()
    assert account["status"] == "active"
    assert account["balance_minor_units"] == 0
    assert account["currency"] == "USD"
    assert account["event_id"] == str(make_event(7).event_id)


def test_account_id_is_derived_from_the_consumer_so_replays_name_the_same_account() -> None:
    first, second = opened()["account_id"], opened()["account_id"]
    assert first == second == payments.account_id(make_event(7).data.consumer_id)
    assert first != payments.account_id(make_event(8).data.consumer_id)
    assert str(first).startswith("acct_")


@pytest.mark.parametrize(
    ("country", "currency"),
    [("BR", "BRL"), ("DE", "EUR"), ("FR", "EUR"), ("GB", "GBP"), ("JP", "JPY"), ("ZZ", "USD")],
)
def test_currency_follows_the_country(country: str, currency: str) -> None:
    assert opened(country)["currency"] == currency


def test_duplicate_opens_nothing() -> None:
    store = MemoryStore()
    unit, again = UnitOfWork(), UnitOfWork()
    payments.handle(make_event(7), unit)
    payments.handle(make_event(7), again)
    assert store.commit([unit, again]) == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert len(store.items) == 1
