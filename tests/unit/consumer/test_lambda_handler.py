"""The Lambda shell: an SQS event in, `batchItemFailures` out, one JSON line per invocation."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from messaging.consumer import lambda_handler
from messaging.consumer.lambda_handler import EventError, Function, FunctionConfigError, records
from messaging.core.events import ConsumerCreated, encode
from messaging.core.metrics import RequestCounter
from messaging.core.services import SERVICES, orders
from messaging.store import MemoryStore, UnitOfWork
from tests.support import make_event
from tests.support.lambda_events import AWS_DOCS_MESSAGE_IDS, AWS_DOCS_SQS_EVENT, sqs_event

CONTEXT = SimpleNamespace(aws_request_id="req-1", function_name="orders")


def function(store: MemoryStore | None = None, **changes: Any) -> tuple[Function, list[str]]:
    lines: list[str] = []
    made = Function(SERVICES["orders"], store or MemoryStore(), RequestCounter(), lines.append)
    return replace(made, **changes), lines


def logged(lines: list[str]) -> dict[str, Any]:
    assert len(lines) == 1
    assert lines[0].endswith("\n")
    line: dict[str, Any] = json.loads(lines[0])
    return line


def test_the_documentation_sample_is_two_poison_messages_both_reported() -> None:
    # "Test message." is no event: both must stay on the queue (and reach the DLQ after
    # maxReceiveCount), so both are named, in order.
    run, lines = function()
    answer = run(AWS_DOCS_SQS_EVENT, CONTEXT)
    assert answer == {"batchItemFailures": [{"itemIdentifier": i} for i in AWS_DOCS_MESSAGE_IDS]}
    line = logged(lines)
    assert line["type"] == "messaging.batch"
    assert line["service"] == "orders"
    assert line["request_id"] == "req-1"
    assert (line["records"], line["poison"], line["applied"], line["failures"]) == (2, 2, 0, 2)
    assert line["aws_calls"] == {}  # nothing to commit: no call was made


def test_applied_then_redelivered_as_duplicates_and_nothing_reported() -> None:
    store = MemoryStore()
    run, lines = function(store, clock=lambda: make_event(2).occurred_at.timestamp() + 0.25)
    event = sqs_event(encode(make_event(1)), encode(make_event(2)))
    assert run(event, CONTEXT) == {"batchItemFailures": []}
    assert len(store.items) == 2
    assert run(event, CONTEXT) == {"batchItemFailures": []}
    assert len(store.items) == 2
    first, again = (json.loads(line) for line in lines)
    assert (first["applied"], first["duplicate"]) == (2, 0)
    assert first["latency_ms"] == [1250.0, 250.0]  # occurred_at -> stored, per applied event
    assert (again["applied"], again["duplicate"], again["latency_ms"]) == (0, 2, [])


def test_a_handler_that_raises_for_one_record_fails_that_record_only() -> None:
    def fragile(event: ConsumerCreated, unit: UnitOfWork) -> None:
        if event.data.name == "Consumer 2":
            raise KeyError("boom")
        orders.handle(event, unit)

    store = MemoryStore()
    run, lines = function(store, service=replace(SERVICES["orders"], handle=fragile))
    event = sqs_event(*(encode(make_event(n)) for n in (1, 2, 3)))
    assert run(event, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert len(store.items) == 2
    assert (logged(lines)["applied"], logged(lines)["retry"]) == (2, 1)


def test_the_aws_calls_of_the_invocation_are_counted_and_logged() -> None:
    class CountingStore(MemoryStore):
        """Reports one TransactWriteItems per commit, as the DynamoDB store's client would."""

        def __init__(self, calls: RequestCounter) -> None:
            super().__init__()
            self.calls = calls

        def _create_all(self, items: list[tuple[str, dict[str, Any]]]) -> list[str] | None:
            self.calls.on_before_send("before-send.dynamodb.TransactWriteItems")
            return super()._create_all(items)

    calls = RequestCounter()
    calls.on_before_send("before-send.dynamodb.DescribeTable")  # before the invocation
    run, lines = function(CountingStore(calls), calls=calls)
    run(sqs_event(encode(make_event(1)), encode(make_event(2))), CONTEXT)
    assert logged(lines)["aws_calls"] == {"dynamodb:TransactWriteItems": 1}


def test_a_store_outage_reports_every_message_so_none_is_lost() -> None:
    class DownStore(MemoryStore):
        def _create_all(self, items: list[tuple[str, dict[str, Any]]]) -> list[str] | None:
            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "TransactWriteItems"
            )

    run, _ = function(DownStore())
    event = sqs_event(encode(make_event(1)), encode(make_event(2)))
    assert run(event, CONTEXT)["batchItemFailures"] == [
        {"itemIdentifier": "msg-0"},
        {"itemIdentifier": "msg-1"},
    ]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "no Records list"),
        ("Test message.", "no Records list"),
        ({"Records": [{"eventSource": "aws:s3", "messageId": "x"}]}, "not an SQS message"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}, "no messageId"),
    ],
)
def test_an_event_that_is_not_an_sqs_batch_fails_the_whole_invocation(
    event: Any, message: str
) -> None:
    with pytest.raises(EventError, match=message):
        records(event)


def test_records_keep_the_receive_count_and_attributes() -> None:
    first, second = records(AWS_DOCS_SQS_EVENT)
    assert first.message_id == AWS_DOCS_MESSAGE_IDS[0]
    assert first.receive_count == 1
    assert first.attributes["myAttribute"]["stringValue"] == "myValue"
    assert second.body == "Test message."


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "MESSAGING_SERVICE is ''"),
        ({"MESSAGING_SERVICE": "billing", "MESSAGING_TABLE_NAME": "t"}, "one of orders, payments"),
        ({"MESSAGING_SERVICE": "orders"}, "MESSAGING_TABLE_NAME is not set"),
    ],
)
def test_a_function_without_its_configuration_refuses_to_start(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(FunctionConfigError, match=message):
        Function.from_environment(environ)


def test_the_function_is_made_once_per_process_from_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MESSAGING_SERVICE", "payments")
    monkeypatch.setenv("MESSAGING_TABLE_NAME", "payments-accounts")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setattr(lambda_handler, "_function", None)
    assert lambda_handler.handler(AWS_DOCS_SQS_EVENT, CONTEXT)["batchItemFailures"]
    made = lambda_handler._function
    assert made is not None
    assert made.service is SERVICES["payments"]
    lambda_handler.handler(AWS_DOCS_SQS_EVENT, CONTEXT)
    assert lambda_handler._function is made


def test_importing_the_handler_loads_only_what_the_function_needs() -> None:
    code = "import sys, messaging.consumer.lambda_handler; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    roots = {name.split(".")[0].lower() for name in loaded}
    heavy = {"moto", "duckdb", "pyarrow", "matplotlib", "faker", "rich", "typer", "waitress"}
    assert heavy.isdisjoint(roots)
    ours = {".".join(name.split(".")[:2]) for name in loaded if name.startswith("messaging.")}
    assert ours <= {"messaging.consumer", "messaging.core", "messaging.store", "messaging.errors"}
    # The worker's threads and SQS plumbing are not the function's.
    assert "messaging.consumer.worker" not in loaded


def test_the_billing_units_of_the_invocation_are_logged() -> None:
    from messaging.core.metering import UsageMeter

    class MeteredStore(MemoryStore):
        """Meters one conditional put per item, as the DynamoDB store's client would."""

        def __init__(self, usage: UsageMeter) -> None:
            super().__init__()
            self.usage = usage

        def _create_all(self, items: list[tuple[str, dict[str, Any]]]) -> list[str] | None:
            for _ in items:
                self.usage.on_params(
                    "provide-client-params.dynamodb.PutItem", params={"Item": {"k": {"S": "a"}}}
                )
            return super()._create_all(items)

    usage = UsageMeter()
    usage.on_params("provide-client-params.dynamodb.PutItem", params={"Item": {}})  # before
    run, lines = function(MeteredStore(usage), usage=usage)
    run(sqs_event(encode(make_event(1)), encode(make_event(2))), CONTEXT)
    assert logged(lines)["aws_usage"] == {"dynamodb:PutItem": {"records": 2, "write_units": 2}}
