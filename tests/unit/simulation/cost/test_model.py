"""The price model on hand-computed bills."""

from __future__ import annotations

import pytest

from messaging.core.metering import Usage
from messaging.simulation.cost import PRICES, AwsCost, Extras, price_usage
from messaging.simulation.cost.prices import GB


def line_usd(cost: AwsCost, service: str, operation: str) -> float:
    lines = [x for x in cost.lines if (x.service, x.operation) == (service, operation)]
    assert len(lines) == 1, lines
    return float(lines[0].usd)


def test_every_price_is_dated_sourced_and_checked() -> None:
    for name, price in PRICES.items():
        assert price.source.startswith("https://aws.amazon.com/"), name
        assert price.checked in ("search", "recalled"), name
        assert price.usd > 0, name
        assert price.per > 0, name


def test_a_million_events_of_the_chosen_design_hand_computed() -> None:
    # 1M events: PublishBatch of 10 (100k requests), one 600-byte record each (5 KiB
    # billed); per service a receive and a delete batch per 10 messages; one put of
    # 1 WRU per event and service.
    events = 1_000_000
    usage = {
        "sns:PublishBatch": Usage(
            requests=100_000,
            billed_requests=100_000,
            records=events,
            firehose_bytes=events * 5 * 1024,
        ),
        "sqs:ReceiveMessage": Usage(requests=200_000, billed_requests=200_000),
        "sqs:DeleteMessageBatch": Usage(requests=200_000, billed_requests=200_000),
        "dynamodb:PutItem": Usage(requests=2 * events, write_units=2 * events),
    }
    cost = price_usage(usage, events)
    assert line_usd(cost, "sns", "PublishBatch") == pytest.approx(0.05)  # 0.1M x $0.50/M
    assert line_usd(cost, "sns", "PublishBatch -> Firehose") == pytest.approx(0.19)
    assert line_usd(cost, "firehose", "ingestion (from SNS)") == pytest.approx(
        events * 5 * 1024 / GB * 0.029
    )
    assert line_usd(cost, "sqs", "ReceiveMessage") == pytest.approx(0.08)  # 0.2M x $0.40/M
    assert line_usd(cost, "dynamodb", "PutItem") == pytest.approx(1.25)  # 2M WRU x $0.625/M
    assert cost.usd_per_million_events == pytest.approx(cost.total_usd)
    assert "free tiers left out" in cost.note


def test_retried_attempts_are_billed_and_a_big_batch_bills_its_chunks() -> None:
    cost = price_usage({"sqs:SendMessageBatch": Usage(requests=3, billed_requests=2)}, 10)
    assert line_usd(cost, "sqs", "SendMessageBatch") == pytest.approx(3 * 0.40 / 1e6)
    cost = price_usage({"sqs:SendMessageBatch": Usage(requests=1, billed_requests=4)}, 10)
    assert line_usd(cost, "sqs", "SendMessageBatch") == pytest.approx(4 * 0.40 / 1e6)


def test_dynamodb_bills_units_not_requests() -> None:
    cost = price_usage({"dynamodb:TransactWriteItems": Usage(requests=1, write_units=6)}, 3)
    assert line_usd(cost, "dynamodb", "TransactWriteItems") == pytest.approx(6 * 0.625 / 1e6)


def test_lambda_logs_and_the_lake_come_from_what_the_run_measured_elsewhere() -> None:
    extras = Extras(
        lambda_invocations=100,
        lambda_gb_seconds=12.5,
        log_bytes=int(GB),
        lake_objects=4,
        lake_bytes=int(GB),
    )
    cost = price_usage({}, 1000, extras)
    assert line_usd(cost, "lambda", "invocations") == pytest.approx(100 * 0.20 / 1e6)
    assert line_usd(cost, "lambda", "duration") == pytest.approx(12.5 * 0.0000133334)  # Arm
    assert line_usd(cost, "logs", "ingestion") == pytest.approx(0.50)
    assert line_usd(cost, "s3", "PutObject (Firehose)") == pytest.approx(4 * 0.005 / 1000)
    assert line_usd(cost, "s3", "storage (one month)") == pytest.approx(0.023)
    assert set(cost.by_service) == {"lambda", "logs", "s3"}
