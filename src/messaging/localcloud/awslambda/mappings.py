"""SQS event source mappings: what Lambda accepts, and what each mapping has done.

Validation, as CreateEventSourceMapping and UpdateEventSourceMapping answer for an SQS
source (InvalidParameterValueException unless said otherwise):

- BatchSize 1-10,000 (default 10); above 10 only with MaximumBatchingWindowInSeconds of
  at least 1; MaximumBatchingWindowInSeconds 0-300;
- FunctionResponseTypes only `ReportBatchItemFailures`;
- ScalingConfig.MaximumConcurrency 2-1,000;
- FilterCriteria: at most 5 filters, each a valid pattern of at most 4,096 characters;
- the queue's visibility timeout must not be less than the function's timeout;
- one mapping per queue and function (ResourceConflictException);
- parameters that belong to stream sources (StartingPosition, ParallelizationFactor,
  BisectBatchOnFunctionError, MaximumRetryAttempts, MaximumRecordAgeInSeconds,
  TumblingWindowInSeconds, DestinationConfig...) are refused.

Refused by the local cloud although AWS accepts them (it could not honour them):
non-SQS sources (Kinesis, DynamoDB streams, Kafka, MQ), FIFO queues,
ProvisionedPollerConfig, MetricsConfig, KMSKeyArn.

`MappingStats` counts what the mapping did; the local cloud adds it to
GetEventSourceMapping and ListEventSourceMappings as `LocalCloudStatistics` (SDKs ignore
members they do not know): invocations, their errors, records delivered, deleted,
filtered out, current and peak concurrency, throttles, and the mapping's own SQS
requests (a long poll that waited 20 s is one ReceiveMessage, as it is on AWS; deletes
count as DeleteMessageBatch calls of up to 10).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, cast

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.events.exceptions import InvalidEventPatternException
from moto.events.models import EventPattern, EventPatternParser

__all__ = [
    "MAX_BATCH_SIZE",
    "MappingStats",
    "RecordFilter",
    "check_mapping",
    "effective_concurrency",
]

MAX_BATCH_SIZE = 10_000
MAX_WINDOW = 300
MAX_FILTERS = 5
MAX_PATTERN = 4096
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 1000

STREAM_ONLY = (
    "StartingPosition",
    "StartingPositionTimestamp",
    "ParallelizationFactor",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
    "DestinationConfig",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
)
NOT_HONOURED = ("ProvisionedPollerConfig", "MetricsConfig", "KMSKeyArn")


def _invalid(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def _int(spec: dict[str, Any], name: str) -> int | None:
    value = spec.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"{name} must be an integer") from None


def check_mapping(spec: dict[str, Any], current: dict[str, Any] | None = None) -> None:
    """Refuse what Lambda refuses for an SQS mapping (`current`: the values kept on update)."""
    merged = {**(current or {}), **{k: v for k, v in spec.items() if v is not None}}
    for name in STREAM_ONLY:
        if spec.get(name) not in (None, [], {}):
            raise _invalid(f"Unsupported {name} parameter for given event source mapping type.")
    for name in NOT_HONOURED:
        if spec.get(name) not in (None, [], {}):
            raise _invalid(f"{name} is not supported by the local cloud.")
    batch = _int(merged, "BatchSize")
    batch = 10 if batch is None else batch
    window = _int(merged, "MaximumBatchingWindowInSeconds") or 0
    if not 1 <= batch <= MAX_BATCH_SIZE:
        raise _invalid(f"BatchSize must be between 1 and {MAX_BATCH_SIZE}.")
    if not 0 <= window <= MAX_WINDOW:
        raise _invalid(f"MaximumBatchingWindowInSeconds must be between 0 and {MAX_WINDOW}.")
    if batch > 10 and window < 1:
        raise _invalid(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size "
            "is greater than 10"
        )
    responses = merged.get("FunctionResponseTypes") or []
    if any(kind != "ReportBatchItemFailures" for kind in responses):
        raise _invalid(
            f"FunctionResponseTypes must contain only ReportBatchItemFailures (got {responses})."
        )
    scaling = merged.get("ScalingConfig") or {}
    maximum = _int(scaling, "MaximumConcurrency")
    if maximum is not None and not MIN_CONCURRENCY <= maximum <= MAX_CONCURRENCY:
        raise _invalid(
            f"ScalingConfig.MaximumConcurrency must be between {MIN_CONCURRENCY} and "
            f"{MAX_CONCURRENCY}."
        )
    RecordFilter.parse(merged.get("FilterCriteria"))


def effective_concurrency(scaling: dict[str, Any] | None, function_limit: int) -> int:
    """How many invocations a mapping may run at once."""
    maximum = (scaling or {}).get("MaximumConcurrency")
    return max(1, min(function_limit, int(maximum) if maximum else function_limit))


class RecordFilter:
    """FilterCriteria: a record passes when any pattern matches (EventBridge syntax).

    A pattern on `body` that is an object matches the body parsed as JSON; a body that
    is not JSON then never matches. Matching uses moto's EventBridge pattern engine.
    """

    def __init__(self, patterns: list[dict[str, Any]]) -> None:
        self.patterns = patterns
        self._engines = [EventPattern(json.dumps(p), p) for p in patterns]

    @classmethod
    def parse(cls, criteria: dict[str, Any] | None) -> RecordFilter:
        filters = (criteria or {}).get("Filters") or []
        if len(filters) > MAX_FILTERS:
            raise _invalid(f"FilterCriteria may hold at most {MAX_FILTERS} filters.")
        patterns = []
        for entry in filters:
            raw = entry.get("Pattern") if isinstance(entry, dict) else None
            if not isinstance(raw, str) or len(raw) > MAX_PATTERN:
                raise _invalid(f"Invalid filter pattern definition: {raw!r}")
            try:
                pattern = EventPatternParser(raw).parse()
            except InvalidEventPatternException:
                raise _invalid(f"Invalid filter pattern definition: {raw}") from None
            if not isinstance(pattern, dict) or not pattern:
                raise _invalid(f"Invalid filter pattern definition: {raw}")
            patterns.append(pattern)
        return cls(patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, record: dict[str, Any]) -> bool:
        if not self.patterns:
            return True
        for pattern, engine in zip(self.patterns, self._engines, strict=True):
            candidate = record
            if isinstance(pattern.get("body"), dict):
                try:
                    body = json.loads(record["body"])
                except ValueError:
                    continue  # a JSON pattern never matches a body that is not JSON
                if not isinstance(body, dict):
                    continue
                candidate = {**record, "body": body}
            if engine.matches_event(cast("Any", candidate)):
                return True
        return False


@dataclass
class MappingStats:
    """What one mapping has done (see the module docstring); pickles without its lock."""

    invocations: int = 0
    invocation_errors: int = 0
    records: int = 0
    deleted: int = 0
    filtered: int = 0
    failed_records: int = 0
    throttles: int = 0
    concurrency: int = 0
    peak_concurrency: int = 0
    pollers: int = 0
    sqs_requests: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def request(self, operation: str, count: int = 1) -> None:
        with self._lock:
            self.sqs_requests[operation] = self.sqs_requests.get(operation, 0) + count

    def running(self, delta: int) -> None:
        with self._lock:
            self.concurrency += delta
            self.peak_concurrency = max(self.peak_concurrency, self.concurrency)

    def document(self) -> dict[str, Any]:
        with self._lock:
            return {
                "Invocations": self.invocations,
                "InvocationErrors": self.invocation_errors,
                "Records": self.records,
                "Deleted": self.deleted,
                "FilteredOut": self.filtered,
                "FailedRecords": self.failed_records,
                "Throttles": self.throttles,
                "Concurrency": self.concurrency,
                "PeakConcurrency": self.peak_concurrency,
                "Pollers": self.pollers,
                "SqsRequests": dict(self.sqs_requests),
            }

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "_lock"}
        state["concurrency"] = 0
        state["pollers"] = 0
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
