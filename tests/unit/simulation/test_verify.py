"""The proof of a run: lost events, duplicate effects, latency."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from messaging.simulation.verify import (
    LakeScan,
    Report,
    StoredEffects,
    end_to_end,
    latencies_ms,
    lost_events,
    summary_lines,
)
from tests.support.fake_s3 import FakeS3

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def stored(**events: float) -> StoredEffects:
    return StoredEffects(
        stored_at={e: T0 + timedelta(milliseconds=ms) for e, ms in events.items()},
        items_per_event=Counter(events.keys()),
    )


def test_an_event_missing_from_any_destination_is_lost() -> None:
    produced = ["a", "b", "c"]
    assert lost_events(produced, {"a", "b", "c"}, {"a", "b"}, {"a", "b", "c"}) == {"c"}
    assert lost_events(produced, {"a", "b", "c"}, {"a", "b", "c"}) == set()


def test_latency_is_to_the_later_store_of_both_services() -> None:
    occurred = {"a": T0, "b": T0, "c": T0}
    orders = stored(a=100, b=200, c=300)
    payments = stored(a=150, b=100)  # c never reached payments: no latency for it
    assert latencies_ms(occurred, orders, payments) == {"p50": 150.0, "p95": 200.0, "p99": 200.0}


def test_end_to_end_is_stored_in_both_over_first_publish_to_last_store() -> None:
    occurred = {"a": T0, "b": T0 + timedelta(seconds=1), "c": T0 + timedelta(seconds=2)}
    orders = stored(a=500, b=1500, c=3000, other=9000)  # "other": not the run's event
    payments = stored(a=700, b=4000)  # c is in orders only: not stored end to end
    throughput = end_to_end(occurred, orders, payments)
    assert throughput.stored == 2
    assert throughput.seconds == 4.0  # T0 (first publish) -> b in payments (last store)
    assert throughput.per_second == 0.5


def test_end_to_end_is_none_when_nothing_reached_both_services() -> None:
    occurred = {"a": T0}
    throughput = end_to_end(occurred, stored(a=100), stored())
    assert (throughput.stored, throughput.seconds, throughput.per_second) == (0, None, None)
    assert end_to_end({}, stored(), stored()).per_second is None


def test_the_summary_says_both_rates_apart() -> None:
    lines = summary_lines(
        report(stored_in_both=10, end_to_end_seconds=4.0, end_to_end_events_per_second=2.5)
    )
    assert "(producer rate 5.0/s)" in lines[1]
    assert lines[2] == (
        "end to end: 2.5 events/s (10 events stored in both services, "
        "4.0 s from the first publish to the last store)"
    )
    assert summary_lines(report())[2] == "end to end: no event was stored in both services"


def test_repeated_items_count_as_duplicate_effects() -> None:
    effects = stored(a=1, b=2)
    effects.items_per_event["a"] += 2
    assert effects.repeated == 2


def report(**changes: object) -> Report:
    values: dict[str, object] = {
        "produced": 10,
        "publish_failed": 0,
        "orders_stored": 10,
        "payments_stored": 10,
        "lake_distinct_events": 10,
        "lake_objects": 1,
        "partitions": ["2026-11-28"],
        "dlq": {"orders": 0, "payments": 0},
        "lost": 0,
        "duplicate_effects": 0,
        "events_per_second": 5.0,
        "producing_seconds": 2.0,
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
        "api_requests": {"producer": 1},
        "api_requests_per_event": 0.1,
        "pipeline_requests_per_event": 0.1,
        "duration_seconds": 2.0,
        "seed": 7,
        "endpoint": "http://127.0.0.1:4566",
    }
    values.update(changes)
    return Report.model_validate(values)


def test_ok_only_without_losses_or_duplicate_effects() -> None:
    assert report().ok
    assert not report(lost=1).ok
    assert not report(duplicate_effects=1).ok
    nothing = report(produced=0, orders_stored=0, payments_stored=0, lake_distinct_events=0)
    assert not nothing.ok  # a run that produced nothing proved nothing
    assert summary_lines(nothing)[0] == "FAILED: no event was produced, so nothing was verified"
    assert summary_lines(report())[0].startswith("OK")
    assert summary_lines(report(lost=3))[0] == "FAILED: 3 lost, 0 duplicate effects"


def test_report_json_has_the_documented_keys() -> None:
    dumped = report().model_dump(mode="json")
    assert {
        "produced",
        "orders_stored",
        "payments_stored",
        "lake_distinct_events",
        "lake_objects",
        "partitions",
        "dlq",
        "lost",
        "duplicate_effects",
        "events_per_second",
        "latency_ms",
        "api_requests_per_event",
    } <= set(dumped)
    assert set(dumped["latency_ms"]) == {"p50", "p95", "p99"}
    assert set(dumped["dlq"]) == {"orders", "payments"}


def test_the_aws_cost_is_in_the_json_and_the_summary() -> None:
    from messaging.core.metering import Usage
    from messaging.simulation.cost import price_usage

    cost = price_usage({"dynamodb:PutItem": Usage(requests=20, write_units=20)}, 10)
    with_cost = report(aws_cost=cost)
    dumped = with_cost.model_dump(mode="json")["aws_cost"]
    assert dumped["usd_per_million_events"] == pytest.approx(1.25)  # 2 WRU per event
    assert dumped["lines"][0]["service"] == "dynamodb"
    lines = summary_lines(with_cost)
    assert "AWS cost: $1.25 per million events" in lines[-2]
    assert "dynamodb $1.25" in lines[-2]
    assert "estimate from us-east-1 list prices" in lines[-1]
    assert not any("AWS cost" in line for line in summary_lines(report()))


def test_a_lake_scan_reads_what_was_written_since_and_counts_the_run_s_objects() -> None:
    def line(event_id: str) -> bytes:
        return json.dumps({"event_id": event_id}).encode() + b"\n"

    s3 = FakeS3(
        {
            "landing_date=2026-11-27/history": (T0 - timedelta(days=1), line("old")),
            "landing_date=2026-11-28/a-run-before": (T0 + timedelta(seconds=5), line("x")),
            "landing_date=2026-11-28/ours-1": (T0 + timedelta(seconds=20), line("a") + line("x")),
            "landing_date=2026-11-28/ours-2": (T0 + timedelta(seconds=30), line("b")),
        }
    )
    scan = LakeScan(since=T0, wanted=frozenset({"a", "b"}))
    assert scan.scan(s3, "lake") == {"a", "b", "x"}  # type: ignore[arg-type]
    assert "landing_date=2026-11-27/history" not in s3.read  # history is not downloaded
    assert [o.key for o in scan.objects] == [
        "landing_date=2026-11-28/ours-1",
        "landing_date=2026-11-28/ours-2",
    ]
    scan.scan(s3, "lake")  # type: ignore[arg-type]
    assert len(s3.read) == 3  # each object read once across scans
    assert len(scan.objects) == 2


def test_the_summary_says_whether_the_mappings_polling_was_counted() -> None:
    hosted = {"services": "lambda", "invocations": {"orders": 3, "payments": 4}}
    counted = summary_lines(report(**hosted, mapping_requests_counted=True))
    assert (
        "services: Lambda functions (orders 3, payments 4 invocations); the event source "
        "mappings' polling counted as <service>-mapping (this run's only)"
    ) in counted
    missing = summary_lines(report(**hosted, mapping_requests_counted=False))
    assert any(
        line.endswith("polling not counted (not exposed by this endpoint; free on AWS)")
        for line in missing
    )
    workers = summary_lines(report(services="workers"))
    assert "services: long-running workers in this process" in workers
