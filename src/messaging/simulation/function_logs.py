"""What the Lambda functions did, read back from their CloudWatch Logs.

A function's work is not in this process, so a simulation reads it where Lambda puts
it, on AWS and on the local cloud alike: the log group `/aws/lambda/<function>`. Two
lines per invocation count:

- the handler's JSON line (`type` `messaging.batch`, see
  `messaging.consumer.lambda_handler`): the records and what became of them, the AWS
  calls the invocation made, their billing units (`aws_usage`, see
  `messaging.core.metering`), and publish -> stored latencies;
- Lambda's `REPORT RequestId: ... Duration: ... Billed Duration: ...` line, one per
  invocation whatever its end, so an invocation with a REPORT line and no handler line
  ended in an error (an exception, a timeout, a killed process). Its billed duration
  and memory size give the invocation's GB-seconds, which Lambda bills.

Every line read counts towards the bytes CloudWatch Logs ingested (its message only;
CloudWatch's per-event overhead is left out).

Events are read with `messaging.ops.log_window.LogReader`, each once, from a window that
trails the newest event seen, because CloudWatch may ingest an event late.

Known limits: on AWS, lines reach CloudWatch Logs seconds after they are written, so
counts lag; concurrency is estimated from the REPORT durations of the last window
(Little's law: busy milliseconds per millisecond), not read from Lambda's metrics.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Final

from messaging.core.metering import Usage, merge
from messaging.core.metrics import Latencies

__all__ = ["BATCH_LINE_TYPE", "FunctionActivity", "parse_report"]

BATCH_LINE_TYPE: Final = "messaging.batch"  # the handler's `LOG_TYPE`
_REPORT: Final = re.compile(
    r"^REPORT RequestId: (?P<request>\S+)\s+Duration: (?P<duration>[\d.]+) ms\s+"
    r"Billed Duration: (?P<billed>\d+) ms\s+Memory Size: (?P<memory>\d+) MB\s+"
    r"Max Memory Used: (?P<used>\d+) MB"
)
_OUTCOMES: Final = ("applied", "duplicate", "retry", "poison", "failures")


@dataclass(frozen=True)
class Report:
    """One REPORT line."""

    request_id: str
    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_used_mb: int


def parse_report(message: str) -> Report | None:
    matched = _REPORT.match(message.strip())
    if matched is None:
        return None
    return Report(
        matched["request"],
        float(matched["duration"]),
        int(matched["billed"]),
        int(matched["memory"]),
        int(matched["used"]),
    )


@dataclass
class FunctionActivity:
    """One function's invocations and outcomes, summed from its log lines."""

    invocations: int = 0  # REPORT lines
    batches: int = 0  # handler lines: invocations that returned an answer
    records: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # applied, duplicate, ...
    aws_calls: Counter[str] = field(default_factory=Counter)  # "dynamodb:TransactWriteItems"
    billed_ms: int = 0
    gb_seconds: float = 0.0  # billed duration x memory size, as Lambda bills it
    log_bytes: int = 0  # every line read: what CloudWatch Logs ingested
    usage: dict[str, Usage] = field(default_factory=dict)  # the handler's `aws_usage`
    latencies: Latencies = field(default_factory=Latencies)
    busy: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=10_000))

    @property
    def done(self) -> int:
        """Events applied or found duplicate."""
        return self.outcomes["applied"] + self.outcomes["duplicate"]

    @property
    def errors(self) -> int:
        """Invocations that ended without the handler's answer (exception, timeout, kill)."""
        return max(0, self.invocations - self.batches)

    def add(self, timestamp_ms: int, message: str) -> None:
        self.log_bytes += len(message.encode())
        report = parse_report(message)
        if report is not None:
            self.invocations += 1
            self.billed_ms += report.billed_ms
            self.gb_seconds += report.billed_ms / 1000 * report.memory_mb / 1024
            self.busy.append((timestamp_ms, report.duration_ms))
            return
        line = _batch_line(message)
        if line is None:
            return
        self.batches += 1
        self.records += int(line.get("records", 0))
        for outcome in _OUTCOMES:
            self.outcomes[outcome] += int(line.get(outcome, 0))
        self.aws_calls.update({str(k): int(v) for k, v in (line.get("aws_calls") or {}).items()})
        usage = line.get("aws_usage") or {}
        if isinstance(usage, dict):
            merge(
                self.usage,
                {str(k): Usage.from_dict(v) for k, v in usage.items() if isinstance(v, dict)},
            )
        for value in line.get("latency_ms") or []:
            self.latencies.add(float(value))

    def concurrency(self, now_ms: int, window_ms: int = 5_000) -> float:
        """Average invocations in flight over the last window (busy ms / window ms)."""
        start = now_ms - window_ms
        busy = 0.0
        for ended, duration in self.busy:
            began = ended - duration
            busy += max(0.0, min(ended, now_ms) - max(began, start))
        return busy / window_ms


def _batch_line(message: str) -> dict[str, Any] | None:
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        line = json.loads(text)
    except ValueError:
        return None
    if not isinstance(line, dict) or line.get("type") != BATCH_LINE_TYPE:
        return None
    return line
