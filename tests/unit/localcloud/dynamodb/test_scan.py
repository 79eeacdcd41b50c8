"""Scan pages: moto's answers, each item once, and a page reads only what it returns."""

from __future__ import annotations

import copy
import pickle
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from messaging.localcloud.dynamodb.scan import IndexedItems, scan_page
from messaging.localcloud.dynamodb.transactions import LocalDynamoDBBackend
from tests.support.moto_state import make_table


def put(dynamodb: LocalDynamoDBBackend, table: str, pk: str, sk: int | None = None) -> None:
    item: dict[str, Any] = {"pk": {"S": pk}, "v": {"N": str(len(pk))}}
    if sk is not None:
        item["sk"] = {"N": str(sk)}
    dynamodb.put_item(table, item)


def key_of(item: Item) -> tuple[str, str | None]:
    return item.hash_key.value, None if item.range_key is None else item.range_key.value


def scan_all(
    dynamodb: LocalDynamoDBBackend, table: str, limit: int, between: Any = None
) -> list[tuple[str, str | None]]:
    seen: list[tuple[str, str | None]] = []
    start = None
    while True:
        items, _, start = dynamodb.scan(
            table, {}, limit, start, None, {}, {}, None, False, None, (None, None)
        )
        seen += [key_of(item) for item in items]
        if start is None:
            return seen
        if between is not None:
            between()


KEYS = st.lists(st.text("abcdefgh", min_size=1, max_size=4), max_size=60, unique=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keys=KEYS, ranges=st.integers(1, 3), limit=st.integers(1, 7), ranged=st.booleans())
def test_pages_are_moto_pages(
    dynamodb: LocalDynamoDBBackend, keys: list[str], ranges: int, limit: int, ranged: bool
) -> None:
    name = f"t{'r' if ranged else 'h'}"
    if name not in dynamodb.tables:
        make_table(name, ranged=ranged)
    table = dynamodb.get_table(name)
    table.items.clear()
    for key in keys:
        for sk in range(ranges if ranged else 1):
            put(dynamodb, name, key, sk if ranged else None)
    start: Any = None
    while True:
        ours = scan_page(table, {}, limit, start)
        theirs = Table.scan(table, {}, limit, start)  # moto's own, on the same items
        assert [key_of(i) for i in ours[0]] == [key_of(i) for i in theirs[0]]
        assert ours[1:] == theirs[1:]
        start = ours[2]
        if start is None:
            break


def test_every_item_present_throughout_is_returned_once_despite_writes(
    dynamodb: LocalDynamoDBBackend,
) -> None:
    make_table("w", ranged=False)
    for n in range(200):
        put(dynamodb, "w", f"k{n:03d}")
    deleted: set[tuple[str, None]] = set()

    def write_between_pages() -> None:
        n = len(deleted)
        put(dynamodb, "w", f"a{n:03d}")  # before every page still to come: may be missed
        put(dynamodb, "w", f"z{n:03d}")  # after them: seen
        dynamodb.delete_item("w", {"pk": {"S": f"k{199 - n:03d}"}})
        deleted.add((f"k{199 - n:03d}", None))

    seen = scan_all(dynamodb, "w", limit=9, between=write_between_pages)
    assert len(seen) == len(set(seen))
    assert {(f"k{n:03d}", None) for n in range(200)} - deleted <= set(seen)
    assert {(f"z{n:03d}", None) for n in range(len(deleted))} <= set(seen)


def test_a_page_reads_only_what_it_returns(dynamodb: LocalDynamoDBBackend) -> None:
    table = make_table("big", ranged=True)
    for n in range(300):
        for sk in range(3):
            put(dynamodb, "big", f"p{n:03d}", sk)
    start = None
    pages = 0
    while True:
        examined: list[Item] = []
        items, _, start = scan_page(table, {}, 25, start, on_item=examined.append)
        assert len(examined) <= len(items) + 1  # the next page's first item, to stop
        pages += 1
        if start is None:
            break
    assert pages == 900 // 25


def test_the_order_survives_copies_and_pickles(dynamodb: LocalDynamoDBBackend) -> None:
    table = make_table("c", ranged=True)
    for key in ("b", "a", "c"):
        put(dynamodb, "c", key, 2)
        put(dynamodb, "c", key, 1)
    pickled = pickle.loads(pickle.dumps(table.items))  # noqa: S301 - our own bytes
    for clone in (copy.deepcopy(table.items), pickled):
        assert isinstance(clone, IndexedItems)
        assert [k.value for k in clone.order] == ["a", "b", "c"]
        assert [k.value for k in clone[DynamoType({"S": "a"})].order] == ["1", "2"]
    dynamodb.delete_item("c", {"pk": {"S": "a"}, "sk": {"N": "1"}})
    ranges: Any = table.items[DynamoType({"S": "a"})]
    assert [k.value for k in ranges.order] == ["2"]


def test_select_count_and_filters_answer_as_before(dynamodb: LocalDynamoDBBackend) -> None:
    make_table("f", ranged=False)
    for n in range(30):
        put(dynamodb, "f", "x" * (1 + n % 3))  # three keys, rewritten
    for n in range(10):
        put(dynamodb, "f", f"k{n}")
    items, scanned, start = dynamodb.scan(
        "f", {}, None, None, "v = :two", {}, {":two": {"N": "2"}}, None, False, None,
        (None, None),
    )  # fmt: skip
    assert [key_of(i)[0] for i in items] == [
        "k0",
        "k1",
        "k2",
        "k3",
        "k4",
        "k5",
        "k6",
        "k7",
        "k8",
        "k9",
        "xx",
    ]
    assert scanned == 13
    assert start is None
