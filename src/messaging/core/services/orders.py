"""Orders: keeps the profile of every consumer who may place orders."""

from __future__ import annotations

from messaging.core.events import ConsumerCreated
from messaging.store import UnitOfWork

__all__ = ["handle"]


def handle(event: ConsumerCreated, store: UnitOfWork) -> None:
    """Store the consumer's profile, once per consumer (a redelivery changes nothing)."""
    consumer = event.data
    store.create(
        str(consumer.consumer_id),
        {
            "name": consumer.name,
            "email": consumer.email,
            "phone": consumer.phone,
            "address": consumer.address.model_dump(mode="json", exclude_none=True),
            "created_at": consumer.created_at.isoformat(),
            "event_id": str(event.event_id),
            "occurred_at": event.occurred_at.isoformat(),
        },
    )
