"""The Lambda shell over the consumer core: an SQS event in, `batchItemFailures` out.

The function runs behind an SQS event source mapping with `ReportBatchItemFailures`.
Lambda calls `handler(event, context)` with a batch of queue records; the records go to
the same pure `process_batch` the long-running worker uses (one store commit for the
whole batch), and every message that was not applied or found duplicate is named
in the answer, so that only those stay on the queue: a handler failure, a commit
failure, and an undecodable (poison) message too, which comes back until the queue's
maxReceiveCount moves it to the DLQ. An exception (an event that is not an SQS batch,
a function without its configuration) fails the whole batch, as Lambda treats it.

Why not aws-lambda-powertools' `BatchProcessor`, the model of this shape: it runs a
record handler per record and routes each to success or failure, so every record would
be its own store commit (ten commits, one after another, for a batch of ten).
`process_batch` is the same loop, once for the batch (its puts go out together); the
answer has the same shape.

Configuration, from the function's environment (nothing secret): `MESSAGING_SERVICE`
(orders or payments) and `MESSAGING_TABLE_NAME`. The DynamoDB client is boto3's, from
Lambda's own `AWS_REGION`, credentials and (locally) `AWS_ENDPOINT_URL`, with the one
retry policy (`core.retry.default_config`). It is made on the first invocation and kept
for the warm process, so importing this module needs no environment.

Each invocation writes one JSON line to stdout (Lambda's log stream), next to the
REPORT line Lambda writes itself: the service, the records and what became of them,
and the AWS calls the invocation made, by `service:Operation` (from botocore's
`before-send`, retries included), and their billing units by the same key (`aws_usage`:
requests, write units, ..., from `core.metering.UsageMeter`), which is what the cost
model prices. Nothing secret is in it: no bodies, no credentials.

Imports: `core`, `consumer.batch`, `store` and boto3, nothing else of this project and
none of the local cloud, the CLI, the lake or the simulation (a test enforces it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config

from messaging.consumer.batch import BatchResult, Disposition, Message, process_batch
from messaging.core.metering import UsageMeter
from messaging.core.metrics import RequestCounter
from messaging.core.retry import default_config
from messaging.core.services import SERVICES, Service
from messaging.core.signing import SignatureWaiver
from messaging.errors import MessagingError
from messaging.store import DynamoStore, Store

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "LOG_TYPE",
    "SERVICE_VARIABLE",
    "TABLE_VARIABLE",
    "EventError",
    "Function",
    "FunctionConfigError",
    "handler",
]

SERVICE_VARIABLE: Final = "MESSAGING_SERVICE"
TABLE_VARIABLE: Final = "MESSAGING_TABLE_NAME"
LOG_TYPE: Final = "messaging.batch"  # the `type` of the one JSON line per invocation
MAX_LOGGED_LATENCIES: Final = 100  # per line: a big batch logs a sample, not every event


class FunctionConfigError(MessagingError):
    """The function's environment does not say which service and table it is."""


class EventError(MessagingError):
    """The event is not an SQS batch: the whole invocation fails, nothing is deleted."""


def records(event: Any) -> list[Message]:
    """The messages of a Lambda SQS event, in order."""
    listed = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(listed, list):
        raise EventError("the event has no Records list: this function takes SQS batches")
    messages = []
    for index, record in enumerate(listed):
        if not isinstance(record, Mapping) or record.get("eventSource") != "aws:sqs":
            raise EventError(f"record {index} is not an SQS message (eventSource aws:sqs)")
        if not record.get("messageId"):
            raise EventError(f"record {index} has no messageId to report a failure by")
        messages.append(Message.from_lambda(record))
    return messages


def _dynamodb_client(
    calls: RequestCounter, usage: UsageMeter, region: str | None
) -> DynamoDBClient:
    # No client-side parameter validation, as `ops.aws.Aws.dynamodb` explains: DynamoDB
    # validates every request itself, and the store serialises with boto3's serialiser.
    config = default_config().merge(Config(parameter_validation=False))
    session = boto3.Session()
    client: DynamoDBClient = session.client("dynamodb", region_name=region, config=config)
    client.meta.events.register("before-send", calls.on_before_send)
    usage.register(client.meta.events)
    SignatureWaiver.of_session(session).register(client.meta.events)
    return client


@dataclass
class Function:
    """One service's function: its handler, its store, and the calls it makes."""

    service: Service
    store: Store
    calls: RequestCounter
    out: Callable[[str], object] = sys.stdout.write
    clock: Callable[[], float] = time.time
    usage: UsageMeter = field(default_factory=UsageMeter)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Function:
        name = environ.get(SERVICE_VARIABLE, "")
        if name not in SERVICES:
            raise FunctionConfigError(
                f"{SERVICE_VARIABLE} is {name!r}; set it to one of {', '.join(SERVICES)}"
            )
        table = environ.get(TABLE_VARIABLE, "")
        if not table:
            raise FunctionConfigError(f"{TABLE_VARIABLE} is not set; set it to the table name")
        calls, usage = RequestCounter(), UsageMeter()
        # Lambda sets AWS_REGION (and AWS_DEFAULT_REGION, the one botocore reads).
        client = _dynamodb_client(calls, usage, environ.get("AWS_REGION"))
        return cls(SERVICES[name], DynamoStore(client, table), calls, usage=usage)

    def __call__(self, event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
        messages = records(event)
        self.calls.take()  # calls made outside an invocation are not this one's
        self.usage.take()
        result = process_batch(messages, self.service.handle, self.store)
        self.out(self._log_line(result, getattr(context, "aws_request_id", None)) + "\n")
        return {"batchItemFailures": result.batch_item_failures()}

    def _log_line(self, result: BatchResult, request_id: str | None) -> str:
        outcomes = Counter(r.disposition.value for r in result.results)
        wall = self.clock()
        latencies = [
            round((wall - r.event.occurred_at.timestamp()) * 1000, 1)
            for r in result.with_disposition(Disposition.APPLIED)
            if r.event is not None
        ]
        line = {
            "type": LOG_TYPE,
            "service": self.service.name,
            "request_id": request_id,
            "records": len(result.results),
            **{d.value: outcomes.get(d.value, 0) for d in Disposition},
            "failures": len(result.batch_item_failures()),
            "aws_calls": self.calls.take(),
            "aws_usage": {k: v.as_dict() for k, v in sorted(self.usage.take().items())},
            "latency_ms": latencies[:MAX_LOGGED_LATENCIES],
        }
        return json.dumps(line, separators=(",", ":"), sort_keys=True)


_function: Function | None = None


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    """Lambda's entry point (`messaging.consumer.lambda_handler.handler`)."""
    global _function  # noqa: PLW0603 - one Function per warm process, made on first use
    if _function is None:
        _function = Function.from_environment()
    return _function(event, context)
