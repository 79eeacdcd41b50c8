"""Item building and condition checks answer exactly as moto's own, minus repeated work."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

from messaging.localcloud.dynamodb.requests import (
    ITEM_SIZE_LIMIT,
    SizedItem,
    ValidatedCondition,
    _built,
)
from messaging.localcloud.dynamodb.transactions import LocalDynamoDBBackend

KEY = DynamoType({"S": "k"})


def moto_outcome(attrs: dict[str, Any]) -> dict[str, Any] | type[Exception]:
    try:
        return dict(Item(KEY, None, attrs).attrs)
    except ItemSizeTooLarge:
        return ItemSizeTooLarge


def sized_outcome(attrs: dict[str, Any]) -> dict[str, Any] | type[Exception]:
    try:
        return dict(SizedItem(KEY, None, attrs).attrs)
    except ItemSizeTooLarge:
        return ItemSizeTooLarge


scalar_values = st.one_of(
    st.text(max_size=30).map(lambda s: {"S": s}),
    st.integers().map(lambda n: {"N": str(n)}),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda n: {"N": str(n)}),
    st.binary(max_size=10).map(lambda b: {"B": b}),
    st.lists(st.text(max_size=5), min_size=1, max_size=3, unique=True).map(lambda s: {"SS": s}),
    st.lists(st.integers(), min_size=1, max_size=3, unique=True).map(
        lambda n: {"NS": [str(i) for i in n]}
    ),
    st.lists(st.binary(max_size=4), min_size=1, max_size=3, unique=True).map(lambda b: {"BS": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
)
attribute_values = st.recursive(
    scalar_values,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: {"L": items}),
        st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3).map(
            lambda members: {"M": members}
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10), attribute_values, max_size=8))
def test_any_item_is_built_as_moto_builds_it(attrs: dict[str, Any]) -> None:
    assert sized_outcome(attrs) == moto_outcome(attrs)


@settings(max_examples=300, deadline=None)
@given(attribute_values)
def test_each_value_is_moto_s_object_of_moto_s_size(value: dict[str, Any]) -> None:
    (built, size), theirs = _built(value), DynamoType(value)
    assert type(built) is DynamoType
    assert repr(built) == repr(theirs)  # type and value, nested DynamoTypes included
    assert size == theirs.size()
    copied, copied_size = _built(theirs)  # a DynamoType is copied, as moto does
    assert (repr(copied), copied_size) == (repr(theirs), theirs.size())


def test_an_empty_value_fails_as_moto_fails() -> None:
    with pytest.raises(IndexError):
        DynamoType({})
    with pytest.raises(IndexError):
        _built({})


@pytest.mark.parametrize("padding", [-1, 0, 1])
def test_the_size_limit_is_moto_s_to_the_byte(padding: int) -> None:
    # Two attributes; the second brings the total to the limit + padding.
    first = {"S": "x" * 1000}
    overhead = len("a") + 1000 + len("b")
    attrs = {"a": first, "b": {"S": "y" * (ITEM_SIZE_LIMIT - overhead + padding)}}
    assert sized_outcome(attrs) == moto_outcome(attrs)
    assert (sized_outcome(attrs) is ItemSizeTooLarge) == (padding > 0)


def test_later_updates_keep_moto_s_per_attribute_check() -> None:
    item = SizedItem(KEY, None, {"a": {"S": "x" * 1000}})
    assert type(item.attrs) is LimitedSizeDict
    with pytest.raises(ItemSizeTooLarge):
        item.attrs["b"] = DynamoType({"S": "y" * ITEM_SIZE_LIMIT})


def test_tables_build_sized_items_once_installed(dynamodb: LocalDynamoDBBackend) -> None:
    dynamodb.put_item("t", {"pk": {"S": "a"}, "n": {"N": "1"}})
    assert isinstance(dynamodb.get_item("t", {"pk": {"S": "a"}}), SizedItem)


CONDITIONS = [
    ("attribute_not_exists(#key)", {"#key": "consumer_id"}, {}),
    ("#a = :v AND attribute_exists(#b)", {"#a": "x", "#b": "y"}, {":v": {"S": "1"}}),
    (
        "size(#a) > :n OR #b IN (:v, :w)",
        {"#a": "a", "#b": "b"},
        {":n": {"N": "3"}, ":v": {"S": "p"}, ":w": {"S": "q"}},
    ),
    ("attribute_exists(#b)", {"#b": "blob"}, {":x": {"B": b"\x00\x01"}}),  # bytes: not cached
]


@pytest.mark.parametrize(("expression", "names", "values"), CONDITIONS)
def test_the_names_found_are_moto_s(
    expression: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    moto = ConditionExpressionParser(expression, names, values)
    moto.parse()
    for _ in range(2):  # the second answer comes from the cache
        ours = ValidatedCondition(expression, names, values)
        ours.parse()
        assert ours.expr_attr_names_found == moto.expr_attr_names_found
        assert ours.expr_attr_values_found == moto.expr_attr_values_found


def test_each_answer_is_a_fresh_list() -> None:
    # moto's responses extend the list they get; that must not leak into the cache.
    first = ValidatedCondition("attribute_exists(#a)", {"#a": "a"}, {})
    first.parse()
    first.expr_attr_names_found += ["#leak"]
    second = ValidatedCondition("attribute_exists(#a)", {"#a": "a"}, {})
    second.parse()
    assert second.expr_attr_names_found == ["#a"]


def test_an_invalid_expression_fails_as_moto_fails() -> None:
    arguments: tuple[str, dict[str, str], dict[str, Any]] = (
        "#a = = :v",
        {"#a": "a"},
        {":v": {"S": "1"}},
    )
    with pytest.raises(Exception) as moto_error:  # noqa: PT011 - compared below
        ConditionExpressionParser(*arguments).parse()
    for _ in range(2):  # not cached: the second attempt fails the same way
        with pytest.raises(type(moto_error.value)) as ours:
            ValidatedCondition(*arguments).parse()
        assert str(ours.value) == str(moto_error.value)
