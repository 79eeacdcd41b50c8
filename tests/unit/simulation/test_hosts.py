"""What a Lambda host adds to the bill: the functions' lines and the mappings' polling."""

from __future__ import annotations

import json
from typing import Any

import pytest

from messaging.core.services import SERVICES
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings
from messaging.simulation.hosts import LambdaHost

REPORT = (
    "REPORT RequestId: r1\tDuration: 10.00 ms\tBilled Duration: 1000 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 40 MB"
)
LINE = json.dumps(
    {
        "type": "messaging.batch",
        "records": 2,
        "applied": 2,
        "aws_usage": {"dynamodb:PutItem": {"requests": 2, "write_units": 2}},
    }
)


def _outputs() -> dict[str, str]:
    """The stack outputs a Lambda host reads: each service's function and queue."""
    outputs = {}
    for spec in SERVICES.values():
        outputs[spec.function_output] = f"{spec.name}-service"
        outputs[spec.queue_output] = f"http://127.0.0.1:1/000000000000/{spec.name}"
    return outputs


def test_the_functions_units_and_the_mappings_sqs_requests_are_billed() -> None:
    outputs = _outputs()
    aws = Aws(
        Settings(endpoint_url="http://127.0.0.1:1", region="us-east-1"),
        placeholder_credentials=("test", "test"),
    )
    # The local runtime counts bare operations; an endpoint may also say "sqs:...".
    polled = {
        "orders-service": {"ReceiveMessage": 3},
        "payments-service": {"sqs:ReceiveMessage": 4},
    }
    host = LambdaHost(SERVICES.values(), outputs, aws, mapping_meter=polled.get)
    for activity in host.activity.values():
        activity.add(0, REPORT)
        activity.add(0, LINE)
    usage, extras = host.billing()
    assert usage["sqs:ReceiveMessage"].requests == 7
    assert usage["dynamodb:PutItem"].write_units == 4
    assert extras.lambda_invocations == 2
    assert extras.lambda_gb_seconds == pytest.approx(2 * 1.0 * 0.5)
    assert extras.log_bytes == 2 * (len(REPORT) + len(LINE))


class _Clients:
    """A session whose clients answer what the host asks: no logs, every function exists."""

    def client(self, service: str) -> object:
        return self

    def filter_log_events(self, **_: object) -> dict[str, list[object]]:
        return {"events": []}

    def get_function(self, **_: object) -> dict[str, object]:
        return {}


def test_a_run_is_charged_only_the_polling_its_mappings_did_after_it_started() -> None:
    # The mappings count from their creation; an earlier run on the stack left counts.
    outputs = _outputs()
    polled: dict[str, dict[str, int]] = {
        "orders-service": {"ReceiveMessage": 300, "DeleteMessageBatch": 250},
        "payments-service": {"ReceiveMessage": 310},
    }
    session: Any = _Clients()
    host = LambdaHost(SERVICES.values(), outputs, session, interval=3600, mapping_meter=polled.get)
    host.start()
    polled["orders-service"] = {"ReceiveMessage": 320, "DeleteMessageBatch": 260}
    # Replaced during the run: the new mapping counts from 0 again, taken as it is.
    polled["payments-service"] = {"ReceiveMessage": 7, "ChangeMessageVisibilityBatch": 1}
    host.stop()
    assert host.requests() == {
        "orders": 0,
        "payments": 0,
        "orders-mapping": 30,
        "payments-mapping": 8,
    }
    usage, _ = host.billing()
    assert usage["sqs:ReceiveMessage"].requests == 20 + 7
    assert usage["sqs:DeleteMessageBatch"].requests == 10
    assert host.mappings_metered


def test_a_mapping_unread_at_the_start_is_not_metered() -> None:
    outputs = _outputs()
    polled: dict[str, dict[str, int]] = {"orders-service": {"ReceiveMessage": 3}}
    session: Any = _Clients()
    host = LambdaHost(SERVICES.values(), outputs, session, interval=3600, mapping_meter=polled.get)
    host.start()
    polled["payments-service"] = {"ReceiveMessage": 5}  # readable only later: not this run's
    host.stop()
    assert host.requests() == {"orders": 0, "payments": 0, "orders-mapping": 0}
    assert not host.mappings_metered


def test_requests_and_billing_read_each_mapping_once_after_the_run_and_agree() -> None:
    outputs = _outputs()
    polled = {"orders-service": {"ReceiveMessage": 1}, "payments-service": {"ReceiveMessage": 2}}
    reads: list[str] = []

    def meter(function: str) -> dict[str, int]:
        reads.append(function)
        return dict(polled[function])

    session: Any = _Clients()
    host = LambdaHost(SERVICES.values(), outputs, session, interval=3600, mapping_meter=meter)
    host.start()
    host.stop()
    polled["orders-service"] = {"ReceiveMessage": 11}
    assert host.requests()["orders-mapping"] == 10
    polled["orders-service"] = {"ReceiveMessage": 50}  # idle polls after the reading
    usage, _ = host.billing()
    assert usage["sqs:ReceiveMessage"].requests == 10
    assert sorted(reads) == sorted(2 * ["orders-service", "payments-service"])
