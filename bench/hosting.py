"""The services on Lambda against long-running workers: end-to-end events/s, requests/event.

Runs the main job (`Simulation`, as `messaging simulate` does) twice with the same load
and seed, one after the other on one in-process local cloud, each on its own stack:
`--services lambda` (the stack's functions, run by the local cloud's Lambda runtime
behind their SQS event source mappings) and `--services workers`. For each it prints

- end-to-end events/s: events stored by both services per second, from the first
  publish to the sample where both services had done every event (samples every 0.5 s,
  so about +-0.5 s over the run);
- requests per event of the pipeline (producer + services). On Lambda the services'
  requests are the functions' own calls (their log lines) plus the mappings' polling
  (receives, deletes, visibility changes), which the runtime reports through the Lambda
  API: the table says whether it was counted;
- latency p50/p95 (publish to stored in both services), lost and duplicate effects.

    .venv/bin/python bench/hosting.py [--rate 200] [--duration 20] [--concurrency 4]

The Lambda mode needs the local cloud's runtime (issue 17's `localcloud/awslambda`);
without it nothing runs the mappings and the run stops with that reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from messaging.localcloud.server import LocalCloud
from messaging.ops.settings import Settings
from messaging.simulation.run import Simulation, SimulationError, SimulationOptions

PIPELINE = ("producer", "orders", "payments", "orders-mapping", "payments-mapping")


def one_run(cloud: LocalCloud, services: str, args: argparse.Namespace) -> dict[str, Any]:
    # Its own stack and NamePrefix: the in-process cloud is shared, and the same seed
    # gives the same event ids, which another mode's tables would hold already.
    settings = Settings(
        endpoint_url=cloud.endpoint_url, region=cloud.region, stack_name=f"bench-{services}"
    )
    options = SimulationOptions(
        rate=args.rate,
        duration=args.duration,
        seed=7,
        buffer_interval=2,
        concurrency=args.concurrency,
        poll_seconds=1,
        services=services,
        sample_every=0.5,
        name_prefix=f"{services}-",
    )
    simulation = Simulation(
        settings, options, placeholder_credentials=cloud.placeholder_credentials
    )
    report = simulation.run()
    samples = simulation.samples
    first = next(s.elapsed for s in samples if s.published > 0)
    done = next(
        (
            s.elapsed
            for s in samples
            if s.done and min(s.done.values()) >= report.produced and s.published > 0
        ),
        samples[-1].elapsed,
    )
    requests = report.api_requests
    return {
        "services": services,
        "produced": report.produced,
        "end_to_end_events_per_s": round(report.produced / max(done - first, 1e-9), 1),
        "pipeline_requests_per_event": report.pipeline_requests_per_event,
        "requests": {k: requests[k] for k in PIPELINE if k in requests},
        "mapping_polling_counted": report.mapping_requests_counted,
        "invocations": report.invocations,
        "latency_ms": report.latency_ms,
        "lost": report.lost,
        "duplicate_effects": report.duplicate_effects,
        "dlq": report.dlq,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="events/s published")
    parser.add_argument("--duration", type=float, default=20, help="seconds of publishing")
    parser.add_argument("--concurrency", type=int, default=4, help="pollers per worker")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = []
    with LocalCloud(port=0) as cloud:
        for services in ("lambda", "workers"):
            try:
                results.append(one_run(cloud, services, args))
            except SimulationError as error:
                sys.exit(f"{services}: {error}")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.rate:g} events/s for {args.duration:g} s, seed 7")
    print(
        f"{'services':<9} {'events':>7} {'e2e ev/s':>9} {'req/event':>10} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'lost':>5} {'dup':>4}  requests (mapping polling counted)"
    )
    for r in results:
        latency = r["latency_ms"]
        print(
            f"{r['services']:<9} {r['produced']:>7} {r['end_to_end_events_per_s']:>9} "
            f"{r['pipeline_requests_per_event']:>10} {latency['p50']:>8} {latency['p95']:>8} "
            f"{r['lost']:>5} {r['duplicate_effects']:>4}  {r['requests']} "
            f"({r['mapping_polling_counted']})"
        )


if __name__ == "__main__":
    main()
