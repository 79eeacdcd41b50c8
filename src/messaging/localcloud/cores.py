"""One core left to the local cloud: the processes that drive it keep off it.

The gap it closes: the local cloud serves every request on threads of one interpreter,
so it can use about one core, and each hand-over of the interpreter's lock wakes a
thread that must first get a core. When its Lambda workers and `simulate`'s producer run
on every core, a woken cloud thread often waits behind one of them, and the cloud stands
idle while its clients wait for it: it ran at about 0.77 of a core with the machine
at three quarters busy (issue #21). With those processes kept off one core, the cloud
always has a core to wake on (`bench/RESULTS.md`, "ninth pass").

The rule needs no coordination between processes: the cloud's core is the
highest-numbered CPU the process may use (`cloud_core`), and each process that drives
the cloud from this machine leaves it free: the Lambda workers the cloud starts
(`keep_child_off_cloud_core`), and `simulate` while it runs against an endpoint on
loopback (`off_cloud_core`). The cloud itself is
not pinned: two clouds on one machine, or a cloud with a moment of work outside its
interpreter, still use every core.

Linux only (`os.sched_setaffinity`); elsewhere, and with one core allowed, nothing
changes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Set
from contextlib import contextmanager
from pathlib import Path

__all__ = ["cloud_core", "driver_cores", "keep_child_off_cloud_core", "off_cloud_core"]

logger = logging.getLogger(__name__)

_THREADS = Path("/proc/self/task")  # every thread of this process, by id (Linux)


def _allowed() -> frozenset[int] | None:
    """The CPUs this process may run on; None where affinity cannot be set."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    return frozenset(os.sched_getaffinity(0))


def cloud_core(allowed: Set[int]) -> int | None:
    """The core left to the local cloud: the highest allowed, if there are two or more."""
    return max(allowed) if len(allowed) >= 2 else None  # one to leave, one to use


def driver_cores(allowed: Set[int]) -> frozenset[int]:
    """The cores a process that drives the local cloud may use: all but the cloud's."""
    core = cloud_core(allowed)
    return frozenset(allowed) if core is None else frozenset(allowed) - {core}


def keep_child_off_cloud_core(pid: int) -> frozenset[int] | None:
    """Move a child just started (its main thread, which its later threads inherit
    from) off the cloud's core, as reckoned from this process's cores. Returns the
    cores it may now use, or None when nothing changed (not Linux, one core, or the
    child is gone)."""
    allowed = _allowed()
    if allowed is None:
        return None
    cores = driver_cores(allowed)
    if cores == allowed or not _set([pid], cores):
        return None
    return cores


@contextmanager
def off_cloud_core() -> Iterator[frozenset[int] | None]:
    """Run this process off the cloud's core, then as before.

    Every thread it has is moved, and threads started inside inherit the setting from
    the thread that starts them; on exit, every thread is given back the cores the
    process had. Yields the cores in use, or None when nothing changed.
    """
    allowed = _allowed()
    cores = None if allowed is None else driver_cores(allowed)
    if allowed is None or cores is None or cores == allowed:
        yield None
        return
    if not _set(_threads(), cores):
        _set(_threads(), allowed)  # threads moved before the refusal go back
        yield None
        return
    try:
        yield cores
    finally:
        _set(_threads(), allowed)


def _set(threads: Iterable[int], cores: frozenset[int]) -> bool:
    """Set each thread's cores; False if none was left to set or the system refused."""
    done = False
    for thread in threads:
        try:
            os.sched_setaffinity(thread, cores)
        except ProcessLookupError:
            continue  # it ended first: nothing left to move
        except OSError as error:  # a cpuset that forbids it: run as before, and say so
            logger.warning("could not set thread %s to cores %s: %s", thread, sorted(cores), error)
            return False
        done = True
    return done


def _threads() -> list[int]:
    """Every thread of this process, by id (0, the calling one, where /proc is missing)."""
    try:
        return [int(entry.name) for entry in _THREADS.iterdir()]
    except OSError:
        return [0]
