"""The one runner: each service finds its own resources; one stalled worker stops them all."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerStalledError, WorkerStats
from messaging.core.services import SERVICES, ServiceError

OUTPUTS = {
    "OrdersQueueUrl": "https://sqs/orders",
    "OrdersDlqUrl": "https://sqs/orders-dlq",
    "OrdersTableName": "orders-consumers",
    "PaymentsQueueUrl": "https://sqs/payments",
    "PaymentsDlqUrl": "https://sqs/payments-dlq",
    "PaymentsTableName": "payments-accounts",
}


class Session:
    """Clients are only made, never called, until a worker runs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def sqs(self) -> Any:
        return object()

    def dynamodb(self) -> Any:
        return object()


def test_each_service_resolves_its_own_queue_and_table() -> None:
    runner = Runner(SERVICES.values(), OUTPUTS, Session)
    wired = {run.name: (run.session.name, run.worker.queue_url) for run in runner.runs}
    assert wired == {
        "orders": ("orders", "https://sqs/orders"),
        "payments": ("payments", "https://sqs/payments"),
    }
    assert [run.worker.store.table for run in runner.runs] == [  # type: ignore[attr-defined]
        "orders-consumers",
        "payments-accounts",
    ]


def test_a_missing_output_fails_before_anything_runs() -> None:
    outputs = {k: v for k, v in OUTPUTS.items() if k != "PaymentsTableName"}
    with pytest.raises(ServiceError, match="no output PaymentsTableName"):
        Runner(SERVICES.values(), outputs, Session)


def test_a_stalled_worker_stops_the_others_and_its_error_is_kept() -> None:
    runner = Runner(SERVICES.values(), OUTPUTS, Session)
    stopped = threading.Event()

    def stall(stop: threading.Event | None = None) -> WorkerStats:
        raise WorkerStalledError("cannot make progress")

    def until_stopped(stop: threading.Event | None = None) -> WorkerStats:
        assert stop is not None
        assert stop.wait(10)  # the runner stops it gracefully
        stopped.set()
        return WorkerStats()

    runner.runs[0].worker.run = stall  # type: ignore[method-assign]
    runner.runs[1].worker.run = until_stopped  # type: ignore[method-assign]
    runner.run()
    assert stopped.is_set()
    assert runner.errors == ["orders: cannot make progress"]
    assert not runner.alive
