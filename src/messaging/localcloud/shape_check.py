"""Whether a JSON request conforms to its botocore shape: a yes or no, compiled per shape.

The gap it closes: the precheck's validator (`wire._Validator`) walks every request
node by node, dispatching on the node's shape and building the node's path for a
message it almost never writes. On a BatchExecuteStatement of 25 items that walk was a
quarter of the request's CPU (issue #21). Nearly every request conforms, so the question
asked first is only "does it conform?", answered by checks compiled once per shape: each
knows its type test, its bounds and its members' checks, and builds no path. Only a
request that does not conform is walked again by the validator, which words the
messages; that walk, and so every message, is as before.

`conforms` answers yes exactly when the validator would find nothing (a hypothesis test
holds the two together). A document nested deeper than `MAX_DEPTH` gets "no", so the
validator, and not this walk, decides what such a document is.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sized
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from messaging.localcloud.shape_compiler import Compiled
from messaging.localcloud.shape_members import members_of

__all__ = ["MAX_DEPTH", "conforms"]

Check = Callable[[Any, int], bool]  # (value, its depth) -> it conforms

# Deeper than any AWS shape admits (DynamoDB: 32 levels), well within the recursion
# limit for the validator's own walk of a document this deep.
MAX_DEPTH = 64
_NUMBERS: dict[str, type | tuple[type, ...]] = {
    "integer": int,
    "long": int,
    "float": (int, float),
    "double": (int, float),
}


def conforms(shape: Shape, document: Any) -> bool:
    """True if the validator would find no problem in `document` as `shape`."""
    return _CHECKS.of(shape)(document, 0)


def _compile(shape: Shape, check_of: Callable[[Shape], Check]) -> Check:
    if isinstance(shape, StructureShape):
        return _structure(shape, check_of)
    if isinstance(shape, ListShape):
        return _list(shape, check_of)
    if isinstance(shape, MapShape):
        return _map(shape, check_of)
    return _scalar(shape.type_name, _within(shape))


def _within(shape: Shape) -> Callable[[Any], bool] | None:
    """The model's min and max as one test, or None when the shape has neither."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is None and high is None:
        return None
    return lambda measured: (
        not ((high is not None and measured > high) or (low is not None and measured < low))
    )


def _scalar(kind: str, within: Callable[[Any], bool] | None) -> Check:
    if kind == "blob":
        return _blob(within)
    if kind == "string":
        return _string(within)
    if kind in _NUMBERS:
        return _number(_NUMBERS[kind], within)
    if kind == "boolean":
        return lambda value, depth: isinstance(value, bool)
    if kind == "timestamp":  # a number or a string, and JSON's true is not a number
        return lambda value, depth: (
            isinstance(value, int | float | str) and not isinstance(value, bool)
        )
    return lambda value, depth: True  # a type the validator does not check


def _string(within: Callable[[Any], bool] | None) -> Check:
    if within is None:
        return lambda value, depth: isinstance(value, str)
    return lambda value, depth: isinstance(value, str) and within(len(value))


def _number(accepts: type | tuple[type, ...], within: Callable[[Any], bool] | None) -> Check:
    """JSON true and false are not numbers, though Python's bool is an int."""

    def check(value: Any, depth: int) -> bool:
        if isinstance(value, bool) or not isinstance(value, accepts):
            return False
        return within is None or within(value)

    return check


def _blob(within: Callable[[Any], bool] | None) -> Check:
    def check(value: Any, depth: int) -> bool:
        if not isinstance(value, str):
            return False
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
        return within is None or within(len(data))

    return check


def _structure(shape: StructureShape, check_of: Callable[[Shape], Check]) -> Check:
    if shape.is_document_type:
        return lambda value, depth: isinstance(value, dict)
    table = members_of(shape)
    member_check = {wire: check_of(m.shape) for wire, m in table.by_wire.items()}.get
    required = [wire for wire, _ in table.required]

    def check(value: Any, depth: int) -> bool:
        if not isinstance(value, dict) or depth > MAX_DEPTH:
            return False
        deeper = depth + 1
        for wire, item in value.items():
            known = member_check(wire)
            if known is not None and item is not None and not known(item, deeper):
                return False
        for wire in required:  # noqa: SIM110 - a loop: no generator per node
            if value.get(wire) is None:
                return False
        return True

    return check


def _list(shape: ListShape, check_of: Callable[[Shape], Check]) -> Check:
    return _entries(shape, list, iter, check_of(shape.member))


def _map(shape: MapShape, check_of: Callable[[Shape], Check]) -> Check:
    return _entries(shape, dict, dict.values, check_of(shape.value))


def _entries(
    shape: Shape, kind: type[Sized], entries: Callable[[Any], Iterable[Any]], entry: Check
) -> Check:
    """A list or a map: its length within bounds, and each entry present and conforming."""
    within = _within(shape)

    def check(value: Any, depth: int) -> bool:
        if not isinstance(value, kind) or (within is not None and not within(len(value))):
            return False
        deeper = depth + 1
        for item in entries(value):  # noqa: SIM110 - a loop: no generator per node
            if item is None or not entry(item, deeper):
                return False
        return True

    return check


_CHECKS: Compiled[Check] = Compiled(_compile)
