"""The live view and the chart render what the samples say."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from messaging.ops.status import QueueStatus
from messaging.simulation.chart import draw, phase_spans, service_styles
from messaging.simulation.dashboard import render, summary_line
from messaging.simulation.hosts import FunctionSample
from messaging.simulation.run import Sample


def sample(
    elapsed: float, published: int, stored: int, dlq: int = 0, phase: str = "producing"
) -> Sample:
    queue = QueueStatus(visible=published - stored, in_flight=3, dlq=dlq)
    return Sample(
        elapsed=elapsed,
        published=published,
        done={"orders": stored, "payments": stored},
        queues={"orders": queue, "payments": queue},
        lake_objects=2,
        latency_p50_ms=120.0,
        latency_p95_ms=480.0,
        phase=phase,
    )


def text_of(samples: list[Sample]) -> str:
    console = Console(record=True, width=140)
    console.print(render(samples, duration=30))
    return console.export_text()


def test_the_live_view_shows_rates_depths_dlq_lake_and_latency() -> None:
    shown = text_of([sample(1.0, 100, 80), sample(2.0, 150, 120, dlq=1)])
    assert "producing" in shown
    assert "published 150 (50/s)" in shown
    assert "lake objects 2" in shown
    assert "p50 120 ms" in shown
    assert "p95 480 ms" in shown
    rows = [line.split() for line in shown.splitlines() if line.strip().startswith("orders")]
    assert rows == [["orders", "120", "40/s", "30", "3", "1"]]


def test_the_live_view_shows_each_functions_invocations_errors_and_concurrency() -> None:
    functions = {
        "orders": FunctionSample(invocations=1200, errors=2, concurrency=3.25),
        "payments": FunctionSample(invocations=900, errors=0, concurrency=1.0),
    }
    last = replace(sample(2.0, 150, 120), functions=functions)
    shown = text_of([sample(1.0, 100, 80), last])
    assert "invocations" in shown
    assert "concurrency" in shown
    rows = [line.split() for line in shown.splitlines() if line.strip().startswith("orders")]
    assert rows == [["orders", "120", "40/s", "30", "3", "0", "1,200", "2", "3.2"]]


def test_the_live_view_of_workers_has_no_function_rows() -> None:
    assert "concurrency" not in text_of([sample(1.0, 100, 80)])


def test_the_live_view_starts_empty() -> None:
    assert "starting" in text_of([])


def test_the_chart_is_a_png_with_the_run(tmp_path: Path) -> None:
    phases = ["producing"] * 3 + ["draining"] * 3
    samples = [sample(t, 10 * t, 8 * t, phase=p) for t, p in enumerate(phases, start=1)]
    path = draw(samples, tmp_path / "out" / "run.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # three panels with lines, not an empty canvas


def test_no_samples_no_chart(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no samples"):
        draw([], tmp_path / "x.png")


def test_the_chart_marks_each_phase_where_it_was() -> None:
    phases = ["deploying", "producing", "producing", "draining", "flushing", "flushing"]
    samples = [sample(float(t), 0, 0, phase=p) for t, p in enumerate(phases)]
    assert phase_spans(samples) == [
        ("deploying", 0.0, 0.0),
        ("producing", 0.0, 2.0),
        ("draining", 2.0, 3.0),
        ("flushing", 3.0, 5.0),
    ]


def test_both_services_stay_visible_where_their_lines_overlap() -> None:
    orders, payments = service_styles(["orders", "payments"]).values()
    assert orders["color"] != payments["color"]
    assert orders["linewidth"] > payments["linewidth"]  # the one beneath shows around it
    assert payments["zorder"] > orders["zorder"]


def test_a_plain_line_says_what_the_live_view_shows() -> None:
    assert summary_line([], 30) is None
    line = summary_line([sample(5.0, 100, 80)], 30)
    assert line == (
        "simulate producing 5s (produce 30s): published 100; orders 80 stored, 20 visible, "
        "3 in flight, 0 DLQ, payments 80 stored, 20 visible, 3 in flight, 0 DLQ; lake objects 2"
    )


def test_the_chart_carries_the_bill(tmp_path: Path) -> None:
    from messaging.core.metering import Usage
    from messaging.simulation.chart import headline
    from messaging.simulation.cost import price_usage

    cost = price_usage({"dynamodb:PutItem": Usage(write_units=20)}, 10)
    assert headline("run", cost).splitlines() == [
        "run",
        "AWS cost $1.25 per million events (estimate, us-east-1 list prices of 2026-11-30)",
    ]
    assert headline("run", None) == "run"
    path = draw([sample(t, 10 * t, 8 * t) for t in range(1, 3)], tmp_path / "c.png", cost=cost)
    assert path.read_bytes().startswith(b"\x89PNG")
