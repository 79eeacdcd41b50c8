"""The local cloud in a child process: it serves, takes the fault plan, and dies with its parent."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from messaging.localcloud.faults import FaultPlan
from messaging.localcloud.process import CloudProcess, _plan, _plan_json
from tests.support import wait_for

pytestmark = pytest.mark.integration


def test_the_fault_plan_crosses_to_the_child_unchanged() -> None:
    plan = FaultPlan(
        latency_ms=2, fault_rate=0.5, operations=frozenset({"sqs:*"}), seed=3, kinds=("throttle",)
    )
    assert _plan(_plan_json(plan)) == plan
    assert _plan(_plan_json(None)) is None


def test_it_serves_injects_the_plan_and_says_what_it_injected() -> None:
    plan = FaultPlan(fault_rate=1.0, operations=frozenset({"sqs:ListQueues"}), kinds=("throttle",))
    cloud = CloudProcess(faults=plan).start()
    try:
        key, secret = cloud.placeholder_credentials
        sqs = boto3.client(
            "sqs",
            endpoint_url=cloud.endpoint_url,
            region_name=cloud.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        sqs.create_queue(QueueName="served")  # not targeted: served
        with pytest.raises(ClientError) as raised:
            sqs.list_queues()
        assert raised.value.response["Error"]["Code"] == "RequestThrottled"
    finally:
        stopped = cloud.stop()
    assert stopped.faults_injected == 1
    assert stopped.undelivered == 0


def _gone(pid: int) -> bool:
    """Exited (a zombie nobody reaped is exited too)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return True
    return fields[0] in {"Z", "X"}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_it_never_outlives_a_parent_killed_outright() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time
                from messaging.localcloud.process import CloudProcess
                cloud = CloudProcess().start()
                print(cloud.pid, flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not _gone(child)
    parent.kill()  # SIGKILL: no handler, no finally, no atexit runs
    parent.wait()
    wait_for(lambda: _gone(child), timeout=30)
