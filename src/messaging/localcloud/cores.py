"""A core of its own for the local cloud, and the others for what drives it.

The gap it closes: the local cloud serves every request on threads of one interpreter,
so it can use about one core, and each hand-over of the interpreter's lock wakes a
thread that must first get a core. When its Lambda workers and `simulate`'s producer run
on every core, a woken cloud thread often waits behind one of them, or is woken on the
core they use, and the cloud stands idle while its clients wait for it: it ran at about
0.77 of a core with the machine three quarters busy (issue #21). With the cloud on one
core and those processes on the others, the cloud always has its core to wake on
(`bench/RESULTS.md`, "ninth pass").

The rule needs no messages between processes: the cloud's core is the highest-numbered
CPU the process may use (`cloud_core`). A serving cloud (`messaging up`, the child
`simulate` starts) claims it (`claim_cloud_core`), unless another cloud on this machine
holds it. The processes that drive a cloud from this machine keep off it: the Lambda
workers the cloud starts (`keep_child_off_cloud_core`), and `simulate`, `produce` and
`consume` while they run against an endpoint on loopback (`off_cloud_core`). A process
that starts clouds in-process, such as the tests, claims nothing.

Linux only (`os.sched_setaffinity`); elsewhere, and with one core allowed, nothing
changes.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator, Set
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CLAIM_NAMESPACE",
    "claim_cloud_core",
    "cloud_core",
    "driver_cores",
    "keep_child_off_cloud_core",
    "off_cloud_core",
]

logger = logging.getLogger(__name__)

_THREADS = Path("/proc/self/task")  # every thread of this process, by id (Linux)
CLAIM_NAMESPACE = "messaging-localcloud"  # abstract socket names: one per claimed core


@dataclass(frozen=True)
class _Claim:
    core: int
    allowed: frozenset[int]  # the process's cores before it claimed one
    hold: socket.socket  # bound while the process lives: no other cloud claims the core


_claim: _Claim | None = None  # this process's, for its life


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


def claim_cloud_core(namespace: str = CLAIM_NAMESPACE) -> int | None:
    """Run this cloud's process, every thread of it, on the cloud's core alone.

    Unless another cloud on this machine holds that core: then this one is not pinned
    (two clouds on one core would halve each other). The hold is an abstract Unix
    socket bound for the process's life, which the kernel releases however the process
    ends: no file to clean up, nothing for another user to plant. Returns the core, or
    None when nothing changed.
    """
    global _claim  # noqa: PLW0603 - a process's cores are process-wide state
    if _claim is not None:
        return _claim.core
    allowed = _allowed()
    core = None if allowed is None else cloud_core(allowed)
    if allowed is None or core is None:
        return None
    hold = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        hold.bind(f"\0{namespace}-core-{core}")
    except OSError:
        hold.close()
        logger.info("core %s is held by another local cloud: this one is not pinned", core)
        return None
    if not _set(_threads(), frozenset({core})):
        _set(_threads(), allowed)
        hold.close()
        return None
    _claim = _Claim(core, allowed, hold)
    return core


def keep_child_off_cloud_core(pid: int) -> frozenset[int] | None:
    """Move a child just started (its main thread, which its later threads inherit
    from) off the cloud's core, as reckoned from this process's cores (before its
    claim, if it made one). Returns the cores it may now use, or None when nothing
    changed (not Linux, one core, or the child is gone)."""
    allowed = _claim.allowed if _claim is not None else _allowed()
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
