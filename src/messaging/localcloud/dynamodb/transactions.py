"""DynamoDB transactions whose cost does not grow with the table.

The gap it closes: moto's `transact_write_items` deep-copies the *whole table* once per
item of the transaction, to roll back on failure. A 20-item transaction on a table of
1,000 items took 1.6 s; the services, which commit in transactions to stay idempotent
and cheap in requests, slowed down as their tables filled, which AWS never does.

Here a transaction runs in two phases, as DynamoDB's all-or-nothing contract allows:
first every operation is validated (its update expression parsed) and every condition
evaluated against the current state, without writing; a failed condition cancels the
transaction with per-item reasons (`TransactionCanceledException`, `CancellationReasons`
in item order, as on AWS). Only then are the writes applied, with the touched items
(not the table) backed up, so an error while writing restores exactly those items.

An invalid request is a `ValidationException`, as on AWS, not a cancellation: an update
expression that does not parse (two SET clauses), an empty key value, an empty
secondary-index key. Only an item that grows past 400 KB cancels the transaction, with
the reason code `ValidationError` (the TransactWriteItems reference lists it among the
cancellation reasons).

No other write comes between the two phases: the server serves DynamoDB's requests one
at a time (`one_at_a_time`). Known limits: no idempotency tokens (`ClientRequestToken`),
no `ReturnConsumedCapacity`.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from moto.dynamodb import models as moto_dynamodb
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import ActionCountValidator, OverlappingPathsValidator

from messaging.localcloud.dynamodb.partiql import FastInsert
from messaging.localcloud.dynamodb.scan import LinearScan
from messaging.localcloud.seams import moto_urls, use_backend

__all__ = ["LocalDynamoDBBackend", "install"]

OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
Reason = tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]


@functools.lru_cache(maxsize=1024)
def _condition(expression: str, names_json: str, values_json: str) -> Any:
    """Parsing a condition costs more than evaluating it; the same few recur."""
    return get_filter_expression(expression, json.loads(names_json), json.loads(values_json))


def _validate_update(expression: str, names: dict[str, str] | None) -> None:
    """What makes an update expression invalid whatever the item (ValidationException)."""
    tree = UpdateExpressionParser.make(expression)
    for check in (ActionCountValidator(), OverlappingPathsValidator(names or {})):
        check.traverse(tree)  # these two only read the tree


class LocalDynamoDBBackend(FastInsert, LinearScan, moto_dynamodb.DynamoDBBackend):
    """moto's DynamoDB with transactions that back up items, not tables (and `LinearScan`,
    `FastInsert`)."""

    _url_module = moto_urls("dynamodb")

    def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        operations = [self._operation(item) for item in transact_items]
        keys_seen: set[tuple[str, str]] = set()
        for _, op, key in operations:
            marker = (str(op["TableName"]), str(dict(sorted(key.items()))))
            if marker in keys_seen:
                raise MultipleTransactionsException()
            keys_seen.add(marker)
        reasons = [self._check(op, key) for _, op, key in operations]
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        self._apply(operations)

    def _operation(self, item: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        if len(item) != 1:
            raise TransactWriteSingleOpException()
        op_type, op = next(iter(item.items()))
        if op_type not in OPERATIONS:
            raise MockValidationException(f"Unsupported transaction operation {op_type}")
        if op_type == "Update":
            # A malformed one fails the whole request, before any condition is evaluated.
            _validate_update(op["UpdateExpression"], op.get("ExpressionAttributeNames"))
        if op_type == "Put":
            table = self.get_table(op["TableName"])
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        return op_type, op, key

    def _check(self, op: dict[str, Any], key: dict[str, Any]) -> Reason:
        """Evaluate one condition against the current state; writes nothing."""
        expression = op.get("ConditionExpression")
        if expression is None:
            return None, None, None
        current = self.get_item(op["TableName"], key)
        condition = _condition(
            expression,
            json.dumps(op.get("ExpressionAttributeNames"), sort_keys=True),
            json.dumps(op.get("ExpressionAttributeValues"), sort_keys=True),
        )
        if condition.expr(current):
            return None, None, None
        old = None
        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
            old = current.to_json()["Attributes"]
        return "ConditionalCheckFailed", str(ConditionalCheckFailed().message), old

    def _apply(self, operations: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
        """Write everything, or restore the items written so far and cancel."""
        backups: list[tuple[str, dict[str, Any], Item | None]] = []
        for index, (op_type, op, key) in enumerate(operations):
            table_name = op["TableName"]
            if op_type == "ConditionCheck":
                continue
            backups.append((table_name, key, copy.deepcopy(self.get_item(table_name, key))))
            try:
                self._write(op_type, op, key)
            except ItemSizeTooLarge as error:  # AWS: a cancellation reason, not the request's
                self._restore(backups)
                reasons: list[Reason] = [(None, None, None)] * len(operations)
                reasons[index] = ("ValidationError", str(error.message), None)
                raise TransactionCanceledException(reasons) from error
            except MockValidationException:  # an invalid request, answered as such
                self._restore(backups)
                raise
            except Exception as error:  # any other write error cancels the whole transaction
                self._restore(backups)
                reasons = [(None, None, None)] * len(operations)
                reasons[index] = (type(error).__name__, str(error), None)
                raise TransactionCanceledException(reasons) from error

    def _write(self, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(
                op["TableName"],
                op["Item"],
                expression_attribute_names=names,
                expression_attribute_values=values,
            )
        elif op_type == "Delete":
            self.delete_item(
                op["TableName"],
                key,
                expression_attribute_names=names,
                expression_attribute_values=values,
            )
        else:
            self.update_item(
                op["TableName"],
                key,
                update_expression=op["UpdateExpression"],
                expression_attribute_names=names or {},
                expression_attribute_values=values or {},
            )

    def _restore(self, backups: list[tuple[str, dict[str, Any], Item | None]]) -> None:
        for table_name, key, original in reversed(backups):
            if original is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, original.to_json()["Attributes"])


def install() -> None:
    """Make moto's DynamoDB BackendDict build our backend (idempotent)."""
    use_backend(moto_dynamodb.dynamodb_backends, LocalDynamoDBBackend)
