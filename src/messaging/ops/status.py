"""What the system holds right now: queue depths, stored items, lake objects.

Everything is found through the stack outputs, so the same code reads AWS or the
local cloud.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from messaging import lake
from messaging.core.services import SERVICES
from messaging.ops.stack import StackOutputs

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from messaging.ops.aws import Aws

__all__ = ["LakeStatus", "QueueStatus", "SystemStatus", "count_items", "gather", "queue_depth"]


class QueueStatus(BaseModel):
    visible: int
    in_flight: int
    dlq: int


class LakeStatus(BaseModel):
    objects: int
    partitions: list[str]


class SystemStatus(BaseModel):
    queues: dict[str, QueueStatus]
    tables: dict[str, int]
    lake: LakeStatus


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


def count_items(dynamodb: DynamoDBClient, table: str) -> int:
    """Items in a table (a paginated COUNT scan: exact, unlike DescribeTable)."""
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += page["Count"]
    return total


def gather(aws: Aws, outputs: StackOutputs) -> SystemStatus:
    values = outputs.model_dump()
    queues: dict[str, QueueStatus] = {}
    tables: dict[str, int] = {}
    dynamodb = aws.dynamodb()
    for name, service in SERVICES.items():
        visible, in_flight = queue_depth(aws, values[service.queue_output])
        dlq_visible, dlq_in_flight = queue_depth(aws, values[service.dlq_output])
        queues[name] = QueueStatus(
            visible=visible, in_flight=in_flight, dlq=dlq_visible + dlq_in_flight
        )
        tables[name] = count_items(dynamodb, values[service.table_output])
    summary = lake.summarize(lake.list_objects(aws.s3(), outputs.LakeBucketName))
    return SystemStatus(
        queues=queues,
        tables=tables,
        lake=LakeStatus(objects=summary.objects, partitions=summary.partitions),
    )
