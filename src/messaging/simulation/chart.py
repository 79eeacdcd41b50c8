"""The run as a picture: queue depth, throughput and lake objects over time (PNG).

People look at this instead of reading numbers. A bare `matplotlib.figure.Figure`
renders to PNG without pyplot's global state or a display, so it works on a server, in
CI and from any thread.

What makes it readable: the run's phases (producing, draining, flushing) are shaded
and named on every panel, so a queue that grows while producing and empties while
draining reads as such; counts get integer ticks; both services get their own colour
and line style, the first drawn wider and paler, because the two usually overlap
exactly (they consume the same events) and one line used to hide the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from messaging.simulation.cost import AwsCost
from messaging.simulation.run import Sample

__all__ = ["PHASE_COLOURS", "draw", "headline", "phase_spans", "service_styles"]

PHASE_COLOURS = {
    "deploying": "#eeeeee",
    "producing": "#e3f0ff",
    "draining": "#fff1d6",
    "flushing": "#e6f5e6",
    "verifying": "#f2e6f5",
}
_SERVICE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def service_styles(services: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Line style per service: distinct colours; earlier ones wider and paler underneath."""
    count = len(services)
    return {
        name: {
            "color": _SERVICE_COLOURS[index % len(_SERVICE_COLOURS)],
            "linewidth": 1.5 + 2.5 * (count - 1 - index),
            "alpha": 0.45 if index < count - 1 else 1.0,
            "zorder": 2 + index,
        }
        for index, name in enumerate(services)
    }


def phase_spans(samples: Sequence[Sample]) -> list[tuple[str, float, float]]:
    """(phase, start, end) of each stretch of samples in the same phase, in order."""
    spans: list[tuple[str, float, float]] = []
    for sample in samples:
        if spans and spans[-1][0] == sample.phase:
            spans[-1] = (sample.phase, spans[-1][1], sample.elapsed)
        else:
            start = spans[-1][2] if spans else sample.elapsed
            spans.append((sample.phase, start, sample.elapsed))
    return spans


def _rates(samples: Sequence[Sample], values: Sequence[int]) -> list[float]:
    rates = [0.0]
    for before, after, v0, v1 in zip(samples, samples[1:], values, values[1:], strict=False):
        rates.append((v1 - v0) / max(after.elapsed - before.elapsed, 1e-9))
    return rates


def _shade_phases(axes: Sequence[Any], samples: Sequence[Sample]) -> None:
    spans = phase_spans(samples)
    for axis in axes:
        for phase, start, end in spans:
            axis.axvspan(start, end, color=PHASE_COLOURS.get(phase, "#f5f5f5"), zorder=0)
    top = axes[0]
    for phase, start, end in spans:
        if end > start:
            top.text(
                (start + end) / 2,
                1.02,
                phase,
                transform=top.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize="small",
                color="#555555",
            )


def headline(title: str, cost: AwsCost | None) -> str:
    """The chart's title, with the run's bill under it when there is one."""
    if cost is None:
        return title
    return (
        f"{title}\nAWS cost ${cost.usd_per_million_events:.2f} per million events "
        f"(estimate, {cost.region} list prices of {cost.prices_date})"
    )


def draw(
    samples: Sequence[Sample],
    path: Path,
    *,
    title: str = "simulation",
    cost: AwsCost | None = None,
) -> Path:
    """Write a three-panel PNG of the run to `path` and return it (the bill in the title)."""
    if not samples:
        raise ValueError("no samples to draw")
    t = [s.elapsed for s in samples]
    services = list(samples[0].queues)
    styles = service_styles(services)
    figure = Figure(figsize=(10, 9.5))
    depth, throughput, objects = figure.subplots(3, 1, sharex=True)
    figure.suptitle(headline(title, cost))
    _shade_phases((depth, throughput, objects), samples)
    for name in services:
        style = styles[name]
        depth.plot(t, [s.queues[name].visible for s in samples], label=f"{name} visible", **style)
        depth.plot(
            t,
            [s.queues[name].in_flight for s in samples],
            "--",
            label=f"{name} in flight",
            **style,
        )
        depth.plot(t, [s.queues[name].dlq for s in samples], ":", label=f"{name} DLQ", **style)
    depth.set_ylabel("messages")
    depth.set_title("queue depth", pad=18)
    throughput.plot(
        t, _rates(samples, [s.published for s in samples]), label="published", color="#444444"
    )
    for name in services:
        rates = _rates(samples, [s.done[name] for s in samples])
        throughput.plot(t, rates, label=f"{name} stored", **styles[name])
    throughput.set_ylabel("events / s")
    throughput.set_title("throughput")
    objects.step(t, [s.lake_objects for s in samples], where="post", label="lake objects")
    objects.set_ylabel("objects")
    objects.set_xlabel("seconds since start")
    objects.set_title("lake objects (Firehose deliveries)")
    for axis in (depth, objects):
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts, not fractions
        axis.set_ylim(bottom=0)
    for axis in (depth, throughput, objects):
        axis.grid(alpha=0.3)
        axis.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
