"""Stop, with a clear error, when the endpoint turns into a different local cloud.

A local cloud restarted without its state answers on the same port with an empty
account. Clients used to reconnect to it silently: consumers polled queues that no
longer existed, `status` looked healthy. The local cloud names itself in a response
header (`INSTANCE_HEADER`, a new id on every fresh start, the same one after a restore
from its state directory). Every client of an `Aws` session remembers the first id it
sees, and any later response that names another one, or none, raises
`InstanceChangedError` from the call that received it.

AWS sends no such header, so against AWS nothing is ever remembered and nothing is
checked: the application carries no `if local:` branch.

`InstanceChangedError` is a `BotoCoreError`: every caller that handles AWS failures
handles it (one line and a non-zero exit in the CLI). It is also `fatal`
(`messaging.core.retry.is_fatal`): a long-running consumer stops on it, exits non-zero
and says why, instead of retrying against the empty cloud.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError

from messaging.errors import MessagingError

__all__ = ["INSTANCE_HEADER", "InstanceChangedError", "InstanceCheck"]

INSTANCE_HEADER = "x-localcloud-instance"


class InstanceChangedError(MessagingError, BotoCoreError):
    """The endpoint now serves another local cloud than the one this client started with."""

    fatal = True  # no retry mends it: see `messaging.core.retry.is_fatal`

    fmt = (
        "the local cloud at {endpoint} restarted as a new, empty instance ({now}; this "
        "client started with {before}): its state is gone. Restart the clients after "
        "redeploying, or run `messaging up --state-dir DIR` so a restart keeps the state"
    )


class InstanceCheck:
    """A botocore `after-call` handler comparing the instance header with the first seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first: str | None = None

    def __call__(self, http_response: Any = None, **_: Any) -> None:
        headers = getattr(http_response, "headers", None) or {}
        current = headers.get(INSTANCE_HEADER)
        with self._lock:
            if self.first is None:
                self.first = current  # None against AWS: then nothing is ever checked
                return
            before = self.first
        if current != before:
            raise InstanceChangedError(
                endpoint=getattr(http_response, "url", "the endpoint"),
                now=current or "no instance id",
                before=before,
            )
