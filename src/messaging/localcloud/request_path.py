"""moto's request path, without the per-request work whose answer never changes.

The gap it closes: every request to moto's server asks `inspect.getmembers` for every
method of the service's response class, to check that the action exists, and turns the
action's name into snake_case with three regular expressions. Both answers depend only
on the class and the name. Measured in-process on an empty ReceiveMessage (moto 5.2.5),
the member listing alone was about a quarter of the request's CPU.

Both functions are pure, so caching them changes no behaviour. They are rebound in
`moto.core.responses`, the module that calls them on every request.

And every lookup of a service's backends (`sqs_backends[account]`, dozens per SNS
PublishBatch as it fans out) took moto's process-wide `backend_lock` and scanned the
list of every used `BackendDict` (`self not in BackendDict._instances`) to register it:
2.8% of the local cloud's CPU end to end (issue #21), all threads queueing on one lock.
Once a dict is known to be registered and holds the account, that answer cannot change
until `BackendDict.reset` (which clears both) or until the account is removed (then the
lookup misses and takes moto's path again). So the lookup answers from the dict itself,
and moto's own code runs for the first lookup of an account and after every reset.

`install()` is idempotent and `uninstall()` restores moto's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.core.base_backend import BackendDict

__all__ = ["install", "uninstall"]

_ORIGINALS: dict[str, Callable[..., Any]] = {
    "method_names_from_class": moto_utils.method_names_from_class,
    "camelcase_to_underscores": moto_utils.camelcase_to_underscores,
}
_MOTO_LOOKUP = BackendDict.__getitem__
_MOTO_RESET = BackendDict.reset.__func__  # type: ignore[attr-defined]
# The ids of BackendDicts moto's own lookup has registered since the last reset.
_REGISTERED: set[str] = set()


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


def _lookup(self: BackendDict[Any], account_id: str) -> Any:
    """`backends[account]`: moto's answer, without its lock once the answer is settled."""
    if self._id in _REGISTERED:
        found = dict.get(self, account_id)
        if found is not None:
            return found
    found = _MOTO_LOOKUP(self, account_id)
    _REGISTERED.add(self._id)
    return found


def _reset(cls: type[BackendDict[Any]]) -> None:
    _REGISTERED.clear()
    _MOTO_RESET(cls)


def install() -> None:
    setattr(moto_responses, "method_names_from_class", _method_names)  # noqa: B010
    setattr(moto_responses, "camelcase_to_underscores", _snake_case)  # noqa: B010
    setattr(BackendDict, "__getitem__", _lookup)  # noqa: B010
    setattr(BackendDict, "reset", classmethod(_reset))  # noqa: B010


def uninstall() -> None:
    for name, original in _ORIGINALS.items():
        setattr(moto_responses, name, original)
    setattr(BackendDict, "__getitem__", _MOTO_LOOKUP)  # noqa: B010
    setattr(BackendDict, "reset", classmethod(_MOTO_RESET))  # noqa: B010
    _REGISTERED.clear()
