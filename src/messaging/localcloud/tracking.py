"""moto's record of every model object it ever built, bounded to a ring per class.

The gap it closes: every `BaseModel` instance is appended to its class's
`instances_tracked` list, for moto's dashboard (`/moto-api/data.json`) and for S3's
reset. Nothing removes an entry until a reset, so every SQS message ever sent (deleted
or not), every DynamoDB item version and every S3 object version stays alive: memory
grew with traffic instead of with what the cloud holds (0.46 MB per 1,000 SQS messages
alone in a soak run).

Here each class's list becomes a ring of its last `RING_SIZE` instances (a `deque` with
`maxlen`: moto only appends to it and iterates it), so the dashboard still shows recent
objects for debugging and memory stays bounded. `ensure_bounded()` is cheap enough to
call per request: it re-bounds only when moto created classes (a service imported late)
or handed every class a fresh list (a reset) since the last call.

Known limit: S3's reset closes the files of the keys it still tracks; keys that left
the ring are closed when they are garbage-collected instead.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from moto.core.model_instances import model_data

__all__ = ["RING_SIZE", "bound_all", "ensure_bounded"]

RING_SIZE = 256

_lock = threading.Lock()
_seen: tuple[int, int] = (-1, 0)  # (classes known, id of one class's ring) when last bounded


def _model_classes() -> list[Any]:
    return [cls for models in list(model_data.values()) for cls in list(models.values())]


def _signature() -> tuple[int, int]:
    """Changes when moto adds a class or a reset hands every class a fresh list."""
    count = sum(map(len, list(model_data.values())))
    for models in list(model_data.values()):
        for cls in list(models.values()):
            tracked: Any = getattr(cls, "instances_tracked", None)
            return count, id(tracked)
    return count, 0


def bound_all() -> None:
    """Give every model class known now a bounded ring (keeping its newest instances)."""
    global _seen  # noqa: PLW0603 - one record of what was bounded, for the fast check
    with _lock:
        for cls in _model_classes():
            tracked = cls.instances_tracked
            if not isinstance(tracked, deque) or tracked.maxlen != RING_SIZE:
                cls.instances_tracked = deque(tracked, maxlen=RING_SIZE)
        _seen = _signature()


def ensure_bounded() -> None:
    """`bound_all()` if classes were added or their lists replaced since it last ran."""
    if _signature() != _seen:
        bound_all()
