"""`messaging simulate` as a user runs it, against one `messaging up` shared by the module.

The run on its own in-process cloud is `test_packaging.py`'s, from the built wheel. These
tests are about the run's ledger, interruption and outputs, so the services run as workers
(`ServicesHost=external`, `--services workers`): the workers report every result by event
id, and a backlog stays in the queues until a run consumes it. The services on Lambda are
`tests/integration/test_simulate.py`'s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import wait_for
from tests.support.processes import BIN, Cloud, start_cloud

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def up() -> Iterator[Cloud]:
    cloud = start_cloud(
        "--parameter", "BufferIntervalSeconds=2", "--parameter", "ServicesHost=external"
    )  # fmt: skip
    try:
        yield cloud
    finally:
        cloud.stop()


def simulate(up: Cloud, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "messaging"), "simulate", "--services", "workers", *args],
        env=up.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def check_report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text())
    assert report["produced"] > 0
    assert report["produced"] == report["orders_stored"] == report["payments_stored"]
    assert report["produced"] == report["lake_distinct_events"]
    assert (report["lost"], report["duplicate_effects"]) == (0, 0)
    assert report["dlq"] == {"orders": 0, "payments": 0}
    assert set(report["latency_ms"]) == {"p50", "p95", "p99"}
    assert report["partitions"]
    return report


def queue_is_empty(up: Cloud, queue_url: str) -> bool:
    attributes = up.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def test_a_backlog_is_reported_apart_never_as_duplicates_and_the_stack_is_kept(
    up: Cloud, tmp_path: Path
) -> None:
    """The issue's reproduction: a backlog, part of it consumed (orders only), then a run.

    The module's first run, so the lake holds the backlog and the run's events only.
    """
    cfn = up.client("cloudformation")
    before = cfn.describe_stacks(StackName="messaging")["Stacks"][0]["Parameters"]
    assert up.run_json("produce", "--count", "100")["published"] == 100
    consumed = up.run_json("consume", "orders", "--max-messages", "40")
    assert consumed["orders"]["received"] == 40
    report_path = tmp_path / "r.json"
    done = simulate(up, "--duration", "3", "--rate", "20", "--report-json", str(report_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: every event reached every destination, once" in done.stdout
    report = check_report(report_path)  # 0 lost, 0 duplicate effects: the run's own events
    assert report["endpoint"] == up.endpoint
    assert report["interrupted"] is False
    # Consumed by the run's services, apart from the run's own events.
    assert report["backlog"] == {
        "orders": {"applied": 60, "duplicates": 0},
        "payments": {"applied": 100, "duplicates": 0},
    }
    assert "backlog (events there before the run, not judged)" in done.stdout
    # No parameter option: the stack is used as it is, and the run says what it found.
    assert "Using stack messaging as it is" in done.stderr
    assert "Firehose buffering: 2 s" in done.stderr
    assert "waits up to 32 s for the lake" in done.stderr
    assert cfn.describe_stacks(StackName="messaging")["Stacks"][0]["Parameters"] == before
    query = subprocess.run(
        [
            str(BIN / "messaging"),
            "lake",
            "query",
            "select count(distinct event_id) as n from events",
            "--format",
            "json",
        ],
        env=up.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(query.stdout) == [{"n": report["produced"] + 100}]


def test_ctrl_c_stops_producing_then_verifies_every_event_and_reports_interrupted(
    up: Cloud, tmp_path: Path
) -> None:
    report_path, chart = tmp_path / "r.json", tmp_path / "chart.png"
    outputs = up.outputs()
    dynamodb = up.client("dynamodb")

    def stored() -> int:
        return int(dynamodb.scan(TableName=outputs["PaymentsTableName"], Select="COUNT")["Count"])

    before = stored()  # earlier tests' items
    running = up.spawn(
        "simulate",
        "--services",
        "workers",
        *("--duration", "60", "--rate", "20"),
        *("--report-json", str(report_path), "--chart", str(chart)),
    )
    try:
        # Mid-run: the services have stored events, and the producer has more to go.
        wait_for(lambda: stored() >= before + 20, timeout=120, interval=0.5)
        running.process.send_signal(signal.SIGINT)
        running.wait_line("Interrupted after", timeout=30)
        assert running.process.wait(timeout=120) == 130
    finally:
        running.process.kill()
    running.wait_line("report:", timeout=10)
    output = "\n".join(running.seen)
    assert "OK: every event reached every destination, once (interrupted" in output
    report = check_report(report_path)
    assert report["interrupted"] is True
    assert report["produced"] < 60 * 20  # it stopped early
    assert report["producing_seconds"] < 60
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert queue_is_empty(up, outputs["OrdersQueueUrl"])


def test_output_paths_are_checked_before_the_run(up: Cloud, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = simulate(up, "--duration", "60", "--report-json", str(blocker / "r.json"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: --report-json {blocker / 'r.json'} cannot be written")
    assert "Traceback" not in done.stderr
    assert "Using stack" not in done.stderr  # nothing ran
    done = simulate(up, "--duration", "60", "--chart", str(tmp_path / "chart.txt"))
    assert done.returncode == 2
    assert "unknown image format 'txt'" in done.stderr


def test_fault_flags_need_the_cloud_simulate_starts(up: Cloud) -> None:
    done = simulate(up, "--fault-rate", "0.1")
    assert done.returncode == 2
    assert "fault injection needs the local cloud simulate starts" in done.stderr


def test_a_second_ctrl_c_aborts_at_once_saying_what_was_not_verified(
    up: Cloud, tmp_path: Path
) -> None:
    """The module's last run against `up`: it leaves the queues as the abort found them."""
    report_path = tmp_path / "r.json"
    outputs = up.outputs()
    dynamodb = up.client("dynamodb")

    def stored() -> int:
        return int(dynamodb.scan(TableName=outputs["OrdersTableName"], Select="COUNT")["Count"])

    before = stored()
    running = up.spawn(
        "simulate",
        "--services",
        "workers",
        "--duration",
        "60",
        "--rate",
        "20",
        "--report-json",
        str(report_path),
    )
    try:
        wait_for(lambda: stored() > before, timeout=120, interval=0.5)  # producing
        running.process.send_signal(signal.SIGINT)
        running.wait_line("Ctrl-C again aborts without verifying", timeout=30)
        running.process.send_signal(signal.SIGINT)
        line = running.wait_line("aborted while", timeout=30)
        assert running.process.wait(timeout=30) == 130
    finally:
        running.process.kill()
    assert "events were published; not verified: " in line
    assert line.endswith("No report was written.")
    assert "Traceback" not in "\n".join(running.seen)
    assert not report_path.exists()


def test_simulate_survives_injected_faults_and_latency(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            str(BIN / "messaging"),
            "simulate",
            "--services",
            "workers",
            *("--duration", "8", "--rate", "30", "--buffer-interval", "2"),
            *("--fault-rate", "0.05", "--latency-ms", "5", "--fault-seed", "3"),
            *("--report-json", str(report_path)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = check_report(report_path)
    assert report["faults_injected"] > 0
