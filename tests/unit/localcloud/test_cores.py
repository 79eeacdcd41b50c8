from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from messaging.localcloud import cores

TWO_CORES = hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
needs_two_cores = pytest.mark.skipif(not TWO_CORES, reason="needs Linux and two allowed cores")


def _affinity(thread_id: int = 0) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(thread_id))


def test_the_clouds_core_is_the_highest_allowed_when_there_are_two_or_more() -> None:
    assert cores.cloud_core({0, 1}) == 1
    assert cores.cloud_core({0, 2, 5}) == 5
    assert cores.cloud_core({3}) is None  # one core: nothing to leave
    assert cores.cloud_core(set()) is None


def test_a_driver_gets_every_core_but_the_clouds() -> None:
    assert cores.driver_cores({0, 1}) == {0}
    assert cores.driver_cores({0, 2, 5}) == {0, 2}
    assert cores.driver_cores({4}) == {4}


@needs_two_cores
def test_a_driver_runs_off_the_clouds_core_and_gets_every_core_back_after() -> None:
    before = _affinity()
    started = threading.Event()
    release = threading.Event()
    seen: dict[str, frozenset[int]] = {}

    def older_thread() -> None:
        started.set()
        release.wait(10)
        seen["older"] = _affinity()

    older = threading.Thread(target=older_thread)
    older.start()
    started.wait(10)
    with cores.off_cloud_core() as using:
        assert using == before - {max(before)}
        assert _affinity() == using
        newer = threading.Thread(target=lambda: seen.setdefault("newer", _affinity()))
        newer.start()
        newer.join()
        release.set()
        older.join()
    assert seen["older"] == using  # a thread that was already running moved too
    assert seen["newer"] == using  # a thread started inside inherits it
    assert _affinity() == before


@needs_two_cores
def test_every_core_comes_back_when_the_run_fails() -> None:
    before = _affinity()
    with pytest.raises(RuntimeError), cores.off_cloud_core():
        raise RuntimeError("the run failed")
    assert _affinity() == before


def test_with_one_core_a_driver_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "_allowed", lambda: frozenset({0}))
    calls: list[object] = []
    monkeypatch.setattr(os, "sched_setaffinity", lambda *args: calls.append(args), raising=False)
    with cores.off_cloud_core() as using:
        assert using is None
    assert cores.keep_child_off_cloud_core(os.getpid()) is None
    assert calls == []


def test_without_affinity_support_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_setaffinity", raising=False)  # as on macOS
    with cores.off_cloud_core() as using:
        assert using is None
    assert cores.keep_child_off_cloud_core(os.getpid()) is None


@needs_two_cores
def test_a_child_is_moved_off_the_clouds_core_and_its_later_threads_follow() -> None:
    # The child starts a thread only once told to, after the move, and prints its cores.
    script = (
        "import os, sys, threading\n"
        "sys.stdin.readline()\n"
        "seen = []\n"
        "t = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))\n"
        "t.start(); t.join()\n"
        "print(seen[0], flush=True)\n"
        "print(sorted(os.sched_getaffinity(0)), flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        moved = cores.keep_child_off_cloud_core(child.pid)
        assert moved == _affinity() - {max(_affinity())}
        output, _ = child.communicate("go\n", timeout=30)
    finally:
        child.kill()
        child.wait()
    assert moved is not None
    later_thread, main_thread = output.splitlines()
    assert later_thread == main_thread == str(sorted(moved))
    assert max(_affinity()) not in moved  # this process still has the cloud's core


@needs_two_cores
def test_a_child_that_is_gone_is_left_alone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert cores.keep_child_off_cloud_core(child.pid) is None


@needs_two_cores
def test_a_refusal_leaves_the_process_as_it_was(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = _affinity()

    def refuse(thread_id: int, mask: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    with cores.off_cloud_core() as using:
        assert using is None
        assert _affinity() == before
    assert "Operation not permitted" in caplog.text
