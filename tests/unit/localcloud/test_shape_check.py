"""The compiled yes or no says yes exactly when the precheck's validator finds nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.model import Shape, ShapeResolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.utils import get_service_model

from messaging.localcloud import wire
from messaging.localcloud.aws_errors import RefusalError
from messaging.localcloud.route import route_of
from messaging.localcloud.shape_check import MAX_DEPTH, conforms
from tests.support import wsgi
from tests.support.json_operations import OPERATIONS

# Anything JSON can hold, for a node of the wrong kind.
_ANY_JSON: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=3)
    | st.floats(allow_nan=False)
    | st.just([1])
    | st.just({"x": 1})
)


def _rarely(wrong: st.SearchStrategy[Any], right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`wrong` one time in 15: a document is then often wrong at one node only."""
    return st.integers(0, 14).flatmap(lambda roll: wrong if roll == 0 else right)


def _bounded(shape: Shape, cap: float, step: float = 1) -> st.SearchStrategy[Any]:
    """A size or a number on the model's bounds (both are allowed), beside them rarely."""
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
    inside = [low, low + step] + ([high] if high is not None and high <= cap else [])
    outside = [edge for edge in (low - step, (high or cap) + step) if edge >= 0 and edge <= cap]
    if high is None or high > cap:
        outside = outside[:1]
    return _rarely(st.sampled_from(outside or inside), st.sampled_from(inside))


def _blobs(shape: Shape) -> st.SearchStrategy[Any]:
    sizes = _bounded(shape, 40).map(lambda size: base64.b64encode(b"b" * size).decode())
    return _rarely(st.just("not base64!"), sizes)


_SCALARS: dict[str, Any] = {
    "string": lambda shape: _bounded(shape, 300).map(lambda length: "s" * length),
    "integer": lambda shape: _bounded(shape, 2**40) | st.integers(-3, 3),
    "long": lambda shape: _bounded(shape, 2**40) | st.integers(-3, 3),
    "float": lambda shape: _bounded(shape, 1e9, step=0.25) | st.floats(-3, 3),
    "double": lambda shape: _bounded(shape, 1e9, step=0.25) | st.floats(-3, 3),
    "blob": _blobs,
    "boolean": lambda shape: st.booleans(),
    "timestamp": lambda shape: st.integers(0, 2**31) | st.just("2026-11-30T06:00:00Z"),
}


def documents(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Documents near what the shape admits: right at most nodes, wrong at a few."""
    nested: Any = shape
    if shape.type_name in ("structure", "map", "list") and depth > 3:
        right: st.SearchStrategy[Any] = st.just([] if shape.type_name == "list" else {})
    elif shape.type_name == "structure":
        required: dict[str, Any] = {}
        optional: dict[str, Any] = {"NotInTheModel": st.integers()}
        for name, member in nested.members.items():
            chosen = required if name in nested.required_members else optional
            wire = member.serialization.get("name", name)
            chosen[wire] = _rarely(st.none(), documents(member, depth + 1))
        right = _rarely(
            st.fixed_dictionaries({}, optional={**required, **optional}),
            st.fixed_dictionaries(required, optional=optional),
        )
    elif shape.type_name == "list":
        entry = _rarely(st.none(), documents(nested.member, depth + 1))
        right = _bounded(shape, 4).flatmap(
            lambda size: st.lists(entry, min_size=size, max_size=size)
        )
    elif shape.type_name == "map":
        entry = _rarely(st.none(), documents(nested.value, depth + 1))
        right = _bounded(shape, 4).flatmap(
            lambda size: st.dictionaries(st.text(max_size=6), entry, min_size=size, max_size=size)
        )
    else:
        right = _SCALARS.get(shape.type_name, lambda shape: _ANY_JSON)(shape)
    return _rarely(_ANY_JSON, right)


# Every kind of shape the checks know, with bounds small enough to reach.
_EVERY_KIND_MODEL: dict[str, Any] = {
    "Root": {
        "type": "structure",
        "required": ["Name"],
        "members": {
            "Name": {"shape": "Name"},
            "Count": {"shape": "Count"},
            "Ratio": {"shape": "Ratio"},
            "Data": {"shape": "Data"},
            "Items": {"shape": "Items"},
            "Tags": {"shape": "Tags"},
            "At": {"shape": "At"},
            "Flag": {"shape": "Flag"},
            "Doc": {"shape": "Doc"},
            "Renamed": {"shape": "Name", "locationName": "renamed"},
        },
    },
    "Name": {"type": "string", "min": 2, "max": 5},
    "Count": {"type": "integer", "min": 1, "max": 10},
    "Ratio": {"type": "double", "min": 0.5, "max": 2.5},
    "Data": {"type": "blob", "min": 1, "max": 4},
    "Items": {"type": "list", "member": {"shape": "Root"}, "min": 1, "max": 3},
    "Tags": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Name"}, "max": 2},
    "At": {"type": "timestamp"},
    "Flag": {"type": "boolean"},
    "Doc": {"type": "structure", "members": {}, "document": True},
}
_EVERY_KIND: Any = ShapeResolver(_EVERY_KIND_MODEL).get_shape_by_name("Root")


def validator_finds_nothing(shape: Any, document: Any) -> bool:
    problems = wire._Validator()
    problems.structure(shape, document, "")
    return problems.serialization is None and not problems.violations


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_yes_exactly_when_the_validator_finds_nothing(
    service: str, operation: str, data: st.DataObject
) -> None:
    shape = get_service_model(service).operation_model(operation).input_shape
    document = data.draw(documents(shape))
    assert conforms(shape, document) == validator_finds_nothing(shape, document)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_yes_exactly_when_the_validator_finds_nothing_for_every_kind_of_shape(
    data: st.DataObject,
) -> None:
    document = data.draw(documents(_EVERY_KIND))
    assert conforms(_EVERY_KIND, document) == validator_finds_nothing(_EVERY_KIND, document)


def _nested_item(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"inner": value}}
    return {"TableName": "orders", "Item": {"id": {"S": "1"}, "deep": value}}


def test_a_recursive_shape_is_checked_at_every_level() -> None:
    shape = get_service_model("dynamodb").operation_model("PutItem").input_shape
    assert conforms(shape, _nested_item(20))
    wrong = _nested_item(20)
    leaf = wrong["Item"]["deep"]
    for _ in range(20):
        leaf = leaf["M"]["inner"]
    leaf["S"] = 5  # a number where a string belongs, 20 levels down
    assert not conforms(shape, wrong)
    assert not validator_finds_nothing(shape, wrong)


def test_a_document_deeper_than_the_limit_is_left_to_the_validator() -> None:
    shape = get_service_model("dynamodb").operation_model("PutItem").input_shape
    assert conforms(shape, _nested_item(MAX_DEPTH // 2 - 3))
    deep = _nested_item(MAX_DEPTH)
    assert validator_finds_nothing(shape, deep)  # well formed, only deep
    assert not conforms(shape, deep)


def _route(document: Any) -> Any:
    body = json.dumps(document).encode()
    return route_of(wsgi.environ(service="dynamodb", target="DynamoDB_20120810.PutItem", body=body))


def test_only_a_request_that_does_not_conform_is_walked_by_the_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks: list[Any] = []
    walk = wire._Validator.structure

    def counted(self: Any, *args: Any) -> None:
        walks.append(args[1])
        walk(self, *args)

    monkeypatch.setattr(wire._Validator, "structure", counted)
    wire.check_json(_route(_nested_item(2)))
    assert walks == []
    with pytest.raises(RefusalError, match=r"Expected a string at 'item\.member\.s'"):
        wire.check_json(_route({"TableName": "orders", "Item": {"id": {"S": 1}}}))
    assert walks  # the validator worded the message
