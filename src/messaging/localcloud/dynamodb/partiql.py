"""PartiQL INSERT answered as DynamoDB answers it, in the time of a PutItem.

The gaps it closes: moto runs every PartiQL statement by copying every item of every
table into its PartiQL engine (a batch of 25 statements on a table of 10,000 items
copies 250,000 items), and its INSERT overwrites an existing item where DynamoDB fails
the statement with `DuplicateItem`, which is the create-once write the store relies on.

For `ExecuteStatement` and `BatchExecuteStatement` whose statements all have the form
of `messaging.core.partiql` (`INSERT INTO "table" VALUE {'name': ?, ...}`), each
statement is one put through the table's own `put_item` (moto's validation: key
present, key types, empty keys, item size), under the condition that the key does not
exist. As on AWS (BatchExecuteStatement, BatchStatementError references):

- a batch holds 1 to 25 statements; two statements on the same item fail the whole
  request (`ValidationException`, as BatchWriteItem words it), before anything is
  written;
- otherwise the request succeeds (HTTP 200) and each statement answers alone, in
  order: `{"TableName": ...}` when created, or an `Error` with its `Code`:
  `DuplicateItem` (the key exists; nothing changed), `ResourceNotFound` (no such table),
  `ValidationError` (an item DynamoDB cannot hold, parameters that do not match);
- `ExecuteStatement` raises the same as exceptions (`DuplicateItemException`,
  `ResourceNotFoundException`, `ValidationException`).

Anything else (SELECT, UPDATE, DELETE, INSERT with literal values, a batch mixing
forms) goes to moto unchanged. The mixin holds no state: the backend pickles as before.

Known limits: no `ReturnValuesOnConditionCheckFailure` item on `DuplicateItem`, no
`ConsumedCapacity`; a statement's `Error` also names its table (AWS documents
`TableName` as the table of a failed statement; whether it is sent for a created one is
not documented, and moto sends it).
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any, Final

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    ConditionalCheckFailed,
    MockValidationException,
    ResourceNotFoundException,
)
from moto.dynamodb.models.table import Table

from messaging.core.partiql import Insert, parse_insert

__all__ = ["MAX_STATEMENTS", "DuplicateItemError", "FastInsert"]

MAX_STATEMENTS: Final = 25  # BatchExecuteStatement: 1 to 25 statements
DUPLICATE_MESSAGE: Final = "Duplicate primary key exists in table"
NOT_FOUND_MESSAGE: Final = "Requested resource not found"
DUPLICATE_KEYS_MESSAGE: Final = "Provided list of item keys contains duplicates"
PARAMETERS_MESSAGE: Final = "Number of parameters in request and statement don't match."

Failure = tuple[str, str]  # (statement error code, message)


class DuplicateItemError(JsonRESTError):
    """ExecuteStatement's answer to an INSERT whose key exists."""

    def __init__(self) -> None:
        super().__init__(ERROR_TYPE_PREFIX + "DuplicateItemException", DUPLICATE_MESSAGE)


def _item(insert: Insert, parameters: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if len(parameters or []) != len(insert.names):
        return None
    return dict(zip(insert.names, parameters or [], strict=True))


def _key_marker(table: Table, item: dict[str, Any]) -> Hashable | None:
    """The item's primary key, comparable, or None when a key attribute is missing.

    A key value as DynamoDB takes it (`{"S": "..."}`, one type and a string) is its
    (type, value) pair, without the JSON encoding (3% of a batch's time); anything else,
    which the put will refuse, as canonical JSON text.
    """
    names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
    marker: list[Hashable] = [table.name]
    for name in names:
        if name not in item:
            return None
        value = item[name]
        if value.__class__ is dict and len(value) == 1:
            ((kind, text),) = value.items()
            if text.__class__ is str:
                marker.append((kind, text))
                continue
        marker.append(json.dumps(value, sort_keys=True))
    return tuple(marker)


class FastInsert:
    """Backend mixin: INSERT statements as conditional puts, per-statement errors as AWS."""

    def _insert(self, insert: Insert, parameters: list[dict[str, Any]] | None) -> Failure | None:
        """Create one item unless its key exists: None, or the statement's error."""
        tables: dict[str, Table] = self.tables  # type: ignore[attr-defined]
        table = tables.get(insert.table)
        if table is None:
            return "ResourceNotFound", NOT_FOUND_MESSAGE
        item = _item(insert, parameters)
        if item is None:
            return "ValidationError", PARAMETERS_MESSAGE
        try:
            table.put_item(item, expected={table.hash_key_attr: {"Exists": False}})
        except ConditionalCheckFailed:
            return "DuplicateItem", DUPLICATE_MESSAGE
        except MockValidationException as error:  # moto's item checks, AWS's messages
            return "ValidationError", str(error.message)
        return None

    def execute_statement(
        self, statement: str, parameters: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        insert = parse_insert(statement)
        if insert is None:
            return super().execute_statement(statement, parameters)  # type: ignore[misc, no-any-return]
        failure = self._insert(insert, parameters)
        if failure is None:
            return []
        code, message = failure
        if code == "DuplicateItem":
            raise DuplicateItemError()
        if code == "ResourceNotFound":
            raise ResourceNotFoundException()
        raise MockValidationException(message)

    def batch_execute_statement(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        parsed = [parse_insert(str(s.get("Statement", ""))) for s in statements]
        inserts = [insert for insert in parsed if insert is not None]
        if not inserts or len(inserts) != len(statements):  # not all of our form: moto's
            return super().batch_execute_statement(statements)  # type: ignore[misc, no-any-return]
        if len(statements) > MAX_STATEMENTS:
            raise MockValidationException(
                f"1 validation error detected: Value at 'statements' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_STATEMENTS}"
            )
        work = [
            (insert, s.get("Parameters")) for insert, s in zip(inserts, statements, strict=True)
        ]
        self._refuse_duplicate_keys(work)
        responses: list[dict[str, Any]] = []
        for insert, parameters in work:
            failure = self._insert(insert, parameters)
            response: dict[str, Any] = {"TableName": insert.table}
            if failure is not None:
                response["Error"] = {"Code": failure[0], "Message": failure[1]}
            responses.append(response)
        return responses

    def _refuse_duplicate_keys(
        self, work: list[tuple[Insert, list[dict[str, Any]] | None]]
    ) -> None:
        """Two statements on one item fail the whole batch, before any write."""
        tables: dict[str, Table] = self.tables  # type: ignore[attr-defined]
        seen: set[Hashable] = set()
        for insert, parameters in work:
            table = tables.get(insert.table)
            item = _item(insert, parameters)
            marker = None if table is None or item is None else _key_marker(table, item)
            if marker is None:
                continue  # this statement fails alone
            if marker in seen:
                raise MockValidationException(DUPLICATE_KEYS_MESSAGE)
            seen.add(marker)
