"""The live view of a simulation: rendering only (the numbers come from `simulate`)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from messaging.simulation.run import Sample

__all__ = ["render", "summary_line"]


def _rate(samples: Sequence[Sample], pick: str) -> float:
    """Events per second over the last interval, for `published` or a service's `done`."""
    if len(samples) < 2:
        return 0.0
    last, before = samples[-1], samples[-2]
    elapsed = max(last.elapsed - before.elapsed, 1e-9)
    if pick == "published":
        return (last.published - before.published) / elapsed
    return (last.done[pick] - before.done[pick]) / elapsed


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def render(samples: Sequence[Sample], duration: float) -> RenderableType:
    if not samples:
        return Text("starting ...")
    last = samples[-1]
    header = Text.assemble(
        ("simulate ", "bold"),
        (f"{last.phase:<10}", "cyan"),
        f" {last.elapsed:5.0f}s (produce {duration:.0f}s)   ",
        ("published ", "dim"),
        f"{last.published:,}",
        (f" ({_rate(samples, 'published'):,.0f}/s)", "dim"),
        ("   lake objects ", "dim"),
        f"{last.lake_objects}",
        ("   latency p50 ", "dim"),
        _ms(last.latency_p50_ms),
        ("  p95 ", "dim"),
        _ms(last.latency_p95_ms),
    )
    columns = ["service", "stored", "rate", "visible", "in flight", "DLQ"]
    if last.functions:  # the services run as Lambda functions
        columns += ["invocations", "errors", "concurrency"]
    table = Table(*columns, box=None)
    for name, queue in last.queues.items():
        dlq = Text(str(queue.dlq), style="red" if queue.dlq else "")
        row: list[str | Text] = [
            name,
            f"{last.done[name]:,}",
            f"{_rate(samples, name):,.0f}/s",
            f"{queue.visible:,}",
            f"{queue.in_flight:,}",
            dlq,
        ]
        if name in last.functions:
            function = last.functions[name]
            errors = Text(str(function.errors), style="red" if function.errors else "")
            row += [f"{function.invocations:,}", errors, f"{function.concurrency:.1f}"]
        table.add_row(*row)
    return Group(header, table)


def summary_line(samples: Sequence[Sample], duration: float) -> str | None:
    """The live view in one line, for logs (no terminal, no live view)."""
    if not samples:
        return None
    last = samples[-1]
    services = ", ".join(
        f"{name} {last.done[name]} stored, {queue.visible} visible, {queue.in_flight} in "
        f"flight, {queue.dlq} DLQ"
        for name, queue in last.queues.items()
    )
    return (
        f"simulate {last.phase} {last.elapsed:.0f}s (produce {duration:.0f}s): published "
        f"{last.published}; {services}; lake objects {last.lake_objects}"
    )
