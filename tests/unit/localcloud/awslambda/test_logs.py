from __future__ import annotations

from messaging.localcloud.awslambda.logs import billed_ms, invocation_lines
from messaging.localcloud.awslambda.workers import Outcome


def test_an_invocation_writes_start_output_end_and_report() -> None:
    outcome = Outcome("ok", duration_ms=12.341, init_ms=300.5, max_memory_mb=41, output=["hi"])
    lines = invocation_lines("rid", outcome, 256, 3)
    assert lines[:3] == ["START RequestId: rid Version: $LATEST", "hi", "END RequestId: rid"]
    assert lines[3] == (
        "REPORT RequestId: rid\tDuration: 12.34 ms\tBilled Duration: 313 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 41 MB\tInit Duration: 300.50 ms"
    )


def test_billing_rounds_up_to_the_millisecond_and_warm_starts_bill_no_init() -> None:
    assert billed_ms(Outcome("ok", duration_ms=0.2)) == 1
    assert billed_ms(Outcome("ok", duration_ms=5.0)) == 5


def test_a_timeout_says_so_as_lambda_does() -> None:
    lines = invocation_lines("rid", Outcome("timeout", duration_ms=3000), 128, 3)
    assert lines[1].endswith("rid Task timed out after 3.00 seconds")
    assert lines[-1].endswith("Status: timeout")
