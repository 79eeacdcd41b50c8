"""Lambda SQS events for the tests: the sample from the AWS documentation, and our own."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

# The example event of "Using Lambda with Amazon SQS" (AWS Lambda Developer Guide): two
# records from a standard queue, bodies "Test message.".
AWS_DOCS_SQS_EVENT: dict[str, Any] = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": "Test message.",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082649185",
            },
            "messageAttributes": {
                "myAttribute": {
                    "stringValue": "myValue",
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": "String",
                }
            },
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2",
        },
        {
            "messageId": "2e1424d4-f796-459a-8184-9c92662be6da",
            "receiptHandle": "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
            "body": "Test message.",
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082650636",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082650649",
            },
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2",
        },
    ]
}

AWS_DOCS_MESSAGE_IDS = [r["messageId"] for r in AWS_DOCS_SQS_EVENT["Records"]]


def sqs_event(*bodies: str, receive_count: int = 1) -> dict[str, Any]:
    """The documentation's record shape, one record per body, ids `msg-0`, `msg-1`, ..."""
    template = AWS_DOCS_SQS_EVENT["Records"][1]
    listed = []
    for n, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["messageId"] = f"msg-{n}"
        record["receiptHandle"] = f"rh-{n}"
        record["body"] = body
        record["md5OfBody"] = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
        listed.append(record)
    return {"Records": listed}
