"""Which `landing_date=` partitions a query needs, read from its WHERE clause, conservatively.

A query that says `where landing_date = '2026-11-30'` needs one partition, not the whole
lake. DuckDB parses the SQL (`json_serialize_sql`, no extension needed) and this module
reads its syntax tree. Pruning is sound only where rows of a skipped partition could not
change the result, so it applies only when all of this holds, and otherwise every
partition is read:

- one plain SELECT whose FROM is `events` alone, which no CTE, join, subquery or set
  operation references again (all of them would see the pruned table);
- no select-list alias named `landing_date` (WHERE could mean the alias);
- constraints come only from the top-level AND of the WHERE clause: each term that
  compares `landing_date` with a text or DATE literal (=, <>, <, <=, >, >=, IN, BETWEEN)
  narrows the partitions; any other term (an OR, a function, another column) is ignored,
  which only keeps more.

Comparisons follow DuckDB's: text literals compare as text (byte order of UTF-8, the
same as Python's code-point order); DATE literals compare as dates, which for
`YYYY-MM-DD` text is the same order, and a partition whose name is not such a date is
always kept (DuckDB would fail on it, as it should).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import Any

import duckdb

from messaging.lake.objects import PARTITION_KEY

__all__ = ["Partitions", "needed_partitions"]

Partitions = Callable[[str], bool]  # landing_date -> needed
TABLE = "events"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPARE: dict[str, Callable[[str, str], bool]] = {
    "COMPARE_EQUAL": operator.eq,
    "COMPARE_NOTEQUAL": operator.ne,
    "COMPARE_LESSTHAN": operator.lt,
    "COMPARE_LESSTHANOREQUALTO": operator.le,
    "COMPARE_GREATERTHAN": operator.gt,
    "COMPARE_GREATERTHANOREQUALTO": operator.ge,
}
_FLIPPED = {
    "COMPARE_EQUAL": "COMPARE_EQUAL",
    "COMPARE_NOTEQUAL": "COMPARE_NOTEQUAL",
    "COMPARE_LESSTHAN": "COMPARE_GREATERTHAN",
    "COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
    "COMPARE_GREATERTHAN": "COMPARE_LESSTHAN",
    "COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
}


def needed_partitions(connection: duckdb.DuckDBPyConnection, sql: str) -> Partitions | None:
    """A test of which partitions `sql` needs, or None when it may need them all."""
    try:
        serialized = connection.execute("select json_serialize_sql(?)", [sql]).fetchone()
    except duckdb.Error:
        return None
    tree = json.loads(serialized[0]) if serialized else {}
    statements = tree.get("statements") or []
    if tree.get("error") or len(statements) != 1:
        return None
    node = statements[0].get("node") or {}
    if not _prunable(node, statements[0]):
        return None
    alias = str(node["from_table"].get("alias") or "").lower()
    tests = [
        test
        for term in _conjuncts(node.get("where_clause"))
        if (test := _term(term, alias)) is not None
    ]
    if not tests:
        return None
    return lambda partition: all(test(partition) for test in tests)


def _prunable(node: dict[str, Any], statement: dict[str, Any]) -> bool:
    source = node.get("from_table") or {}
    if node.get("type") != "SELECT_NODE" or (node.get("cte_map") or {}).get("map"):
        return False
    if source.get("type") != "BASE_TABLE" or str(source.get("table_name", "")).lower() != TABLE:
        return False
    if source.get("schema_name") or source.get("catalog_name"):
        return False
    if _references(statement) != 1:
        return False
    return not any(
        str(item.get("alias", "")).lower() == PARTITION_KEY for item in node["select_list"]
    )


def _references(tree: object) -> int:
    """How many times the syntax tree reads the table `events`."""
    if isinstance(tree, list):
        return sum(_references(item) for item in tree)
    if not isinstance(tree, dict):
        return 0
    own = tree.get("type") == "BASE_TABLE" and str(tree.get("table_name", "")).lower() == TABLE
    return int(own) + sum(_references(value) for value in tree.values())


def _conjuncts(expression: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not expression:
        return []
    if expression.get("type") == "CONJUNCTION_AND":
        return [part for child in expression["children"] for part in _conjuncts(child)]
    return [expression]


def _is_partition_column(expression: dict[str, Any], alias: str) -> bool:
    if expression.get("class") != "COLUMN_REF":
        return False
    names = [str(name).lower() for name in expression.get("column_names", [])]
    if names == [PARTITION_KEY]:
        return True
    return len(names) == 2 and names[1] == PARTITION_KEY and names[0] in {alias or TABLE}


def _literal(expression: dict[str, Any]) -> tuple[str, bool] | None:
    """(text, is a date) of a text or DATE literal; None for anything else."""
    if expression.get("class") == "CAST":
        kind = expression.get("type_expr", {}).get("type_name") or expression.get(
            "cast_type", {}
        ).get("id")
        inner = _literal(expression.get("child") or {})
        if str(kind).upper() != "DATE" or inner is None or not _DATE.fullmatch(inner[0]):
            return None
        return inner[0], True
    if expression.get("class") != "CONSTANT":
        return None
    literal = expression.get("literal")
    if isinstance(literal, dict) and literal.get("kind") == "STRING":
        return str(literal.get("text")), False
    value = expression.get("value")  # older DuckDB: {"type": {"id": ...}, "value": ...}
    if (
        isinstance(value, dict)
        and (value.get("type") or {}).get("id") == "VARCHAR"
        and isinstance(value.get("value"), str)
    ):
        return value["value"], False
    return None


def _compare(kind: str, literal: tuple[str, bool]) -> Callable[[str], bool]:
    compare, (text, is_date) = _COMPARE[kind], literal

    def test(partition: str) -> bool:
        if is_date and not _DATE.fullmatch(partition):
            return True  # not a date: DuckDB would fail on it; never hide that
        return compare(partition, text)

    return test


def _term(  # noqa: PLR0911 - one return per kind of term, each said where it is decided
    term: dict[str, Any], alias: str
) -> Callable[[str], bool] | None:
    kind = term.get("type", "")
    if kind in _COMPARE:
        left, right = term.get("left") or {}, term.get("right") or {}
        if _is_partition_column(left, alias) and (literal := _literal(right)) is not None:
            return _compare(kind, literal)
        if _is_partition_column(right, alias) and (literal := _literal(left)) is not None:
            return _compare(_FLIPPED[kind], literal)
        return None
    if kind == "COMPARE_IN":
        column, *values = term.get("children") or [{}]
        literals = [_literal(value) for value in values]
        if not _is_partition_column(column, alias) or any(lit is None for lit in literals):
            return None
        tests = [_compare("COMPARE_EQUAL", lit) for lit in literals if lit is not None]
        return lambda partition: any(test(partition) for test in tests)
    if kind == "COMPARE_BETWEEN" and _is_partition_column(term.get("input") or {}, alias):
        lower, upper = _literal(term.get("lower") or {}), _literal(term.get("upper") or {})
        if lower is None or upper is None:
            return None
        low = _compare("COMPARE_GREATERTHANOREQUALTO", lower)
        high = _compare("COMPARE_LESSTHANOREQUALTO", upper)
        return lambda partition: low(partition) and high(partition)
    return None
