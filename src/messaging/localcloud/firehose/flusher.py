"""The thread that delivers Firehose buffers when their interval elapses.

Split from `backend` so that module stays the delivery logic; it reaches every
buffering backend through moto's BackendDict, whichever account and region.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from moto.core.base_backend import backend_lock
from moto.firehose import models as moto_firehose

from messaging.localcloud.firehose.buffer import FlushReport, timing

__all__ = ["BufferFlusher"]

logger = logging.getLogger(__name__)


class Buffering(Protocol):
    """What the flusher needs of a buffering backend (`backend.LocalFirehoseBackend`)."""

    def flush_due(self) -> float | None: ...

    def flush_all(self) -> FlushReport: ...


def _firehose_backends() -> Iterator[Buffering]:
    with backend_lock:
        backends = [b for _, _, b in moto_firehose.firehose_backends.iter_backends()]
    for backend in backends:
        if hasattr(backend, "flush_due") and hasattr(backend, "flush_all"):  # ours, installed
            yield backend


class BufferFlusher:
    """One daemon thread that delivers buffers when their interval elapses.

    It sleeps until the earliest deadline, and is woken early when a buffer starts.
    `stop()` delivers whatever is still buffered, so stopping the cloud loses nothing.
    """

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="firehose-flusher", daemon=True)
            self._thread.start()

    def _halt(self) -> bool:
        """Stop the thread, delivering nothing; whether it was running."""
        self._stopping.set()
        timing.wakeup.set()
        if self._thread is None:
            return False
        self._thread.join()
        self._thread = None
        return True

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No flushing inside (a reset drops the buffers); running again after."""
        was_running = self._halt()
        try:
            yield
        finally:
            if was_running:
                self.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> FlushReport:
        """Stop the thread and deliver every buffer."""
        self._halt()
        report = FlushReport()
        for backend in _firehose_backends():
            report += backend.flush_all()
        return report

    @staticmethod
    def flush_due() -> float | None:
        deadlines = [d for b in _firehose_backends() if (d := b.flush_due()) is not None]
        return min(deadlines, default=None)

    def _run(self) -> None:
        wakeup = timing.wakeup
        while not self._stopping.is_set():
            wakeup.clear()
            try:
                deadline = self.flush_due()
            except Exception:
                logger.exception("firehose flusher: unexpected error; retrying")
                deadline = timing.clock() + 1.0
            timeout = None if deadline is None else max(0.0, deadline - timing.clock())
            wakeup.wait(timeout)
