"""Thousands of events through 5% injected faults and killed consumers: nothing lost, nothing twice.

The local cloud runs in its own process with every operation failing at 5% (throttling,
500, 503, connections dropped before or after being served). The producer and each
service run as processes; each service is killed with SIGKILL once mid-run and
restarted. Afterwards both stores hold exactly the produced events, once each
(every item records the event that created it), the lake holds every event id, and the
DLQs are empty.

`make test` runs it with 3,000 events (the budget of the whole suite is 10 minutes); `make chaos`
runs the full 10,000 (`MESSAGING_CHAOS_EVENTS`). The kills happen at the same fractions of the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from typing import Any

import pytest

from messaging.producer.fakes import ConsumerFactory
from tests.support import wait_for
from tests.support.processes import BIN, Cloud, Running

pytestmark = pytest.mark.chaos

EVENTS = int(os.environ.get("MESSAGING_CHAOS_EVENTS", "3000"))
SEED = 5


def stored(cloud: Cloud, table: str) -> int:
    """Progress, cheaply: the local cloud's ItemCount is live (AWS refreshes it every ~6 h,
    so `status` scans instead; here a scan per poll would load the cloud under test)."""
    return int(cloud.client("dynamodb").describe_table(TableName=table)["Table"]["ItemCount"])


def items(cloud: Cloud, table: str) -> list[dict[str, Any]]:
    pages = (
        cloud.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=table, ProjectionExpression="consumer_id, event_id")
    )
    return [item for page in pages for item in page["Items"]]


def kill_and_restart(
    cloud: Cloud, worker: Running, service: str, table: str, after: int
) -> Running:
    wait_for(lambda: stored(cloud, table) >= after, timeout=300, interval=0.5)
    worker.process.send_signal(signal.SIGKILL)  # no chance to finish anything
    worker.process.wait(timeout=30)
    return cloud.consumer(service)


@pytest.mark.timeout(900)
def test_thousands_of_events_through_faults_and_kills(cloud_factory: Any) -> None:
    cloud: Cloud = cloud_factory(
        "--fault-rate",
        "0.05",
        "--fault-seed",
        "42",
        "--parameter",
        "VisibilityTimeoutSeconds=5",
        "--parameter",
        "BufferIntervalSeconds=2",
        "--parameter",
        "MaxReceiveCount=10",
    )
    outputs = cloud.outputs()
    expected = {str(e.event_id) for e in ConsumerFactory(seed=SEED).events(EVENTS)}
    started = time.monotonic()

    workers = {name: cloud.consumer(name) for name in ("orders", "payments")}
    producer = cloud.spawn("produce", "--count", str(EVENTS), "--seed", str(SEED), "--json")
    workers["orders"] = kill_and_restart(
        cloud, workers["orders"], "orders", outputs["OrdersTableName"], after=EVENTS // 5
    )
    workers["payments"] = kill_and_restart(
        cloud, workers["payments"], "payments", outputs["PaymentsTableName"], after=2 * EVENTS // 5
    )
    produced = json.loads(producer.wait_line('"published"', timeout=900))
    assert producer.process.wait(timeout=60) == 0
    assert (produced["published"], produced["failed"]) == (EVENTS, 0)
    for worker in workers.values():  # graceful stop of the restarted services...
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(timeout=120) == 0
    drained = cloud.run_json("consume", "all", "--until-empty")  # ...then drain what is left

    status = cloud.run_json("status")
    assert status["tables"] == {"orders": EVENTS, "payments": EVENTS}
    for service in ("orders", "payments"):
        assert status["queues"][service] == {"visible": 0, "in_flight": 0, "dlq": 0}
    for table in (outputs["OrdersTableName"], outputs["PaymentsTableName"]):
        found = items(cloud, table)
        by_event = Counter(item["event_id"]["S"] for item in found)
        assert set(by_event) == expected  # every produced event, nothing else
        assert set(by_event.values()) == {1}  # and each effect exactly once
        assert len({item["consumer_id"]["S"] for item in found}) == EVENTS

    def lake_ids() -> set[str] | None:
        done = subprocess.run(
            [
                str(BIN / "messaging"),
                "lake",
                "query",
                "select distinct event_id from events",
                "--format",
                "json",
            ],
            env=cloud.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        ids = {row["event_id"] for row in json.loads(done.stdout)}
        return ids if len(ids) >= EVENTS else None

    assert wait_for(lake_ids, timeout=120, interval=2.0) == expected

    last_words = cloud.stop()
    injected = int(next(line for line in last_words if line.startswith("Injected")).split()[1])
    assert injected > 0
    print(  # the figures of the run, for the record (pytest -s shows them)
        f"\nchaos: events={EVENTS} faults_injected={injected} kills=2 "
        f"produced={produced} drained={drained} "
        f"lost=0 duplicate_effects=0 seconds={time.monotonic() - started:.0f}"
    )
