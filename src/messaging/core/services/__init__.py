"""The services: each is `handle(event, store)`, a plain function, and nothing else.

Plumbing (decoding, committing, classifying) lives in `messaging.consumer.batch`, the
shells around it (a long-running worker, a Lambda function) in `messaging.consumer`;
idempotency lives in `messaging.store`. A handler can be tested with one event and a
`UnitOfWork`. Each `Service` resolves its own queue, DLQ and table from the stack
outputs, which are the only way the code finds resources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from messaging.core.events import ConsumerCreated
from messaging.core.services import orders, payments
from messaging.errors import MessagingError
from messaging.store import UnitOfWork

__all__ = ["SERVICES", "Handler", "Resources", "Service", "ServiceError"]

Handler = Callable[[ConsumerCreated, UnitOfWork], None]


class ServiceError(MessagingError):
    """A service cannot find its resources among the stack outputs."""


@dataclass(frozen=True)
class Resources:
    """Where one service reads and writes."""

    queue_url: str
    dlq_url: str
    table: str


@dataclass(frozen=True)
class Service:
    name: str
    handle: Handler
    queue_output: str
    dlq_output: str
    table_output: str
    function_output: str  # present only when the stack runs the services on Lambda

    def resources(self, outputs: Mapping[str, str]) -> Resources:
        """This service's queue, DLQ and table, from the stack outputs."""
        wanted = (self.queue_output, self.dlq_output, self.table_output)
        if missing := [name for name in wanted if not outputs.get(name)]:
            raise ServiceError(
                f"{self.name}: the stack has no output {', '.join(missing)}; "
                "deploy the current template (messaging deploy)"
            )
        return Resources(
            outputs[self.queue_output], outputs[self.dlq_output], outputs[self.table_output]
        )


SERVICES: Final = {
    "orders": Service("orders", orders.handle, "OrdersQueueUrl", "OrdersDlqUrl",
                      "OrdersTableName", "OrdersFunctionName"),
    "payments": Service("payments", payments.handle, "PaymentsQueueUrl", "PaymentsDlqUrl",
                        "PaymentsTableName", "PaymentsFunctionName"),
}  # fmt: skip
