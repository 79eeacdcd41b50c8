"""Invocation logs in CloudWatch Logs, in the lines Lambda writes.

Every invocation writes to the log group `/aws/lambda/<function>` (created if absent,
as Lambda does; a group the template declares keeps its retention), in the stream of
its execution environment (`YYYY/MM/DD/[$LATEST]<id>`, one per worker process):

    START RequestId: <id> Version: $LATEST
    <each line the function wrote>
    END RequestId: <id>
    REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t
        Max Memory Used: 41 MB\tInit Duration: 310.52 ms   (on a cold start)

A timeout adds `<time> <id> Task timed out after 3.00 seconds`, a crash the runtime's
`RequestId: <id> Error: Runtime exited with error: signal: killed`. Billed Duration is
the duration rounded up to the millisecond, plus the init duration on a cold start
(Lambda bills the init phase of on-demand functions since August 2025). A later cost
report reads the REPORT lines.

The writes go to moto's Logs backend in this process, through the snapshot gate.
Known limit: the group's RetentionInDays is stored, not enforced (moto keeps events).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from moto.logs.models import logs_backends

from messaging.localcloud.awslambda.workers import Outcome
from messaging.localcloud.state.gate import gate

__all__ = ["billed_ms", "invocation_lines", "report_line", "write_lines"]


def billed_ms(outcome: Outcome) -> int:
    return math.ceil(outcome.duration_ms + (outcome.init_ms or 0.0))


def report_line(request_id: str, outcome: Outcome, memory_mb: int) -> str:
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\t"
        f"Billed Duration: {billed_ms(outcome)} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {max(outcome.max_memory_mb, 1)} MB"
    )
    if outcome.init_ms is not None:
        line += f"\tInit Duration: {outcome.init_ms:.2f} ms"
    if outcome.status == "timeout":
        line += "\tStatus: timeout"
    elif outcome.status == "crash":
        line += "\tStatus: error\tError Type: Runtime.ExitError"
    return line


def invocation_lines(
    request_id: str, outcome: Outcome, memory_mb: int, timeout_s: float
) -> list[str]:
    lines = [f"START RequestId: {request_id} Version: $LATEST", *outcome.output]
    if outcome.status == "timeout":
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        lines.append(f"{stamp} {request_id} Task timed out after {timeout_s:.2f} seconds")
    elif outcome.status == "crash" and outcome.error:
        lines.append(str(outcome.error["errorMessage"]))
        lines.append("Runtime.ExitError")
    lines.append(f"END RequestId: {request_id}")
    lines.append(report_line(request_id, outcome, memory_mb))
    return lines


def write_lines(account_id: str, region: str, group: str, stream: str, lines: list[str]) -> None:
    """Append lines to a stream, creating the group and stream if absent."""
    now = int(time.time() * 1000)
    events: list[dict[str, Any]] = [{"timestamp": now, "message": line} for line in lines]
    with gate.shared():
        backend = logs_backends[account_id][region]
        backend.ensure_log_group(group)
        log_group = backend.groups[group]
        if stream not in log_group.streams:
            log_group.create_log_stream(stream)
        backend.put_log_events(group, stream, events)
