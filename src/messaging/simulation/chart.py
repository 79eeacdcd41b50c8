"""The run as a picture: queue depth, throughput and lake objects over time (PNG).

People look at this instead of reading numbers. A bare `matplotlib.figure.Figure`
renders to PNG without pyplot's global state or a display, so it works on a server, in
CI and from any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from messaging.simulation.cost import AwsCost
from messaging.simulation.run import Sample

__all__ = ["draw", "headline"]


def _rates(samples: Sequence[Sample], values: Sequence[int]) -> list[float]:
    rates = [0.0]
    for before, after, v0, v1 in zip(samples, samples[1:], values, values[1:], strict=False):
        rates.append((v1 - v0) / max(after.elapsed - before.elapsed, 1e-9))
    return rates


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
    figure = Figure(figsize=(10, 9))
    depth, throughput, objects = figure.subplots(3, 1, sharex=True)
    figure.suptitle(headline(title, cost))
    for name in services:
        depth.plot(t, [s.queues[name].visible for s in samples], label=f"{name} visible")
        depth.plot(t, [s.queues[name].in_flight for s in samples], "--", label=f"{name} in flight")
        depth.plot(t, [s.queues[name].dlq for s in samples], ":", label=f"{name} DLQ")
    depth.set_ylabel("messages")
    depth.set_title("queue depth")
    depth.legend(loc="upper right", fontsize="small")
    throughput.plot(t, _rates(samples, [s.published for s in samples]), label="published")
    for name in services:
        throughput.plot(t, _rates(samples, [s.done[name] for s in samples]), label=f"{name} stored")
    throughput.set_ylabel("events / s")
    throughput.set_title("throughput")
    throughput.legend(loc="upper right", fontsize="small")
    objects.step(t, [s.lake_objects for s in samples], where="post", label="lake objects")
    objects.set_ylabel("objects")
    objects.set_xlabel("seconds since start")
    objects.set_title("lake objects (Firehose deliveries)")
    for axis in (depth, throughput, objects):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
