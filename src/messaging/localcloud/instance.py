"""Which local cloud is this: an id per fresh start, kept across restores.

Every response carries it in the `x-localcloud-instance` header, so a client can tell a
restart that kept the state (same id) from one that did not (new id) and stop instead of
talking to an empty cloud (`messaging.ops.instance` is the client side). The id is saved
with the state (`state.snapshot`).

The same layer says, in `SIGNATURES_HEADER`, that this endpoint checks no request
signature: a client then stops computing them (`messaging.core.signing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from messaging.core.signing import SIGNATURES_HEADER, UNCHECKED
from messaging.ops.instance import INSTANCE_HEADER

__all__ = ["INSTANCE_HEADER", "InstanceHeader", "new_instance_id"]


def new_instance_id() -> str:
    return uuid.uuid4().hex


class InstanceHeader:
    """WSGI: add the instance id to every response, errors and injected faults included,
    and that signatures go unchecked."""

    def __init__(self, app: Callable[..., Iterable[bytes]], instance_id: Callable[[], str]) -> None:
        self.app = app
        self.instance_id = instance_id  # read per request: known once the state is restored

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        added = [(INSTANCE_HEADER, self.instance_id()), (SIGNATURES_HEADER, UNCHECKED)]

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [*headers, *added], *exc_info)

        return self.app(environ, start)
