"""The DynamoDB backend: items serialised by boto3, created by conditional writes.

A unit of one item (every service's today) is one conditional `PutItem`
(`attribute_not_exists(<key>)`, `_create_one`): 1 write unit per KiB, where the same put
inside `TransactWriteItems` bills 2. DynamoDB bills units, not requests, so this halves
the largest line of the bill (`bench/RESULTS.md`, "What it costs") at the price of one
request per event and service instead of one per batch. A failed condition answers
`ConditionalCheckFailed`, the code a transaction gives for an existing key (and it still
bills its unit). A unit of several items stays atomic: `_create_all` is one
`TransactWriteItems` call of up to 100 items, each put conditional; a cancelled
transaction answers with one reason per item, which is exactly the primitive's contract.
Serialising happens in `_prepare`, per unit, so an item DynamoDB cannot hold (a float,
a set of mixed types) fails its own unit before any request is made. The client is
passed in; it is configured (retries included) by whoever made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from messaging.store.base import EXISTS, IdempotentStore, OutlineOptions

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

__all__ = ["DynamoStore"]


class DynamoStore(IdempotentStore["TransactWriteItemTypeDef"]):
    """A DynamoDB table written with conditional puts (transactions for multi-item units)."""

    write_singly = True

    def __init__(
        self, client: DynamoDBClient, table: str, **options: Unpack[OutlineOptions]
    ) -> None:
        super().__init__(**options)
        self.client = client
        self.table = table
        self._serializer = TypeSerializer()

    def _prepare(self, key: str, document: Mapping[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self.table,
                "Item": {k: self._serializer.serialize(v) for k, v in document.items()},
                "ConditionExpression": "attribute_not_exists(#key)",
                "ExpressionAttributeNames": {"#key": self.key},
            }
        }

    def _create_all(self, items: list[TransactWriteItemTypeDef]) -> list[str] | None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
            return [str(reason.get("Code") or "None") for reason in reasons]
        return None

    def _create_one(self, item: TransactWriteItemTypeDef) -> list[str] | None:
        try:
            self.client.put_item(**item["Put"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return [EXISTS]
        return None
