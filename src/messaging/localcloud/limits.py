"""AWS's request limits, checked before moto parses a request.

The gap it closes: moto checks entry counts, if at all, after parsing everything
(DynamoDB BatchWriteItem took 10,000 items, SQS ChangeMessageVisibilityBatch 10,000
entries), SNS sizes a message in characters and never sizes a batch, and the server took
bodies up to 1 GiB. Here each limit is checked as early as the request allows:

1. the body size, from `Content-Length`, before the body is read (`body_cap`, applied by
   `transport`); a body no valid request of that service can reach is refused with 413;
2. entry counts, from the raw request with one linear pass (`check_entries`);
3. SNS payload sizes, in UTF-8 bytes of the messages and their attributes
   (`check_sns_payload`).

The figures are AWS's (checked in the AWS documentation, 2025):

- SNS: Publish 256 KiB; PublishBatch 10 entries and 256 KiB in all (a topic's
  MaximumMessageSize, up to 1 MiB on AWS, is not supported here);
- SQS: 1 MiB per message and per batch (raised from 256 KiB in 2025; moto 5.2 enforces
  it); 10 entries per SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch;
- Firehose: PutRecordBatch 500 records of up to 1,000 KiB, 4 MiB of data in all (before
  base64);
- DynamoDB: 16 MiB per request; BatchWriteItem 25 items in all; TransactWriteItems and
  TransactGetItems 100 items; BatchGetItem 100 keys.

The body caps allow the worst encoding of a valid payload (URL encoding and JSON
escapes triple a byte, base64 adds a third) plus 64 KiB for names and parameters, so
they never refuse a request AWS accepts. Known limit: S3 and services not listed keep
waitress's 1 GiB (AWS takes 5 GiB in one S3 PUT).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from messaging.localcloud.aws_errors import RefusalError
from messaging.localcloud.route import Route

__all__ = [
    "DEFAULT_BODY_CAP",
    "QUERY_STRING_CAP",
    "SNS_PAYLOAD_LIMIT",
    "body_cap",
    "check_entries",
    "check_sns_payload",
]

KIB: Final = 1024
MIB: Final = 1024 * KIB
SNS_PAYLOAD_LIMIT: Final = 256 * KIB
SQS_PAYLOAD_LIMIT: Final = MIB
FIREHOSE_BATCH_LIMIT: Final = 4 * MIB
DYNAMODB_REQUEST_LIMIT: Final = 16 * MIB
_OVERHEAD: Final = 64 * KIB
# The longest query string accepted; botocore sends parameters in the body, never here.
QUERY_STRING_CAP: Final = 128 * KIB
DEFAULT_BODY_CAP: Final = 1024 * MIB  # waitress's own default

_BODY_CAPS: Final = {
    "sns": 3 * SNS_PAYLOAD_LIMIT + _OVERHEAD,
    "sqs": 3 * SQS_PAYLOAD_LIMIT + _OVERHEAD,
    "firehose": FIREHOSE_BATCH_LIMIT * 4 // 3 + _OVERHEAD,
    "dynamodb": DYNAMODB_REQUEST_LIMIT,
}


def body_cap(service: str | None) -> int:
    """The largest body a valid request to `service` can have."""
    return _BODY_CAPS.get(service or "", DEFAULT_BODY_CAP)


_SQS_QUERY_ENTRIES = re.compile(
    r"(?:Entries|SendMessageBatchRequestEntry|DeleteMessageBatchRequestEntry|"
    r"ChangeMessageVisibilityBatchRequestEntry)(?:\.member)?\.(\d+)\."
)
_SNS_QUERY_ENTRIES = re.compile(r"PublishBatchRequestEntries\.member\.(\d+)\.")
_SQS_BATCHES = ("SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch")


def _indexes(params: list[tuple[str, str]], pattern: re.Pattern[str]) -> set[str]:
    return {m.group(1) for name, _ in params if (m := pattern.match(name))}


def _too_many_sqs(count: int) -> RefusalError:
    return RefusalError(
        400,
        "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
        f"Maximum number of entries per request are 10. You have sent {count}.",
        query_code="AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    )


def _validation(message: str) -> RefusalError:
    return RefusalError(400, "com.amazon.coral.validate#ValidationException", message)


def _check_sns_batch(route: Route) -> None:
    if route.operation != "PublishBatch":
        return
    if len(_indexes(route.params or [], _SNS_QUERY_ENTRIES)) > 10:
        raise RefusalError(
            400,
            "TooManyEntriesInBatchRequest",
            "The batch request contains more entries than permissible.",
        )


def _check_sqs_batch(route: Route) -> None:
    if route.operation not in _SQS_BATCHES:
        return
    document = route.document
    if route.protocol == "json" and isinstance(document, dict):
        entries = document.get("Entries")
        count = len(entries) if isinstance(entries, list) else 0
    else:
        count = len(_indexes(route.params or [], _SQS_QUERY_ENTRIES))
    if count > 10:
        raise _too_many_sqs(count)


_TRANSACT_WRITE_ACTIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})


def _check_dynamodb_transaction(route: Route) -> None:
    """Each TransactWriteItem holds exactly one action (moto indexed an empty one: 500)."""
    items = route.document.get("TransactItems") if isinstance(route.document, dict) else None
    for item in items if isinstance(items, list) else []:
        given = (
            {key for key, value in item.items() if value is not None}
            if isinstance(item, dict)
            else set()
        )
        if len(_TRANSACT_WRITE_ACTIONS & given) != 1:
            raise _validation("TransactItems can only contain one of Check, Put, Update or Delete")


def _check_dynamodb_batch(route: Route) -> None:
    if route.operation == "TransactWriteItems":
        _check_dynamodb_transaction(route)
        return
    tables = route.document.get("RequestItems") if isinstance(route.document, dict) else None
    if not isinstance(tables, dict):
        return
    if route.operation == "BatchWriteItem":
        count = sum(len(v) for v in tables.values() if isinstance(v, list))
        if count > 25:
            raise _validation("Too many items requested for the BatchWriteItem call")
    elif route.operation == "BatchGetItem":
        count = sum(len(v.get("Keys") or []) for v in tables.values() if isinstance(v, dict))
        if count > 100:
            raise _validation("Too many items requested for the BatchGetItem call")


def _check_firehose(route: Route) -> None:
    if route.operation == "PutRecordBatch":
        _check_firehose_batch(route.document)


_ENTRY_CHECKS: Final = {
    "sns": _check_sns_batch,
    "sqs": _check_sqs_batch,
    "dynamodb": _check_dynamodb_batch,
    "firehose": _check_firehose,
}


def check_entries(route: Route) -> None:
    """Batch entry counts (and Firehose's batch size) the service model does not state."""
    checker = _ENTRY_CHECKS.get(route.service or "")
    if checker is not None:
        checker(route)


def _check_firehose_batch(document: object) -> None:
    """4 MiB of data in all; the model already bounds the count (500) and each record."""
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        return
    total = 0
    for record in records:
        data = record.get("Data") if isinstance(record, dict) else None
        if isinstance(data, str):
            total += len(data) * 3 // 4 - data.count("=", -2)
    if total > FIREHOSE_BATCH_LIMIT:
        raise RefusalError(
            400,
            "InvalidArgumentException",
            f"The records of a batch hold {total} bytes; the limit is {FIREHOSE_BATCH_LIMIT}",
        )


_SNS_ATTRIBUTE = re.compile(
    r"(?:PublishBatchRequestEntries\.member\.(\d+)\.)?MessageAttributes\.entry\.\d+\."
    r"(Name|Value\.DataType|Value\.StringValue|Value\.BinaryValue)$"
)
_SNS_MESSAGE = re.compile(r"(?:PublishBatchRequestEntries\.member\.(\d+)\.)?Message$")


def _size(name: str, value: str) -> int:
    if name.endswith("BinaryValue"):
        try:
            return len(base64.b64decode(value))
        except (binascii.Error, ValueError):
            return len(value)
    return len(value.encode("utf-8"))


def check_sns_payload(route: Route) -> None:
    """Publish: message plus attributes <= 256 KiB; PublishBatch: all of them together.

    AWS sizes the message body and its attributes (name, type and value) in bytes; moto
    counts only the body, in characters, and never sums a batch.
    """
    if route.service != "sns" or route.operation not in ("Publish", "PublishBatch"):
        return
    total = 0
    for name, value in route.params or []:
        if _SNS_MESSAGE.match(name) or _SNS_ATTRIBUTE.match(name):
            total += _size(name, value)
    if total <= SNS_PAYLOAD_LIMIT:
        return
    if route.operation == "Publish":
        raise RefusalError(400, "InvalidParameter", "Invalid parameter: Message too long")
    raise RefusalError(
        400,
        "BatchRequestTooLong",
        "The length of all the batch messages put together is more than the limit.",
    )
