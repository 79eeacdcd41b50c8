"""DynamoDB Scan whose pagination costs a page, not the table, per request.

The gap it closes: for every Scan page moto sorts the whole table, then walks it from the
start, comparing each item with `ExclusiveStartKey` until it passes the previous pages
(`Table.scan`, `Table.all_items`). A full paginated scan is quadratic: after a soak run,
one `messaging status` took 114 s. Each result was also deep-copied, even for
`Select=COUNT`, which returns no items.

Here a table's items (`Table.items`, a dict keyed by hash key, then by range key) keep
their keys in order as they are written (`IndexedItems`, on `sortedcontainers`), so a
page starts with a binary search for `ExclusiveStartKey` and reads only what it
returns. The order is moto's (hash key, then range key), so pages come out as before.
An item written during a scan is seen if its key is past the page being read, and every
item present for the whole scan is returned exactly once, as on AWS.

Semantics kept from moto, on purpose (moto's own tests pin them): `Limit` counts the
items that pass a legacy `ScanFilter` (AWS counts the items evaluated), and the 1 MB page
limit adds up the sizes of those items. `FilterExpression` is applied after the page is
read, as on AWS. Results are the stored items, not copies, as moto's GetItem returns
them: a response only serialises them.

The index is updated in several steps, so it takes its writes one at a time: the server
serves DynamoDB's requests so (`one_at_a_time`); concurrent writers would leave its keys
out of order, and pages would skip and repeat items.

Known limits: scans of an index keep moto's path (this system has no index); a table
restored from a backup keeps moto's path too, until written through `create_table`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table
from sortedcontainers import SortedKeyList

__all__ = ["IndexedItems", "LinearScan", "scan_page"]


def _order(key: DynamoType) -> Any:
    return key.cast_value


class IndexedItems(defaultdict[Any, Any]):
    """A `Table.items` dict that also keeps its keys sorted, updated on every write.

    moto writes it with `[key] = value` (directly, or through `defaultdict`'s missing-key
    path) and `pop`; every other mutating method is covered too. Copies and pickles
    rebuild the order with one sort (`__reduce__`).
    """

    def __init__(self, default_factory: Callable[[], Any] | None = None) -> None:
        super().__init__(default_factory)
        self.order: SortedKeyList[DynamoType, Any] = SortedKeyList(key=_order)

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self.order.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self.order.remove(key)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            self.order.remove(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[Any, Any]:
        key, value = super().popitem()
        self.order.remove(key)
        return key, value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        super().clear()
        self.order.clear()

    def __ior__(self, other: Any) -> IndexedItems:  # type: ignore[misc]
        self.update(other)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuilt in one sort, not one insertion per item (a million items restore)."""
        return _rebuild, (type(self), self.default_factory, list(self.items()))

    def after(self, key: DynamoType | None) -> Iterator[DynamoType]:
        """Keys in order, starting after `key` (from the first when None)."""
        start = 0 if key is None else self.order.bisect_key_right(_order(key))
        return self.order.islice(start)

    def starting_at(self, key: DynamoType) -> Iterator[DynamoType]:
        """Keys in order, starting at `key` or the first one past it."""
        return self.order.islice(self.order.bisect_key_left(_order(key)))


def _rebuild(
    kind: type[IndexedItems], factory: Callable[[], Any] | None, items: list[tuple[Any, Any]]
) -> IndexedItems:
    rebuilt = kind(factory)
    dict.update(rebuilt, items)  # the plain dict's update: no per-item __setitem__
    rebuilt.order.update(rebuilt.keys())
    return rebuilt


def index_items(table: Table) -> None:
    """Replace a table's items by an `IndexedItems` holding the same (idempotent)."""
    if isinstance(table.items, IndexedItems):
        return
    inner = IndexedItems if table.range_key_attr else None
    indexed = IndexedItems(inner)
    for hash_key, value in table.items.items():
        if inner is None:
            indexed[hash_key] = value
        else:
            ranges = IndexedItems()
            ranges.update(value)
            indexed[hash_key] = ranges
    table.items = indexed


def _items_from(table: Table, start: dict[str, Any] | None) -> Iterator[Item]:
    """Every item in moto's scan order, after `start` (an ExclusiveStartKey)."""
    items: IndexedItems = table.items  # type: ignore[assignment]
    start_hash = DynamoType(start[table.hash_key_attr]) if start else None
    if table.range_key_attr is None:
        for hash_key in items.after(start_hash):
            yield items[hash_key]
        return
    start_range = start.get(table.range_key_attr) if start else None
    hashes = items.after(None) if start_hash is None else items.starting_at(start_hash)
    for hash_key in hashes:
        ranges: IndexedItems = items[hash_key]
        after = None
        if start_hash is not None and start_range is not None and hash_key == start_hash:
            after = DynamoType(start_range)  # the rest of the start key's partition
        for range_key in ranges.after(after):
            yield ranges[range_key]


def _passes(item: Item, filters: dict[str, Any]) -> bool:
    """moto's legacy ScanFilter test (`ComparisonOperator` per attribute)."""
    for name, (operator, values) in filters.items():
        attribute = item.attrs.get(name)
        if attribute:
            if not attribute.compare(operator, values):
                return False
        elif operator != "NULL":
            return False
    return True


def scan_page(
    table: Table,
    filters: dict[str, Any],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    filter_expression: Any = None,
    projection_expression: list[list[str]] | None = None,
    segments: tuple[None, None] | tuple[int, int] = (None, None),
    on_item: Callable[[Item], None] | None = None,
) -> tuple[list[Item], int, dict[str, Any] | None]:
    """One Scan page of a table whose items are `IndexedItems`: (items, scanned, next key).

    `on_item` sees every item the page examines (tests count them).
    """
    results: list[Item] = []
    result_size = 0
    scanned = 0
    last_key = None
    for item in _items_from(table, exclusive_start_key):
        if on_item is not None:
            on_item(item)
        if not item.is_within_segment(segments):
            continue
        size = item.size()
        if len(results) == limit or result_size + size > RESULT_SIZE_LIMIT:
            last_key = table._get_last_evaluated_key(results[-1], None)  # noqa: SLF001
            break
        if _passes(item, filters):
            results.append(item)
            result_size += size
        scanned += 1
    if filter_expression is not None:
        results = [item for item in results if filter_expression.expr(item)]
    if projection_expression:
        results = [item.project(projection_expression) for item in results]
    return results, scanned, last_key


class LinearScan:
    """Backend mixin: tables index their items; Scan pages read only what they return."""

    def create_table(self, name: str, *args: Any, **kwargs: Any) -> Table:
        table: Table = super().create_table(name, *args, **kwargs)  # type: ignore[misc]
        index_items(table)
        return table

    def scan(
        self,
        table_name: str,
        filters: dict[str, Any],
        limit: int | None,
        exclusive_start_key: dict[str, Any] | None,
        filter_expression: str | None,
        expr_names: dict[str, Any],
        expr_values: dict[str, Any],
        index_name: str | None,
        consistent_read: bool,
        projection_expression: list[list[str]] | None,
        segments: tuple[None, None] | tuple[int, int],
    ) -> tuple[list[Item], int, dict[str, Any] | None]:
        parent: Any = super()
        table: Table = self.get_table(table_name)  # type: ignore[attr-defined]
        if index_name or not isinstance(table.items, IndexedItems):
            return parent.scan(  # type: ignore[no-any-return]
                table_name, filters, limit, exclusive_start_key, filter_expression,
                expr_names, expr_values, index_name, consistent_read, projection_expression,
                segments,
            )  # fmt: skip
        scan_filters = {
            key: (operator, [DynamoType(value) for value in values])
            for key, (operator, values) in filters.items()
        }
        condition = get_filter_expression(filter_expression, expr_names, expr_values)
        return scan_page(
            table,
            scan_filters,
            limit,
            exclusive_start_key,
            condition,
            projection_expression,
            segments,
        )
