"""The functions' lines, as Lambda and the handler write them, read back for the bill."""

from __future__ import annotations

import json

import pytest

from messaging.simulation.function_logs import FunctionActivity, parse_report

# As Lambda writes it (and the local runtime, localcloud/awslambda/logs.py), cold start.
REPORT = (
    "REPORT RequestId: 3f1c\tDuration: 12.34 ms\tBilled Duration: 323 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 41 MB\tInit Duration: 310.52 ms"
)
HANDLER = json.dumps(
    {
        "type": "messaging.batch",
        "service": "orders",
        "records": 10,
        "applied": 10,
        "aws_calls": {"dynamodb:PutItem": 10},
        "aws_usage": {"dynamodb:PutItem": {"requests": 10, "records": 10, "write_units": 10}},
    }
)


def test_the_report_line_gives_gb_seconds() -> None:
    report = parse_report(REPORT)
    assert report is not None
    assert (report.billed_ms, report.memory_mb) == (323, 256)
    activity = FunctionActivity()
    activity.add(0, REPORT)
    assert activity.gb_seconds == pytest.approx(0.323 * 0.25)


def test_the_handler_line_gives_its_usage_and_every_line_its_bytes() -> None:
    activity = FunctionActivity()
    for line in (HANDLER, HANDLER, "START RequestId: 3f1c Version: $LATEST"):
        activity.add(0, line)
    usage = activity.usage["dynamodb:PutItem"]
    assert (usage.requests, usage.write_units) == (20, 20.0)
    assert activity.log_bytes == 2 * len(HANDLER) + len("START RequestId: 3f1c Version: $LATEST")
