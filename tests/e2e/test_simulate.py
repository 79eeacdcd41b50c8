"""`messaging simulate` as a user runs it: in-process cloud, and against `messaging up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.processes import Running

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
RUN = ["--duration", "10", "--rate", "20", "--buffer-interval", "2"]
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "e2e",
    "aws_secret_access_key": "e2e",
}


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "COLUMNS": "200", **extra}


def simulate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "messaging"), "simulate", *args],
        env=env,
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


def test_simulate_on_its_own_local_cloud_proves_every_event(tmp_path: Path) -> None:
    report_path, chart = tmp_path / "r.json", tmp_path / "chart.png"
    done = simulate(
        *RUN, "--report-json", str(report_path), "--chart", str(chart), env=environment()
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: every event reached every destination, once" in done.stdout
    assert "landing_date=" in done.stdout  # the lake listing ends the report
    check_report(report_path)
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_simulate_against_up_keeps_the_stack_as_it_is_then_the_lake_query_matches(
    tmp_path: Path,
) -> None:
    up = subprocess.Popen(
        [str(BIN / "messaging"), "up", "--port", "0", "--parameter", "BufferIntervalSeconds=2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(),
    )
    running = Running(up)
    try:
        endpoint = running.wait_line("listening on").rsplit(" ", 1)[1]
        running.wait_line("Press Ctrl-C to stop.")
        env = environment(
            AWS_ENDPOINT_URL=endpoint,
            AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="e2e",
            AWS_SECRET_ACCESS_KEY="e2e",
        )
        cfn = boto3.client("cloudformation", endpoint_url=endpoint, **CREDENTIALS)  # type: ignore[call-overload]
        before = cfn.describe_stacks(StackName="messaging")["Stacks"][0]["Parameters"]
        report_path = tmp_path / "r.json"
        done = simulate(
            "--duration", "10", "--rate", "20", "--report-json", str(report_path), env=env
        )
        assert done.returncode == 0, done.stdout + done.stderr
        # No parameter option: the stack is used as it is, and the run says what it found.
        assert "Using stack messaging as it is" in done.stderr
        assert "Firehose buffering: 2 s" in done.stderr
        assert "waits up to 32 s for the lake" in done.stderr
        assert cfn.describe_stacks(StackName="messaging")["Stacks"][0]["Parameters"] == before
        report = check_report(report_path)
        assert report["endpoint"] == endpoint
        query = subprocess.run(
            [
                str(BIN / "messaging"),
                "lake",
                "query",
                "select count(distinct event_id) as n from events",
                "--format",
                "json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert json.loads(query.stdout) == [{"n": report["produced"]}]
    finally:
        up.terminate()
        up.wait(timeout=60)


def test_simulate_survives_injected_faults_and_latency(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    done = simulate(
        "--duration",
        "8",
        "--rate",
        "30",
        "--buffer-interval",
        "2",
        "--fault-rate",
        "0.05",
        "--latency-ms",
        "5",
        "--fault-seed",
        "3",
        "--report-json",
        str(report_path),
        env=environment(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = check_report(report_path)
    assert report["faults_injected"] > 0


def test_fault_flags_need_the_in_process_cloud() -> None:
    done = simulate(
        "--fault-rate", "0.1", "--endpoint-url", "http://127.0.0.1:9", env=environment()
    )
    assert done.returncode == 2
    assert "fault injection needs the in-process local cloud" in done.stderr
