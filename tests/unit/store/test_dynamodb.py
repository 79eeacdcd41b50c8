"""The DynamoDB store's item serialising: boto3's answers, quicker for strings and maps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest.mock import MagicMock

import pytest
from boto3.dynamodb.types import Binary, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from messaging.store.dynamodb import DynamoStore

_SCALARS = st.one_of(
    st.text(max_size=5),
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-100, max_value=100),
    st.booleans(),
    st.none(),
    st.binary(max_size=4),
    st.frozensets(st.text(min_size=1, max_size=3), min_size=1, max_size=3).map(set),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


def _store() -> DynamoStore:
    return DynamoStore(MagicMock(), "orders")


@given(_VALUES)
def test_the_same_attribute_values_as_boto3(value: Any) -> None:
    assert _store().attribute_value(value) == TypeSerializer().serialize(value)


def test_an_item_of_strings_and_a_map() -> None:
    value = {"street": "1 Main St", "city": "Åre", "empty": "", "nested": {"a": "b"}}
    assert _store().attribute_value(value) == {
        "M": {
            "street": {"S": "1 Main St"},
            "city": {"S": "Åre"},
            "empty": {"S": ""},
            "nested": {"M": {"a": {"S": "b"}}},
        }
    }


@pytest.mark.parametrize("value", [1.5, {"a": 1.5}, {"a": {1, "x"}}, object()])
def test_what_boto3_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError) as expected:
        TypeSerializer().serialize(value)
    with pytest.raises(TypeError) as ours:
        _store().attribute_value(value)
    assert str(ours.value) == str(expected.value)


def test_subclasses_and_binary_are_boto3s() -> None:
    class Name(str):
        __slots__ = ()

    assert _store().attribute_value(Name("x")) == {"S": "x"}
    assert _store().attribute_value(b"\x00") == {"B": Binary(b"\x00")}
    assert _store().attribute_value(Decimal("1.10")) == {"N": "1.10"}
