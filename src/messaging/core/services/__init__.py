"""The services: each is `handle(event, store)`, a plain function, and nothing else.

Plumbing (polling, decoding, committing, acknowledging) lives in `messaging.consumer.worker`;
idempotency lives in `messaging.store`. A handler can be tested with one event and a
`UnitOfWork`. `SERVICES` says where each service finds its queue, DLQ and table among
the stack outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from messaging.core.events import ConsumerCreated
from messaging.core.services import orders, payments
from messaging.store import UnitOfWork

__all__ = ["SERVICES", "Handler", "Service"]

Handler = Callable[[ConsumerCreated, UnitOfWork], None]


@dataclass(frozen=True)
class Service:
    name: str
    handle: Handler
    queue_output: str
    dlq_output: str
    table_output: str


SERVICES: Final = {
    "orders": Service("orders", orders.handle, "OrdersQueueUrl", "OrdersDlqUrl",
                      "OrdersTableName"),
    "payments": Service("payments", payments.handle, "PaymentsQueueUrl", "PaymentsDlqUrl",
                        "PaymentsTableName"),
}  # fmt: skip
