"""The DynamoDB backend: items serialised by boto3, created once by PartiQL INSERTs.

Units of one item (every service's today) are created by `BatchExecuteStatement`, up to
25 PartiQL `INSERT INTO "table" VALUE {...}` statements per request (`_create_each`).
An INSERT creates its item unless the key exists, and then fails alone with
`DuplicateItem` (the effect already exists: a duplicate); it bills like PutItem, 1 write
unit per KiB, a failed one included. Why this and not the alternatives
(`bench/RESULTS.md`, "What it costs"): a transaction's put bills 2 units (issue #20
halved the bill by leaving it), and a conditional PutItem per item bills 1 but costs one
request per event and service (2.5 requests per event, where issue #21 asks for 0.6).
The batch keeps the unit of PutItem at the request count of a transaction per batch.
The statements are independent (no atomicity across them), which is all one-item units
need. Each statement answers alone: `DuplicateItem` maps to the outline's existing-key
code, other codes (throttling, `ValidationError`, `ResourceNotFound`) are classified by
the outline through `core.retry`.

A unit of several items stays atomic: `_create_all` is one `TransactWriteItems` call of
up to 100 items, each put conditional (`attribute_not_exists(<key>)`); a cancelled
transaction answers with one reason per item, which is exactly the primitive's contract.
Serialising happens in `_prepare`, per unit, so an item DynamoDB cannot hold (a float,
a set of mixed types) fails its own unit before any request is made. The client is
passed in; it is configured (retries included) by whoever made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Unpack

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from messaging.core.partiql import insert_statement
from messaging.store.base import EXISTS, IdempotentStore, OutlineOptions

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        BatchStatementRequestTypeDef,
        TransactWriteItemTypeDef,
    )

__all__ = ["DynamoStore"]

DUPLICATE: Final = "DuplicateItem"  # a PartiQL INSERT whose key exists


class DynamoStore(IdempotentStore["TransactWriteItemTypeDef"]):
    """A DynamoDB table written with PartiQL INSERT batches (transactions for multi-item units)."""

    write_each = True

    def __init__(
        self, client: DynamoDBClient, table: str, **options: Unpack[OutlineOptions]
    ) -> None:
        super().__init__(**options)
        self.client = client
        self.table = table
        self._serializer = TypeSerializer()

    def attribute_value(self, value: Any) -> Any:
        """boto3's `TypeSerializer.serialize`, with strings and plain dicts done directly.

        Every service's item is strings and one map of strings. boto3 finds a value's type
        by trying each type in turn, and a map by `isinstance` against `Mapping`; that was
        30 µs of CPU per item in each function, 2% of the machine's CPU per event at
        saturation (issue #21). Both answers are boto3's own for these two types; any
        other value (numbers, sets, binary, None, subclasses) goes to boto3.
        """
        kind = value.__class__
        if kind is str:
            return {"S": value}
        if kind is dict:
            return {"M": {k: self.attribute_value(v) for k, v in value.items()}}
        return self._serializer.serialize(value)

    def _prepare(self, key: str, document: Mapping[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self.table,
                "Item": {k: self.attribute_value(v) for k, v in document.items()},
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

    def _create_each(self, items: list[TransactWriteItemTypeDef]) -> list[str | None]:
        statements: list[BatchStatementRequestTypeDef] = []
        for item in items:
            attributes = item["Put"]["Item"]
            statements.append(
                {
                    "Statement": insert_statement(self.table, attributes),
                    "Parameters": list(attributes.values()),
                }
            )
        answer = self.client.batch_execute_statement(Statements=statements)
        codes: list[str | None] = []
        for response in answer.get("Responses", []):
            code = response.get("Error", {}).get("Code") if "Error" in response else None
            codes.append(EXISTS if code == DUPLICATE else (None if code is None else str(code)))
        return codes
