"""A gate that lets a snapshot see the local cloud's state with nothing half-changed.

moto changes its state from many threads, one per request, with no locks of its own; a
snapshot taken while a request runs could hold half of a change (a message taken from a
queue and not yet in flight, a table half-written by a transaction). So every request,
and every background thread that changes state (message move tasks), passes the gate
(`shared`), and a snapshot closes it (`exclusive`): new requests wait, the running ones
finish, the snapshot is taken, and the gate opens again.

A long poll may wait for 20 s. Waiting for it would stall every client for that long,
so a request that is only waiting (an SQS long poll parked on its queue's condition)
steps out of the gate while it waits (`parked`) and steps back in before it touches
the queue again. A request that never parks (moto's own FIFO long poll) can delay a
snapshot; `exclusive` gives up after its timeout and the snapshot is tried again later.

A thread that is not inside the gate (unit tests that call a backend directly) parks
and unparks as a no-op.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["Gate", "GateMiddleware", "Releasable", "gate"]


class Releasable(Protocol):
    """A lock the caller holds while it parks (a queue's condition)."""

    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...
    def release(self) -> None: ...


class Gate:
    """Shared passage for requests, exclusive for snapshots; parking for long waits."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._closed = False
        self._local = threading.local()
        self.entries = 0  # passages so far: a snapshot is skipped when none happened
        self._waiting = 0

    def _inside(self) -> bool:
        return bool(getattr(self._local, "inside", False))

    def _enter(self) -> None:
        with self._cond:
            self._waiting += 1
            while self._closed:
                self._cond.wait()
            self._waiting -= 1
            self._active += 1
            self.entries += 1
        self._local.inside = True

    def _leave(self) -> None:
        self._local.inside = False
        with self._cond:
            self._active -= 1
            if self._active == 0:
                self._cond.notify_all()

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Run as one of many; waits while a snapshot is being taken. Re-entrant."""
        if self._inside():
            yield
            return
        self._enter()
        try:
            yield
        finally:
            self._leave()

    @contextmanager
    def parked(self, holding: Releasable) -> Iterator[None]:
        """Wait outside the gate. Coming back in while a snapshot runs, the caller waits
        with `holding` (a lock it holds) released, so no request that needs that lock
        can keep the snapshot waiting."""
        if not self._inside():
            yield
            return
        self._leave()
        try:
            yield
        finally:
            self._come_back(holding)

    def _come_back(self, holding: Releasable) -> None:
        with self._cond:
            if not self._closed:
                self._active += 1
                self.entries += 1
                self._local.inside = True
                return
        holding.release()
        try:
            self._enter()
        finally:
            holding.acquire()

    @contextmanager
    def exclusive(self, timeout: float) -> Iterator[bool]:
        """Close the gate; yields True once nothing runs inside, False after `timeout`.

        Whatever the answer, the gate opens again when the block ends.
        """
        with self._cond:
            while self._closed:  # one snapshot at a time
                self._cond.wait()
            self._closed = True
            quiet = self._cond.wait_for(lambda: self._active == 0, timeout)
        try:
            yield quiet
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()

    @property
    def active(self) -> int:
        with self._cond:
            return self._active

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    @property
    def waiting(self) -> int:
        """Threads held at the gate now."""
        with self._cond:
            return self._waiting


gate = Gate()


class GateMiddleware:
    """WSGI: every request passes `gate` while the app handles it.

    The body is produced inside the app call (moto builds whole responses), so the
    iteration that sends it happens outside the gate.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], passage: Gate = gate) -> None:
        self.app = app
        self.gate = passage

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.gate.shared():
            return self.app(environ, start_response)
