"""Payments: opens a payment account for every new consumer.

The account id is derived from the consumer id (UUIDv5), so a redelivered event, or a
replay after a crash, names the same account instead of opening a second one.
"""

from __future__ import annotations

import uuid
from typing import Final

from messaging.core.events import ConsumerCreated
from messaging.store import UnitOfWork

__all__ = ["ACCOUNT_NAMESPACE", "account_id", "currency_for", "handle"]

ACCOUNT_NAMESPACE: Final = uuid.UUID("6f1d3c0e-8a4b-5b7e-9c2d-4e5f6a7b8c9d")
DEFAULT_CURRENCY: Final = "USD"
CURRENCY_BY_COUNTRY: Final = {
    "US": "USD", "BR": "BRL", "GB": "GBP", "JP": "JPY", "CA": "CAD", "AU": "AUD",
    "IN": "INR", "MX": "MXN", "CH": "CHF", "CN": "CNY",
    **dict.fromkeys(
        ("DE", "FR", "ES", "IT", "NL", "PT", "IE", "AT", "BE", "FI", "GR"), "EUR"
    ),
}  # fmt: skip


def account_id(consumer_id: uuid.UUID) -> str:
    return f"acct_{uuid.uuid5(ACCOUNT_NAMESPACE, str(consumer_id)).hex}"


def currency_for(country: str) -> str:
    return CURRENCY_BY_COUNTRY.get(country.upper(), DEFAULT_CURRENCY)


def handle(event: ConsumerCreated, store: UnitOfWork) -> None:
    """Open the consumer's account: active, zero balance, in the currency of their country."""
    consumer = event.data
    store.create(
        str(consumer.consumer_id),
        {
            "account_id": account_id(consumer.consumer_id),
            "status": "active",
            "balance_minor_units": 0,
            "currency": currency_for(consumer.address.country),
            "opened_at": event.occurred_at.isoformat(),
            "event_id": str(event.event_id),
            "occurred_at": event.occurred_at.isoformat(),
        },
    )
