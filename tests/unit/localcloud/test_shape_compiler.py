"""Functions built once per shape a root reaches, recursive shapes included."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.model import Shape, ShapeResolver
from moto.core.utils import get_service_model

from messaging.localcloud.shape_compiler import Compiled

Describe = Callable[[Any], Any]  # a node -> what the test can compare


def _describer(built: Counter[str]) -> Compiled[Describe]:
    """A compiled walk that names each node's shape, counting each shape's builds."""

    def build(shape: Any, describe_of: Callable[[Shape], Describe]) -> Describe:
        built[shape.name] += 1
        if shape.type_name == "structure":
            members = {name: describe_of(member) for name, member in shape.members.items()}
            return lambda node: {
                name: members[name](item) for name, item in node.items() if name in members
            }
        if shape.type_name == "map":
            value = describe_of(shape.value)
            return lambda node: {key: value(item) for key, item in node.items()}
        if shape.type_name == "list":
            member = describe_of(shape.member)
            return lambda node: [member(item) for item in node]
        return lambda node: f"{shape.name}:{node}"

    return Compiled(build)


def test_a_recursive_shape_is_built_once_and_reaches_itself() -> None:
    built: Counter[str] = Counter()
    describe = _describer(built).of(
        get_service_model("dynamodb").operation_model("PutItem").input_shape
    )
    item = {"id": {"S": "1"}, "deep": {"M": {"inner": {"L": [{"M": {"leaf": {"N": "5"}}}]}}}}
    described = describe({"TableName": "orders", "Item": item})
    assert described["Item"]["deep"]["M"]["inner"]["L"][0]["M"]["leaf"] == {
        "N": "NumberAttributeValue:5"
    }
    assert built["AttributeValue"] == 1
    assert max(built.values()) == 1


def test_a_root_is_built_once_and_each_root_on_its_own() -> None:
    built: Counter[str] = Counter()
    compiled = _describer(built)
    model = get_service_model("dynamodb")
    put = model.operation_model("PutItem").input_shape
    assert compiled.of(put) is compiled.of(put)
    assert built["PutItemInput"] == 1
    compiled.of(model.operation_model("DeleteItem").input_shape)
    assert built["AttributeValue"] == 2  # one per root: no state shared across roots


def test_a_shape_with_other_constraints_is_another_function() -> None:
    built: Counter[str] = Counter()
    model: dict[str, Any] = {
        "Root": {
            "type": "structure",
            "members": {"Plain": {"shape": "Name"}, "Short": {"shape": "Name", "max": 3}},
        },
        "Name": {"type": "string"},
    }
    root = ShapeResolver(model).get_shape_by_name("Root")
    _describer(built).of(root)
    assert built["Name"] == 2
