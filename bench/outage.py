"""A DynamoDB outage of minutes, then recovery: the DLQs stay empty, every event is stored once.

Issue #16's literal scenario, too long for `make test` (which proves the same property
at compressed scale in tests/integration/test_worker_outage.py). An in-process local
cloud fails every DynamoDB write (`BatchExecuteStatement`, `PutItem`,
`TransactWriteItems`: throttled, 500, 503, connections dropped before and after the
write), the stack is deployed with its defaults
(VisibilityTimeoutSeconds 30, MaxReceiveCount 5: a worker that burns a receive per
failure dead-letters everything after about 155 s), both services run through the one
runner, the events are published, and after `--outage-seconds` the faults stop. It
passes when both stores hold every event exactly once and both DLQs are empty.

    .venv/bin/python bench/outage.py [--events 200] [--outage-seconds 180]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerOptions
from messaging.core.services import SERVICES
from messaging.localcloud.faults import FaultPlan
from messaging.localcloud.server import LocalCloud
from messaging.ops import stack, status
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings
from messaging.producer import Producer
from messaging.producer.fakes import ConsumerFactory

STACK = "outage"
STORE_DOWN = FaultPlan(
    fault_rate=1.0,
    operations=frozenset(
        {"dynamodb:TransactWriteItems", "dynamodb:PutItem", "dynamodb:BatchExecuteStatement"}
    ),
    seed=16,
)


def stored_per_event(aws: Aws, table: str, produced: set[str]) -> Counter[str]:
    """How many items of `table` each produced event created."""
    counts: Counter[str] = Counter()
    pages = (
        aws.dynamodb()
        .get_paginator("scan")
        .paginate(TableName=table, ProjectionExpression="event_id")
    )
    for page in pages:
        for item in page["Items"]:
            event_id = item.get("event_id", {}).get("S")
            if event_id in produced:
                counts[event_id] += 1
    return counts


def dlq_depths(aws: Aws, outputs: dict[str, str]) -> dict[str, int]:
    return {n: sum(status.queue_depth(aws, outputs[s.dlq_output])) for n, s in SERVICES.items()}


def ride_out(
    cloud: LocalCloud,
    control: Aws,
    outputs: dict[str, str],
    services: Runner[Aws],
    seconds: float,
) -> None:
    """Keep DynamoDB down for `seconds`, reporting every 15 s; then bring it back."""
    started = time.monotonic()
    pause = threading.Event()
    while (elapsed := time.monotonic() - started) < seconds:
        held = {run.name: run.worker.stats["held"] for run in services.runs}
        received = {run.name: run.worker.stats["received"] for run in services.runs}
        dlq = dlq_depths(control, outputs)
        print(f"  {elapsed:5.0f} s: received {received}, held (tries) {held}, DLQ {dlq}")
        pause.wait(min(15.0, seconds - elapsed))
    if cloud.faults is None:
        sys.exit("the local cloud has no fault injector")
    injected = cloud.faults.total()
    cloud.faults.switch(FaultPlan())
    print(f"DynamoDB is back after {injected} injected faults")


def verify(
    control: Aws, outputs: dict[str, str], services: Runner[Aws], produced: set[str]
) -> bool:
    """Every event stored once in both stores, both DLQs empty, no service stopped."""
    ok = not services.errors
    dlq = dlq_depths(control, outputs)
    for run in services.runs:
        counts = stored_per_event(control, outputs[run.service.table_output], produced)
        once = sum(1 for n in counts.values() if n == 1)
        twice = sum(1 for n in counts.values() if n > 1)
        stats = run.worker.stats.snapshot()
        print(
            f"{run.name}: stored once {once}/{len(produced)}, more than once {twice}, "
            f"DLQ {dlq[run.name]}; received {stats['received']}, handled {stats['handled']}, "
            f"duplicates {stats['duplicates']}, held {stats['held']}, extended "
            f"{stats['extended']}"
        )
        ok = ok and once == len(produced) and twice == 0 and dlq[run.name] == 0
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--outage-seconds", type=float, default=180.0)
    args = parser.parse_args()
    with LocalCloud(port=0, faults=STORE_DOWN) as cloud:
        settings = Settings(endpoint_url=cloud.endpoint_url, region=cloud.region, stack_name=STACK)

        def session(_: str = "") -> Aws:
            return Aws(settings, placeholder_credentials=cloud.placeholder_credentials)

        control = session()
        template = stack.default_template_path().read_text()
        outputs = stack.deploy(control.cloudformation(), STACK, template, {}).outputs
        services = Runner(SERVICES.values(), outputs, session, WorkerOptions(wait_seconds=5))
        services.start()
        events = list(ConsumerFactory(seed=16).events(args.events))
        published = Producer(session().sns(), outputs["TopicArn"]).publish(events)
        if published.failed:
            sys.exit(f"publishing failed: {published.failures[:3]}")
        print(f"{args.events} events published; DynamoDB down for {args.outage_seconds:.0f} s")
        ride_out(cloud, control, outputs, services, args.outage_seconds)
        recovered = time.monotonic()
        pause = threading.Event()
        while time.monotonic() < recovered + 300 and services.alive:
            if all(run.done >= args.events for run in services.runs):
                break
            pause.wait(0.5)
        caught_up = time.monotonic() - recovered
        services.stop()
        ok = verify(control, outputs, services, {str(e.event_id) for e in events})
    print(f"caught up {caught_up:.1f} s after the outage ended")
    print("PASS" if ok else "FAIL")
    print(
        f"reproduce: {Path(sys.executable).name} bench/outage.py --events {args.events} "
        f"--outage-seconds {args.outage_seconds:g}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
