"""moto's value picker with cached key spellings, and its serialisers reading dicts directly:
the same responses, byte for byte."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from botocore import xform_name
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core import responses as moto_responses
from moto.core import serialize as moto_serialize
from moto.core.serialize import (
    JSONSerializer,
    QuerySerializer,
    SqsQuerySerializer,
    XFormedAttributePicker,
)
from moto.core.utils import get_service_model
from moto.sns.responses import SNSResponse

from messaging.localcloud import value_picker
from messaging.localcloud.value_picker import CachedKeysPicker, serializer_reading_dicts

MOTO_CLASSES = {"json": JSONSerializer, "query": QuerySerializer}
TRANSFORMERS = {"sns": SNSResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER}

OPERATIONS = [
    ("dynamodb", "BatchExecuteStatement", "json"),
    ("dynamodb", "DescribeTable", "json"),
    ("sqs", "ReceiveMessage", "json"),
    ("sns", "PublishBatch", "query"),
    ("sns", "ListSubscriptionsByTopic", "query"),
    ("firehose", "PutRecordBatch", "json"),
]

_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(max_size=6),
    "boolean": st.booleans(),
    "integer": st.integers(-1000, 1000),
    "long": st.integers(-(2**40), 2**40),
    "float": st.floats(allow_nan=False, allow_infinity=False, width=32),
    "double": st.floats(allow_nan=False, allow_infinity=False),
    "blob": st.binary(max_size=6),
    "timestamp": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
}


def results(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """A result as moto's backends hand them over: dicts keyed by member name or snake_case."""
    if shape.type_name == "structure":
        if depth > 3:
            return st.just({})
        members = {
            name: st.tuples(st.sampled_from([name, xform_name(name)]), results(member, depth + 1))
            for name, member in shape.members.items()  # type: ignore[attr-defined]
        }
        return st.fixed_dictionaries({}, optional=members).map(lambda chosen: dict(chosen.values()))
    nested: Any = shape
    if shape.type_name == "list":
        return (
            st.lists(results(nested.member, depth + 1), max_size=2) if depth <= 3 else st.just([])
        )
    if shape.type_name == "map":
        if depth > 3:
            return st.just({})
        values = results(nested.value, depth + 1)
        return st.dictionaries(st.text(min_size=1, max_size=4), values, max_size=2)
    return _SCALARS[shape.type_name]


def serialized(picker: type, service: str, operation: str, protocol: str, result: Any) -> Any:
    """moto's answer with moto's picker, or ours with our picker and serialiser."""
    model = get_service_model(service).operation_model(operation)
    moto_class = MOTO_CLASSES[protocol]
    ours = picker is CachedKeysPicker
    serializer_class = serializer_reading_dicts(moto_class) if ours else moto_class
    chosen = picker(response_transformers=TRANSFORMERS.get(service))
    return serializer_class(model, value_picker=chosen).serialize(result)["body"]


@pytest.mark.parametrize(("service", "operation", "protocol"), OPERATIONS)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_response_is_moto_s_to_the_byte(
    service: str, operation: str, protocol: str, data: st.DataObject
) -> None:
    shape = get_service_model(service).operation_model(operation).output_shape
    result = data.draw(results(shape))
    theirs = serialized(XFormedAttributePicker, service, operation, protocol, result)
    first = serialized(CachedKeysPicker, service, operation, protocol, result)
    again = serialized(CachedKeysPicker, service, operation, protocol, result)  # from cache
    assert first == again == theirs


class Entry:
    """A model object, not a dict: its keys are moto's to find, every time."""

    Meta = type("Meta", (), {"serialization_aliases": {"MessageId": "message"}})

    def __init__(self) -> None:
        self.id = "1"
        self.message = "from the alias"


def test_objects_other_than_dicts_take_moto_s_path() -> None:
    result = {"Successful": [Entry()], "Failed": []}
    theirs = serialized(XFormedAttributePicker, "sns", "PublishBatch", "query", result)
    ours = serialized(CachedKeysPicker, "sns", "PublishBatch", "query", result)
    assert ours == theirs
    assert "from the alias" in str(ours)


_ATTRIBUTES = st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4), st.booleans()))
# SNS's transformers take what its backend hands over: attributes with booleans, tags as a
# dict; one of them applies to a member inside a list
_TRANSFORMED = {
    "GetTopicAttributes": st.fixed_dictionaries({"Attributes": _ATTRIBUTES}),
    "ListTagsForResource": st.fixed_dictionaries(
        {"Tags": st.dictionaries(st.text(max_size=4), st.text(max_size=4))}
    ),
    "ListEndpointsByPlatformApplication": st.fixed_dictionaries(
        {
            "Endpoints": st.lists(
                st.fixed_dictionaries(
                    {"EndpointArn": st.text(max_size=4), "Attributes": _ATTRIBUTES}
                )
            )
        }
    ),
}


@pytest.mark.parametrize("operation", sorted(_TRANSFORMED))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_member_a_transformer_applies_to_is_transformed_as_moto_does(
    operation: str, data: st.DataObject
) -> None:
    result = data.draw(_TRANSFORMED[operation])
    theirs = serialized(XFormedAttributePicker, "sns", operation, "query", result)
    ours = serialized(CachedKeysPicker, "sns", operation, "query", result)
    assert ours == theirs


def test_a_transformer_still_applies_through_the_cached_keys() -> None:
    result = {"Attributes": {"FifoTopic": True}}
    ours = serialized(CachedKeysPicker, "sns", "GetTopicAttributes", "query", result)
    assert "<value>true</value>" in ours  # transform_attributes: True -> "true"


def test_a_dict_member_is_read_from_the_cached_keys_without_moto_s_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def moto_s_path(*_: Any) -> Any:
        raise AssertionError("moto's get_value was asked")

    monkeypatch.setattr(moto_serialize.ResponseSerializer, "get_value", moto_s_path)
    result = {"Responses": [{"TableName": "orders"}, {"table_name": "payments"}]}
    body = serialized(CachedKeysPicker, "dynamodb", "BatchExecuteStatement", "json", result)
    assert body == '{"Responses": [{"TableName": "orders"}, {"TableName": "payments"}]}'


def test_install_rebinds_the_picker_and_the_serialisers_and_uninstall_restores_them() -> None:
    value_picker.uninstall()
    try:
        assert getattr(moto_responses, "XFormedAttributePicker") is XFormedAttributePicker  # noqa: B009
        assert moto_serialize.get_serializer_class("dynamodb", "json") is JSONSerializer
        assert moto_serialize.get_serializer_class("sqs", "query") is SqsQuerySerializer
        value_picker.install()
        value_picker.install()  # idempotent
        assert getattr(moto_responses, "XFormedAttributePicker") is CachedKeysPicker  # noqa: B009
        for protocol, moto_class in (("json", JSONSerializer), ("query", QuerySerializer)):
            ours = moto_serialize.get_serializer_class("dynamodb", protocol)
            assert ours.__mro__[2] is moto_class  # ours, the mixin, then moto's
        specific = moto_serialize.get_serializer_class("sqs", "query")
        assert issubclass(specific, SqsQuerySerializer)
        assert specific is not SqsQuerySerializer
    finally:
        value_picker.install()
