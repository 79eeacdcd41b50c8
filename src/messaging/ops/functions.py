"""The services hosted as Lambda functions: their mappings' state, and their logs.

Everything is found through the stack outputs (`OrdersFunctionName`,
`PaymentsFunctionName`); a stack whose services run elsewhere (`external`) has none,
and then there is nothing to show.

Per mapping, the Lambda API gives its state and settings on AWS and on the local cloud
alike. What it has done (invocations, errors, current and peak concurrency, the
mapping's own SQS requests) AWS publishes only as CloudWatch metrics; the local cloud
adds it to the API's answer as `LocalCloudStatistics`, which SDKs drop because the
model does not know it: it is read here from the raw answer. Against AWS those fields
are None ("-" in `messaging status`).

Logs: `/aws/lambda/<function>`, read with FilterLogEvents, each event once. Following
reads every second from a few seconds behind the newest event seen, and now and then a
minute behind it, because CloudWatch may ingest a line late, and a function's concurrent
invocations write to separate streams (`messaging.ops.log_window`). A late line is printed
when it arrives, so it may print after lines with later timestamps.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from messaging.errors import MessagingError
from messaging.ops.log_window import LogReader

if TYPE_CHECKING:
    from messaging.ops.aws import Aws

__all__ = [
    "FUNCTION_OUTPUTS",
    "FunctionStatus",
    "LogEvent",
    "LogsError",
    "function_names",
    "function_status",
    "log_events",
    "raw_mappings",
    "summed_sqs_requests",
]

FUNCTION_OUTPUTS: Mapping[str, str] = {
    "orders": "OrdersFunctionName",
    "payments": "PaymentsFunctionName",
}
FOLLOW_INTERVAL = 1.0


class LogsError(MessagingError):
    """The logs cannot be read; the message says what to do."""


class FunctionStatus(BaseModel):
    """One function and its SQS event source mapping, as `messaging status` shows it."""

    function: str
    mapping_state: str | None = None  # Enabled, Disabled, ... (None: no mapping)
    batch_size: int | None = None
    batching_window_seconds: int | None = None
    maximum_concurrency: int | None = None
    # What the mapping did: reported by the local cloud; None against AWS.
    concurrency: int | None = None
    peak_concurrency: int | None = None
    invocations: int | None = None
    invocation_errors: int | None = None
    records: int | None = None
    sqs_requests: dict[str, int] | None = None


def function_names(outputs: Mapping[str, str]) -> dict[str, str]:
    """service -> function name, for the services the stack runs on Lambda."""
    return {
        service: outputs[output]
        for service, output in FUNCTION_OUTPUTS.items()
        if outputs.get(output)
    }


def raw_mappings(client: Any, function: str) -> list[dict[str, Any]]:
    """ListEventSourceMappings as the endpoint sent it (members SDKs do not model kept)."""
    bodies: list[bytes] = []

    def keep(http_response: Any = None, **_: Any) -> None:
        if http_response is not None:
            bodies.append(http_response.content)

    event = "after-call.lambda.ListEventSourceMappings"
    client.meta.events.register(event, keep)
    try:
        mappings: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            page = client.list_event_source_mappings(
                FunctionName=function, **({"Marker": marker} if marker else {})
            )
            mappings.extend(json.loads(bodies[-1]).get("EventSourceMappings", []))
            marker = page.get("NextMarker")
            if not marker:
                return mappings
    finally:
        client.meta.events.unregister(event, keep)


def summed_sqs_requests(mappings: list[dict[str, Any]]) -> dict[str, int] | None:
    """The SQS requests of the SQS mappings among `mappings` (raw answers), summed per
    operation; None if none reports them (AWS): not counted is not zero."""
    counted: dict[str, int] = {}
    found = False
    for mapping in mappings:
        if str(mapping.get("EventSourceArn", "")).split(":")[2:3] != ["sqs"]:
            continue
        requests = (mapping.get("LocalCloudStatistics") or {}).get("SqsRequests")
        if not isinstance(requests, Mapping):
            continue
        found = True
        for operation, count in requests.items():
            counted[str(operation)] = counted.get(str(operation), 0) + int(count)
    return counted if found else None


def function_status(aws: Aws, function: str) -> FunctionStatus:
    """The function's (first) SQS mapping and what it did."""
    sqs_mappings = [
        m
        for m in raw_mappings(aws.client("lambda"), function)
        if str(m.get("EventSourceArn", "")).split(":")[2:3] == ["sqs"]
    ]
    if not sqs_mappings:
        return FunctionStatus(function=function)
    mapping = sqs_mappings[0]
    stats = mapping.get("LocalCloudStatistics") or {}
    return FunctionStatus(
        function=function,
        mapping_state=mapping.get("State"),
        batch_size=mapping.get("BatchSize"),
        batching_window_seconds=mapping.get("MaximumBatchingWindowInSeconds"),
        maximum_concurrency=(mapping.get("ScalingConfig") or {}).get("MaximumConcurrency"),
        concurrency=stats.get("Concurrency"),
        peak_concurrency=stats.get("PeakConcurrency"),
        invocations=stats.get("Invocations"),
        invocation_errors=stats.get("InvocationErrors"),
        records=stats.get("Records"),
        sqs_requests=stats.get("SqsRequests"),
    )


class LogEvent(BaseModel):
    timestamp: int  # epoch milliseconds
    stream: str
    message: str


def log_events(
    aws: Aws,
    function: str,
    *,
    since_ms: int,
    pattern: str | None = None,
    follow: bool = False,
    stop: threading.Event | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LogEvent]:
    """The function's log events from `since_ms`; with `follow`, new ones until `stop`."""
    group = f"/aws/lambda/{function}"
    reader = LogReader(aws.client("logs"), group, since_ms, pattern)
    while True:
        for event in reader.read():
            yield LogEvent(
                timestamp=int(event["timestamp"]),
                stream=str(event.get("logStreamName", "")),
                message=str(event["message"]).rstrip("\n"),
            )
        if not reader.found and not follow:
            raise LogsError(
                f"function {function} has no logs yet (log group {group} does not exist); "
                "it is created by the first invocation"
            )
        if not follow or (stop is not None and stop.is_set()):
            return
        sleep(FOLLOW_INTERVAL)
        if stop is not None and stop.is_set():
            return
