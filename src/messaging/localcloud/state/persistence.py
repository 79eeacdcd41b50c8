"""`messaging up --state-dir DIR`: the local cloud's state survives a stop, a crash, a restart.

On start the state in DIR (if any) is restored before the first request, instance id
included, so clients see the same cloud. While it runs, a snapshot is taken every
`interval` seconds when anything was asked of the cloud since the last one; on stop,
after the Firehose buffers were delivered to S3, a final one. So a graceful stop keeps
everything, and a `kill -9` loses what changed since the last periodic snapshot.

A snapshot is consistent: the gate (`state.gate`) holds new requests back and lets the
running ones finish, and the Firehose buffers are held still; long polls wait outside
the gate, so they never hold it up. Pickling a large state takes long (seconds per
hundred thousand items, bench/RESULTS.md), so a periodic snapshot does not pickle while
requests wait: it forks. The child is a copy-on-write image of the process at that
instant; it pickles and writes the file while the parent serves on, so requests are
held back only for the fork. The price is memory: while the child runs, the pages it
touches are copied, up to the size of the state again. Where there is no `fork`, and
for the final snapshot on stop (nothing is served then), the snapshot is pickled in the
process. The file goes to a temporary file that is flushed to disk and then renamed
over `state.pickle`, so a crash mid-write leaves the previous snapshot whole.
`state.json` beside it says which snapshot that is (instance id, sequence number, when
it was taken and written, bytes, pause).

One `messaging up` per DIR: a lock file (`flock`) refuses a second. The files are
readable by their owner only: a pickle is code (see `snapshot`).

What is kept: everything moto and the plug-ins hold (see `snapshot`). What is not:
requests in flight (a client retries), long polls (their messages stay or become
visible again as on AWS), fault-injection counters, moto's dashboard ring of recent
model objects, and anything newer than the last snapshot after a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from moto.core.base_backend import BackendDict

from messaging.localcloud.state import snapshot
from messaging.localcloud.state.gate import Gate, gate
from messaging.localcloud.state.snapshot import StateError

__all__ = ["Persistence", "SnapshotInfo", "StateError"]

logger = logging.getLogger(__name__)

STATE_FILE = "state.pickle"
INFO_FILE = "state.json"
LOCK_FILE = "lock"
QUIET_TIMEOUT = 2.0  # seconds a periodic snapshot waits for running requests


@dataclass(frozen=True)
class SnapshotInfo:
    """What `state.json` records about the snapshot in `state.pickle`."""

    instance_id: str
    sequence: int
    taken_at: float  # the state is the one of this moment
    written_at: float
    bytes: int
    pause_ms: float  # how long requests were held back while it was taken


class Persistence:
    """Restore on open, snapshot periodically and on close; one per state directory."""

    def __init__(
        self,
        directory: Path,
        *,
        interval: float = 30.0,
        passage: Gate = gate,
        quiet_timeout: float = QUIET_TIMEOUT,
        fork: bool = hasattr(os, "fork"),
    ) -> None:
        if interval <= 0:
            raise StateError("the snapshot interval must be positive")
        self.directory = directory
        self.interval = interval
        self.gate = passage
        self.quiet_timeout = quiet_timeout
        self.fork = fork
        self.last: SnapshotInfo | None = None
        self.failures = 0
        self._lock_file: IO[str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sequence = 0
        self._entries_seen = -1
        self._instance_id = ""

    # -- lifecycle -----------------------------------------------------------------

    def open(self) -> str | None:
        """Lock the directory and restore its state; the restored instance id, or None."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._lock_file = (self.directory / LOCK_FILE).open("a+", encoding="utf-8")
        except OSError as error:
            raise StateError(f"cannot use {self.directory} for state: {error.strerror}") from error
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            self._lock_file.close()
            self._lock_file = None
            raise StateError(
                f"{self.directory} is in use by another `messaging up`; stop it or pass "
                "another --state-dir"
            ) from error
        state_file = self.directory / STATE_FILE
        if not state_file.exists():
            return None
        try:
            instance_id = snapshot.restore(state_file.read_bytes())
        except (StateError, OSError) as error:
            self.release()
            raise StateError(
                f"{error}; move {state_file} away to start empty, or use the same version"
            ) from error
        info = self._read_info()
        self._sequence = info.sequence if info else 0
        self.last = info
        return instance_id

    def start(self, instance_id: str) -> None:
        """Take snapshots every `interval` seconds from now on."""
        self._instance_id = instance_id
        self._entries_seen = self.gate.entries
        self._thread = threading.Thread(target=self._run, name="localcloud-snapshots", daemon=True)
        self._thread.start()

    def close(self) -> SnapshotInfo | None:
        """Stop the periodic snapshots, take the final one, release the directory."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            if self._instance_id:
                return self.take(final=True)
            return self.last
        finally:
            self.release()

    def release(self) -> None:
        """Let another `messaging up` use the directory (no snapshot)."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # -- snapshots -------------------------------------------------------------------

    def take(self, *, final: bool = False) -> SnapshotInfo:
        """One consistent snapshot, written atomically. Raises StateError if it fails."""
        forked = self.fork and not final
        timeout = max(30.0, self.quiet_timeout) if final else self.quiet_timeout
        with self.gate.exclusive(timeout) as quiet:
            if not quiet and not final:
                raise StateError("requests kept running; snapshot postponed")
            if not quiet:
                logger.warning("state: requests still running at stop; saving anyway")
            started = time.perf_counter()
            taken_at = time.time()
            entries = self.gate.entries
            with _buffers_held():
                if forked:
                    child = self._fork_writer()
                else:
                    data = snapshot.capture(self._instance_id)
            pause_ms = (time.perf_counter() - started) * 1000
        if forked:
            size = self._wait_for_writer(*child)
        else:
            self._write(STATE_FILE, data)
            size = len(data)
        self._sequence += 1
        info = SnapshotInfo(
            self._instance_id, self._sequence, taken_at, time.time(), size, pause_ms
        )
        self._write(INFO_FILE, json.dumps(asdict(info), indent=2).encode())
        self._entries_seen = entries
        self.last = info
        logger.info(
            "state: snapshot %d written (%d bytes, requests held %.0f ms)",
            info.sequence, info.bytes, pause_ms,
        )  # fmt: skip
        return info

    def tick(self) -> SnapshotInfo | None:
        """A snapshot if anything was asked of the cloud since the last one, else None.

        Failures are counted and logged, and tried again at the next tick.
        """
        if self.gate.entries == self._entries_seen:
            return None  # nothing happened: the last snapshot still holds
        try:
            return self.take()
        except StateError as error:
            self.failures += 1
            logger.warning("state: snapshot failed (%s); retrying later", error)
        except OSError:
            self.failures += 1
            logger.exception("state: cannot write the snapshot")
        return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    # -- the forked writer -------------------------------------------------------------

    def _fork_writer(self) -> tuple[int, int]:
        """Fork; the child pickles and writes the state, reports on a pipe and exits.

        The child runs only this thread: the gate is closed and the buffers are held,
        so no other thread is halfway through a change it could see.
        """
        readable, writable = os.pipe()
        pid = os.fork()
        if pid != 0:
            os.close(writable)
            return pid, readable
        # The child, from here to os._exit. It lets go of every inherited descriptor but
        # the pipe (and stdio): the listening socket and the connections, so a port is
        # never held by a writer that outlives a killed parent, and the directory lock,
        # which stays with the parent alone.
        os.closerange(3, writable)
        os.closerange(writable + 1, os.sysconf("SC_OPEN_MAX"))
        code = 1
        try:
            data = snapshot.capture(self._instance_id)
            self._write(STATE_FILE, data)
            report, code = f"{len(data)}", 0
        except BaseException as error:  # noqa: BLE001 - any failure goes to the parent
            report = f"{type(error).__name__}: {error}"
        try:
            os.write(writable, report.encode()[:4096])
        finally:
            os._exit(code)  # no atexit handlers, no buffers flushed twice

    @staticmethod
    def _wait_for_writer(pid: int, readable: int) -> int:
        """The size the child wrote, or StateError with the child's reason."""
        with os.fdopen(readable, "rb") as pipe:
            report = pipe.read().decode(errors="replace")
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise StateError(f"the snapshot writer failed: {report or 'no report'}")
        return int(report)

    # -- files -----------------------------------------------------------------------

    def _write(self, name: str, data: bytes) -> None:
        """Temporary file, flushed to disk, renamed over `name`: old or new, never half."""
        target = self.directory / name
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=self.directory)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).chmod(0o600)
            Path(temporary).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)

    def _read_info(self) -> SnapshotInfo | None:
        try:
            fields: dict[str, Any] = json.loads((self.directory / INFO_FILE).read_text("utf-8"))
            return SnapshotInfo(**fields)
        except (OSError, ValueError, TypeError):
            return None


@contextlib.contextmanager
def _buffers_held() -> Any:
    """Hold every backend that buffers on its own (Firehose) still while capturing."""
    with contextlib.ExitStack() as stack:
        for backend_dict in list(BackendDict._instances):  # type: ignore[misc]  # noqa: SLF001
            for _, _, backend in backend_dict.iter_backends():
                hold = getattr(backend, "held_for_snapshot", None)
                if callable(hold):
                    stack.enter_context(hold())
        yield
