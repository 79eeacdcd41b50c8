"""moto's request path, without the per-request work whose answer never changes.

The gap it closes: every request to moto's server asks `inspect.getmembers` for every
method of the service's response class, to check that the action exists, and turns the
action's name into snake_case with three regular expressions. Both answers depend only
on the class and the name. Measured in-process on an empty ReceiveMessage (moto 5.2.5),
the member listing alone was about a quarter of the request's CPU.

Both functions are pure, so caching them changes no behaviour. They are rebound in
`moto.core.responses`, the module that calls them on every request; `install()` is
idempotent and `uninstall()` restores moto's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.core import responses as moto_responses
from moto.core import utils as moto_utils

__all__ = ["install", "uninstall"]

_ORIGINALS: dict[str, Callable[..., Any]] = {
    "method_names_from_class": moto_utils.method_names_from_class,
    "camelcase_to_underscores": moto_utils.camelcase_to_underscores,
}


@functools.cache
def _method_names(clazz: type) -> frozenset[str]:
    # A frozenset: moto only asks `action in names`, and nobody can mutate a cached answer.
    return frozenset(_ORIGINALS["method_names_from_class"](clazz))


@functools.lru_cache(maxsize=4096)
def _snake_case(name: str | None) -> str | None:
    # No action stays no action (moto answers 404); str() made it the action "None".
    if not name:
        return name
    return str(_ORIGINALS["camelcase_to_underscores"](name))


def install() -> None:
    setattr(moto_responses, "method_names_from_class", _method_names)  # noqa: B010
    setattr(moto_responses, "camelcase_to_underscores", _snake_case)  # noqa: B010


def uninstall() -> None:
    for name, original in _ORIGINALS.items():
        setattr(moto_responses, name, original)
