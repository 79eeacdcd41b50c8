"""The main job itself, measured: `messaging simulate` as a user runs it, read from its report.

Every figure comes from simulate's own `--report-json` (issue #21's true figures):

- end-to-end events/s: events stored in both services ÷ the time from the first publish
  to the last store (`end_to_end_events_per_second`), at a rate the producer cannot
  reach (saturation), so the pipeline sets the pace;
- requests per event: the pipeline's (producer + services + the Lambda mappings'
  polling), `pipeline_requests_per_event`;
- latency p50/p95 at a modest rate (publish -> stored in both services);
- the saturation point (`find_max`): the highest asked rate at which the queues do not
  grow, found by doubling then bisecting short runs.

"The queues do not grow" is judged from the report, not from samples: a run keeps up
when the producer reached the asked rate (≥ 90%) and the pipeline stored end to end at
≥ 90% of what the producer published per second. A growing backlog makes the last
store later and later than the last publish, so the end-to-end rate falls behind the
producer's. The 10% allow for the last events' latency over a short window.

In `throughput.py`, simulate runs against the bench's `messaging up` (`--endpoint-url`),
on its stack: the same layout simulate uses on its own (the local cloud in a process of
its own), and the same stack as the seed-style loop, so the ratio is taken within one
run. Run alone (`make bench-max`), each probe is `messaging simulate` exactly as a user
runs it, on the local cloud it starts for itself (a deploy per probe):

    .venv/bin/python bench/simulate_phase.py [--start 100] [--duration 20] [--services lambda]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
KEEP_UP = 0.9  # see the module docstring


@dataclass(frozen=True)
class SimulateRun:
    rate: float  # asked
    report: dict[str, Any]
    load: tuple[float, float, float]  # the machine's load average when it ended

    @property
    def end_to_end(self) -> float:
        return float(self.report.get("end_to_end_events_per_second") or 0.0)

    @property
    def producer(self) -> float:
        return float(self.report["events_per_second"])

    @property
    def tail(self) -> float:
        """Seconds end to end lasted beyond producing: the last events' way through."""
        span = self.report.get("end_to_end_seconds") or 0.0
        return max(0.0, float(span) - float(self.report["producing_seconds"]))

    @property
    def requests_per_event(self) -> float:
        return float(self.report["pipeline_requests_per_event"])

    @property
    def latency(self) -> dict[str, float | None]:
        latency: dict[str, float | None] = self.report["latency_ms"]
        return latency

    @property
    def kept_up(self) -> bool:
        return (
            bool(self.report["produced"])
            and self.producer >= KEEP_UP * self.rate
            and self.end_to_end >= KEEP_UP * self.producer
        )

    def line(self) -> str:
        latency = self.latency
        return (
            f"asked {self.rate:,.0f}/s: producer {self.producer:,.1f}/s, end to end "
            f"{self.end_to_end:,.1f}/s ({self.report['stored_in_both']} events in "
            f"{self.report['end_to_end_seconds']} s, {self.tail:.1f} s after producing), "
            f"{self.requests_per_event:.3f} "
            f"requests/event, latency p50 {latency['p50']} ms p95 {latency['p95']} ms, "
            f"{'ok' if self.report['lost'] == 0 else 'LOST ' + str(self.report['lost'])}; "
            f"load {self.load[0]:.1f}"
        )


def simulate(
    endpoint: str | None, stack_name: str, rate: float, duration: float, services: str
) -> SimulateRun:
    """One `messaging simulate` against `endpoint` (None: the local cloud it starts); its
    report, or exit with its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "COLUMNS": "200"}
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as folder:
        report = Path(folder) / "report.json"
        done = subprocess.run(
            [
                str(BIN / "messaging"),
                "simulate",
                *(("--endpoint-url", endpoint, "--region", "us-east-1") if endpoint else ()),
                "--stack-name",
                stack_name,
                "--rate",
                f"{rate:g}",
                "--duration",
                f"{duration:g}",
                "--buffer-interval",
                "1",
                "--services",
                services,
                "--report-json",
                str(report),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if not report.exists():
            sys.exit(f"messaging simulate failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return SimulateRun(rate, json.loads(report.read_text()), os.getloadavg())


def find_max(
    endpoint: str | None, stack_name: str, start: float, duration: float, services: str, steps: int
) -> tuple[float | None, list[SimulateRun]]:
    """The highest asked rate that keeps up: double from `start` until a run falls
    behind, then bisect between the last that kept up and the first that did not."""
    runs: list[SimulateRun] = []
    good: float | None = None
    bad: float | None = None
    rate = start
    for _ in range(steps):
        run = simulate(endpoint, stack_name, rate, duration, services)
        runs.append(run)
        print(f"  find-max: {run.line()} -> {'keeps up' if run.kept_up else 'falls behind'}")
        if run.kept_up:
            good = rate
        else:
            bad = rate
        if bad is None:
            rate *= 2
        elif good is None:
            rate /= 2
        else:
            rate = (good + bad) / 2
            if bad - good <= 0.1 * good:  # within 10%: as fine as the noise allows
                break
    return good, runs


def main() -> None:
    parser = argparse.ArgumentParser(description="the highest rate at which the queues do not grow")
    parser.add_argument("--start", type=float, default=100.0, help="first rate tried")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per probe")
    parser.add_argument("--services", choices=("lambda", "workers"), default="lambda")
    parser.add_argument("--steps", type=int, default=6, help="probes at most")
    args = parser.parse_args()
    print(f"find-max: messaging simulate --services {args.services} on its own local cloud")
    best, _ = find_max(None, "messaging", args.start, args.duration, args.services, args.steps)
    shown = f"{best:,.0f} events/s" if best is not None else f"none (not even {args.start:g}/s)"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"highest asked rate at which the queues do not grow: {shown} (load {load})")


if __name__ == "__main__":
    main()
