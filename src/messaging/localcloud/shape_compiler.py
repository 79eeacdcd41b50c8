"""Functions compiled once per botocore shape, for the walks a request takes many times.

A walk that dispatches on each node's shape at run time (its type, its members by
name, its bounds) pays for that dispatch at every node of every request. Compiled, each
shape's function already knows its members' functions, and a node costs its own work
only. `shape_check` (does a request conform?) and `json_parser` (moto's parse) compile
their walks here.

botocore builds a new shape object each time a shape is reached through a member (an
AttributeValue's `M` holds AttributeValues: a new object at each level), so within one
root a shape is known by its name and its constraints, which is all a compiled function
depends on; a recursive shape reaches its own function through one indirection. Roots
(an operation's input shape: botocore keeps one per operation model) are held weakly.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from botocore.model import Shape

__all__ = ["Build", "Compiled"]

F = TypeVar("F", bound=Callable[..., Any])
# (the shape, the function of any shape it reaches) -> the shape's function
Build = Callable[[Shape, Callable[[Shape], F]], F]


class Compiled(Generic[F]):
    """`build`'s function for each root shape and each shape it reaches, built once."""

    def __init__(self, build: Build[F]) -> None:
        self._build = build
        self._roots: weakref.WeakKeyDictionary[Shape, F] = weakref.WeakKeyDictionary()

    def of(self, root: Shape) -> F:
        found = self._roots.get(root)
        if found is None:
            found = self._roots[root] = _Compilation(self._build).of(root)
        return found


class _Compilation(Generic[F]):
    """One root's functions, by the name and the constraints of each shape reached."""

    def __init__(self, build: Build[F]) -> None:
        self._build = build
        self._built: dict[tuple[str, str], list[F]] = {}

    def of(self, shape: Shape) -> F:
        key = (shape.name, repr(sorted(shape.metadata.items())))
        slot = self._built.get(key)
        if slot is None:
            slot = self._built[key] = []
            slot.append(self._build(shape, self.of))
        elif not slot:  # reached again while being built: a recursive shape
            return cast(F, lambda *args: slot[0](*args))  # noqa: PLW0108 - not built yet
        return slot[0]
