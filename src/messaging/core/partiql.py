"""The one PartiQL form the project writes: `INSERT INTO "table" VALUE {'name': ?, ...}`.

DynamoDB's PartiQL `INSERT` creates an item unless its key exists (the statement fails
with `DuplicateItem` then), which is the store's create-once write; sent in
`BatchExecuteStatement`, 25 of them cost one request and bill like PutItem. Three places
need the form, and share this module so they agree on it: the store renders it, the
meter reads an item's size from it (names from the statement, values from the
parameters), and the local cloud answers it without moto's general PartiQL engine.

Only this form is recognised: a quoted or bare table name, and a tuple whose every
attribute is a single-quoted name bound to a `?` parameter, each name once. Anything
else (literal values, nested tuples, other statements) is `None` here, and each caller
falls back on its general path. Standard library only: the Lambda function imports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = ["Insert", "insert_statement", "parse_insert"]

_INSERT: Final = re.compile(
    r"""\s*INSERT\s+INTO\s+(?:"(?P<quoted>[^"]+)"|(?P<bare>[A-Za-z0-9_.-]+))"""
    r"""\s+VALUE\s*\{(?P<tuple>.*)\}\s*""",
    re.IGNORECASE | re.DOTALL,
)
_PAIR: Final = re.compile(r"""\s*'(?P<name>(?:[^']|'')+)'\s*:\s*\?\s*(?:,|$)""")


@dataclass(frozen=True)
class Insert:
    """A recognised INSERT: its table, and the attribute names bound to `?` in order."""

    table: str
    names: tuple[str, ...]


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def insert_statement(table: str, names: Iterable[str]) -> str:
    """The statement creating an item of `names` in `table`, values as parameters."""
    pairs = ", ".join(f"{_quote(name)}: ?" for name in names)
    return f'INSERT INTO "{table}" VALUE {{{pairs}}}'


@lru_cache(maxsize=1024)
def parse_insert(statement: str) -> Insert | None:
    """The INSERT `statement` is, if it has the recognised form; else None.

    Cached: a service sends the same few statements (one per item shape) thousands of
    times, and the local cloud parsed each one twice per request (3.6% of its CPU).
    """
    found = _INSERT.fullmatch(statement)
    if found is None:
        return None
    body = found["tuple"]
    names: list[str] = []
    position = 0
    while position < len(body):
        pair = _PAIR.match(body, position)
        if pair is None or pair.end() == position:
            return None
        names.append(pair["name"].replace("''", "'"))
        position = pair.end()
    if not names or len(set(names)) != len(names) or body.rstrip().endswith(","):
        return None
    return Insert(found["quoted"] or found["bare"], tuple(names))
