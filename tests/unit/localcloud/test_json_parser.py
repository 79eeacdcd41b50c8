"""moto's JSON parser over present members: moto's answers, the body decoded once."""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from typing import Any

import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core import parse as moto_parse
from moto.core.utils import get_service_model

from messaging.localcloud import json_parser
from messaging.localcloud.json_parser import PresentMembersJSONParser, hand_over
from tests.support.json_operations import OPERATIONS

_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=8),
    "boolean": st.booleans(),
    "integer": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**40), 2**40),
    "float": st.floats(allow_nan=False) | st.integers(-100, 100),
    "double": st.floats(allow_nan=False) | st.integers(-100, 100),
    "blob": st.binary(max_size=12).map(lambda data: base64.b64encode(data).decode()),
    "timestamp": st.integers(0, 2**31) | st.just("2026-11-30T06:00:00Z"),
}


def documents(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Any JSON value the shape admits: some members, unknown names and nulls among them."""
    nested: Any = shape
    if shape.type_name in ("structure", "map", "list") and depth > 3:
        return st.just([] if shape.type_name == "list" else {})
    if shape.type_name == "structure":
        members = {
            name: st.none() | documents(member, depth + 1)
            for name, member in nested.members.items()
        }
        return st.fixed_dictionaries(
            {}, optional={**members, "NotInTheModel": st.integers()}
        ).flatmap(lambda chosen: st.permutations(list(chosen.items())).map(dict))
    if shape.type_name == "list":
        return st.lists(documents(nested.member, depth + 1), max_size=3)
    if shape.type_name == "map":
        return st.dictionaries(st.text(max_size=4), documents(nested.value, depth + 1), max_size=3)
    return _SCALARS[shape.type_name]


def ordered(value: Any) -> Any:
    """The value with every mapping's order made visible: equal only if orders agree."""
    if isinstance(value, dict):
        return [type(value).__name__, [(key, ordered(item)) for key, item in value.items()]]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def parse(parser: type, service: str, operation: str, body: bytes, map_type: Any = dict) -> Any:
    model = get_service_model(service).operation_model(operation)
    request = {"method": "POST", "values": {}, "headers": {}, "body": body, "url_path": "/",
               "url_params": {}}  # fmt: skip
    return parser(model, map_type=map_type).parse(request)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_answer_is_moto_s_own_in_moto_s_order(
    service: str, operation: str, data: st.DataObject
) -> None:
    shape = get_service_model(service).operation_model(operation).input_shape
    body = json.dumps(data.draw(documents(shape))).encode()
    for map_type in (dict, OrderedDict):
        theirs = parse(moto_parse.JSONParser, service, operation, body, map_type)
        ours = parse(PresentMembersJSONParser, service, operation, body, map_type)
        assert ordered(ours) == ordered(theirs)


def test_a_batch_of_items_parses_as_moto_parses_it() -> None:
    item = {
        "id": {"S": "c-1"},
        "n": {"N": "12.5"},
        "blob": {"B": base64.b64encode(b"\x00\xff").decode()},
        "tags": {"SS": ["a", "b"]},
        "nested": {"M": {"list": {"L": [{"NULL": True}, {"BOOL": False}, {"BS": ["AA=="]}]}}},
    }
    statement = {
        "Statement": "INSERT INTO \"t\" VALUE {'id': ?}",
        "Parameters": list(item.values()),
    }
    body = json.dumps({"Statements": [statement] * 25, "ReturnConsumedCapacity": "TOTAL"}).encode()
    ours = parse(PresentMembersJSONParser, "dynamodb", "BatchExecuteStatement", body)
    assert ours == parse(moto_parse.JSONParser, "dynamodb", "BatchExecuteStatement", body)
    assert ours["Statements"][0]["Parameters"][2] == {"B": b"\x00\xff"}


def test_a_handed_over_document_is_used_once_and_only_for_its_own_body() -> None:
    body = b'{"TableName": "orders"}'
    hand_over(body, {"TableName": "handed over"})
    assert parse(PresentMembersJSONParser, "dynamodb", "DescribeTable", body) == {
        "TableName": "handed over"
    }
    # Used once: the same body again is decoded from its bytes.
    assert parse(PresentMembersJSONParser, "dynamodb", "DescribeTable", body) == {
        "TableName": "orders"
    }
    # Another body (moto decompressed it, say) is never answered from the document.
    hand_over(body, {"TableName": "handed over"})
    other = b'{"TableName": "payments"}'
    assert parse(PresentMembersJSONParser, "dynamodb", "DescribeTable", other) == {
        "TableName": "payments"
    }


def test_a_document_handed_over_in_one_thread_is_not_seen_in_another() -> None:
    body = b'{"TableName": "orders"}'
    hand_over(body, {"TableName": "handed over"})
    seen: list[Any] = []
    thread = threading.Thread(
        target=lambda: seen.append(
            parse(PresentMembersJSONParser, "dynamodb", "DescribeTable", body)
        )
    )
    thread.start()
    thread.join()
    assert seen == [{"TableName": "orders"}]
    json_parser.hand_over(b"", None)  # leave this thread clean


def test_install_replaces_the_json_entry_only_and_uninstall_restores_it() -> None:
    before = dict(moto_parse.PROTOCOL_PARSERS)
    json_parser.uninstall()
    try:
        assert moto_parse.PROTOCOL_PARSERS["json"] is moto_parse.JSONParser
        json_parser.install()
        assert moto_parse.PROTOCOL_PARSERS["json"] is PresentMembersJSONParser
        others = {k: v for k, v in moto_parse.PROTOCOL_PARSERS.items() if k != "json"}
        assert others == {k: v for k, v in before.items() if k != "json"}
    finally:
        moto_parse.PROTOCOL_PARSERS.update(before)
