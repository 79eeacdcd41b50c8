"""DynamoDB requests whose CPU does not grow with an item's attributes or re-parse conditions.

The gaps it closes, both measured on a 100-item TransactWriteItems (moto 5.2.5):

- moto's `LimitedSizeDict` re-sums the whole item before adding each attribute, so
  building an item is quadratic in its attributes (the largest share of the request's
  CPU under cProfile). `SizedItem` checks the same limit once: sizes are never negative,
  so moto's last check, which sees the whole item, is the only one that can fail. The
  attributes stay in a `LimitedSizeDict`, so later updates keep moto's own check.
  Building the item's `DynamoType`s and sizing them were then still 10% of the local
  cloud's CPU end to end (issue #21): `DynamoType.__init__` lists each value's keys
  twice, and `size()` copies every member of a map or set into a new `DynamoType` to
  size it. `_built` gives the same objects and the same sizes in one visit of each
  value, and sizes an ASCII string by its length.
- moto's responses parse every condition expression once more, only to learn which
  `#names` it uses, before the backend parses it again to evaluate it. The same few
  expressions recur, so the names found are cached per (expression, names, values);
  an invalid expression is not cached and fails exactly as before.

`install()` rebinds `Item` in `moto.dynamodb.models.table` (what `Table.put_item`
builds) and the parser factory in `moto.dynamodb.responses`; it is idempotent.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.dynamodb import responses as moto_responses
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import table as moto_table
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

__all__ = ["ITEM_SIZE_LIMIT", "SizedItem", "ValidatedCondition", "install"]

# moto's item size limit: AWS documents 400 KB; moto measured 409-410 KB and took this.
ITEM_SIZE_LIMIT = 405_000


_SETS = frozenset({"SS", "NS", "BS"})


def _utf8_size(text: Any) -> int:
    """moto's `bytesize`; an ASCII string's length is its size (`isascii` is O(1))."""
    if type(text) is str and text.isascii():
        return len(text)
    return bytesize(text)


def _scalar_size(kind: str, inner: Any) -> int:
    """moto's `DynamoType.size()` of a value that is not a list or a map."""
    if kind == "N":
        return len(str(inner))
    if kind == "NS":
        return sum(len(str(member)) for member in inner)
    if kind in _SETS:
        return sum(_utf8_size(member) for member in inner)
    return 1 if isinstance(inner, bool) else _utf8_size(inner)


def _built(value: Any) -> tuple[DynamoType, int]:
    """`DynamoType(value)` and its `size()`, in one visit of each value.

    The same object as moto's, built without listing the value's keys twice, and the
    same size, without the `DynamoType` moto builds per member of a map or a set to size it.
    """
    if type(value) is DynamoType:
        copied = DynamoType(value)
        return copied, copied.size()
    if not value:
        raise IndexError("list index out of range")  # moto's answer to an empty value
    kind = next(iter(value))
    inner = value[kind]
    built = DynamoType.__new__(DynamoType)
    built.type = kind
    if kind == "L":
        members = [_built(item) for item in inner]
        built.value = [member for member, _ in members]
        size = sum(member_size for _, member_size in members)
    elif kind == "M":
        built.value = {}
        size = 0
        for name, item in inner.items():
            built.value[name], item_size = _built(item)
            size += _utf8_size(name) + item_size
    else:
        built.value = inner
        size = _scalar_size(kind, inner)
    return built, size


class SizedItem(Item):
    """moto's item, with its size limit checked once instead of per attribute."""

    def __init__(
        self, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]
    ) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {}
        size = 0
        for key, value in attrs.items():
            values[key], value_size = _built(value)
            size += _utf8_size(key) + value_size
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict(values)  # dict.update: no per-attribute re-sum


Found = tuple[tuple[str, ...], tuple[str, ...]]  # (#names, :values) an expression uses


@functools.lru_cache(maxsize=1024)
def _names_found(expression: str | None, names_json: str, values_json: str) -> Found:
    parser = ConditionExpressionParser(expression, json.loads(names_json), json.loads(values_json))
    parser.parse()
    return tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found)


class ValidatedCondition:
    """What moto's responses use of a condition parser: `parse()`, then the names and the
    values found (UpdateItem checks both; it failed with AttributeError without the values)."""

    def __init__(
        self,
        expression: str | None,
        names: dict[str, str] | None,
        values: dict[str, dict[str, str]] | None,
    ) -> None:
        self._arguments = (expression, names, values)
        self.expr_attr_names_found: list[str] = []
        self.expr_attr_values_found: list[str] = []

    def parse(self) -> None:
        expression, names, values = self._arguments
        try:
            key = (json.dumps(names, sort_keys=True), json.dumps(values, sort_keys=True))
        except TypeError:  # binary values arrive as bytes: parse as moto does
            parser = ConditionExpressionParser(expression, names, values)
            parser.parse()
            found: Found = (
                tuple(parser.expr_attr_names_found),
                tuple(parser.expr_attr_values_found),
            )
        else:
            found = _names_found(expression, *key)
        # Fresh lists: callers extend them.
        self.expr_attr_names_found, self.expr_attr_values_found = map(list, found)


def install() -> None:
    setattr(moto_table, "Item", SizedItem)  # noqa: B010
    setattr(moto_responses, "create_condition_expression_parser", ValidatedCondition)  # noqa: B010
