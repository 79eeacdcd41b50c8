"""What the system holds right now: queue depths, stored items, lake objects, and for
services hosted on Lambda their event source mappings (`ops.functions`).

Everything is found through the stack outputs, so the same code reads AWS or the
local cloud.

Stored items are counted the way AWS lets you count them, and the report says which:

- approximate (default): DescribeTable's `ItemCount`. Free, one request per table, and
  as fast at a million items as at ten; on AWS it is refreshed about every six hours,
  so recent writes may be missing (the local cloud's is current).
- exact (`exact=True`): a paginated `Scan` with `Select=COUNT`. A count returns no items
  but reads all of them: 0.5 read units per 4 KB read (eventually consistent), in pages
  of at most 1 MB. At a million items of about 0.5 KB each, that is about 500 requests
  and 61,000 read request units, roughly USD 0.008 on demand in us-east-1 (USD 0.125
  per million read request units), or that much provisioned capacity used up. The read
  units are the ones the endpoint reports (`ReturnConsumedCapacity`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from messaging import lake
from messaging.core.services import SERVICES
from messaging.ops.functions import FunctionStatus, function_status
from messaging.ops.stack import StackOutputs

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from messaging.ops.aws import Aws

__all__ = [
    "FunctionStatus",
    "LakeStatus",
    "QueueStatus",
    "StoredCount",
    "SystemStatus",
    "count_items",
    "gather",
    "queue_depth",
]

APPROXIMATE_NOTE = "DescribeTable ItemCount: free; on AWS refreshed about every 6 hours"
EXACT_NOTE = "Scan Select=COUNT: reads every item (0.5 read units per 4 KB)"


class QueueStatus(BaseModel):
    visible: int
    in_flight: int
    dlq: int


class LakeStatus(BaseModel):
    objects: int
    partitions: list[str]


class StoredCount(BaseModel):
    """How `tables` was counted, and what it cost."""

    method: Literal["approximate", "exact"]
    note: str
    requests: int
    read_units: float  # as the endpoint reported them (0 for DescribeTable)


class SystemStatus(BaseModel):
    queues: dict[str, QueueStatus]
    tables: dict[str, int]
    counted: StoredCount
    lake: LakeStatus
    # Services hosted on Lambda: their mapping (state, concurrency, invocations).
    functions: dict[str, FunctionStatus] = {}


def queue_depth(aws: Aws, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) of one queue."""
    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def count_items(dynamodb: DynamoDBClient, table: str, *, exact: bool) -> tuple[int, int, float]:
    """(items, requests, read units) of one table; see the module docstring."""
    if not exact:
        return int(dynamodb.describe_table(TableName=table)["Table"].get("ItemCount", 0)), 1, 0.0
    items = requests = 0
    read_units = 0.0
    arguments: dict[str, Any] = {
        "TableName": table,
        "Select": "COUNT",
        "ReturnConsumedCapacity": "TOTAL",
    }
    while True:
        page = dynamodb.scan(**arguments)
        requests += 1
        items += int(page.get("Count", 0))
        read_units += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        if "LastEvaluatedKey" not in page:
            return items, requests, read_units
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def gather(
    aws: Aws,
    outputs: StackOutputs,
    *,
    exact: bool = False,
    functions: dict[str, str] | None = None,
) -> SystemStatus:
    """`functions`: service -> Lambda function name (`ops.functions.function_names`)."""
    values = outputs.model_dump()
    queues: dict[str, QueueStatus] = {}
    tables: dict[str, int] = {}
    requests = 0
    read_units = 0.0
    dynamodb = aws.dynamodb()
    for name, service in SERVICES.items():
        visible, in_flight = queue_depth(aws, values[service.queue_output])
        dlq_visible, dlq_in_flight = queue_depth(aws, values[service.dlq_output])
        queues[name] = QueueStatus(
            visible=visible, in_flight=in_flight, dlq=dlq_visible + dlq_in_flight
        )
        count, calls, units = count_items(dynamodb, values[service.table_output], exact=exact)
        tables[name] = count
        requests += calls
        read_units += units
    summary = lake.summarize(lake.list_objects(aws.s3(), outputs.LakeBucketName))
    return SystemStatus(
        queues=queues,
        tables=tables,
        counted=StoredCount(
            method="exact" if exact else "approximate",
            note=EXACT_NOTE if exact else APPROXIMATE_NOTE,
            requests=requests,
            read_units=read_units,
        ),
        lake=LakeStatus(objects=summary.objects, partitions=summary.partitions),
        functions={
            service: function_status(aws, name) for service, name in (functions or {}).items()
        },
    )
