"""A whole simulation in-process against the local cloud over HTTP."""

from __future__ import annotations

import pytest

from messaging.localcloud.server import LocalCloud
from messaging.ops.settings import Settings
from messaging.simulation.run import Simulation, SimulationOptions

pytestmark = pytest.mark.integration


def test_a_short_run_delivers_every_event_everywhere(cloud: LocalCloud, name_prefix: str) -> None:
    settings = Settings(
        endpoint_url=cloud.endpoint_url, region=cloud.region, stack_name=f"{name_prefix}sim"
    )
    options = SimulationOptions(
        rate=40, duration=3, seed=11, buffer_interval=1, name_prefix=name_prefix, poll_seconds=1
    )
    simulation = Simulation(
        settings, options, placeholder_credentials=cloud.placeholder_credentials
    )
    report = simulation.run()
    assert report.ok, report
    # Paced at 40/s for 3 s: never more than that. How many fewer depends on the machine's
    # load (Faker and the local cloud share this process), so below it only has to produce.
    assert 0 < report.produced <= 40 * 3 + 1
    assert report.orders_stored == report.payments_stored == report.produced
    assert report.lake_distinct_events == report.produced
    assert report.lake_objects >= 1
    assert report.dlq == {"orders": 0, "payments": 0}
    assert report.latency_ms["p50"] is not None
    assert set(report.api_requests) >= {"producer", "orders", "payments", "control", "monitor"}
    assert simulation.samples[-1].published == report.produced
    assert {s.phase for s in simulation.samples} >= {"producing"}
