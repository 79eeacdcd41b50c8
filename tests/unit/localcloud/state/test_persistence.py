"""The state directory: restore on open, periodic and final snapshots, atomic files, one owner."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from moto.core.base_backend import BackendDict
from moto.sqs.models import sqs_backends

from messaging.localcloud.state.gate import Gate
from messaging.localcloud.state.persistence import INFO_FILE, STATE_FILE, Persistence
from messaging.localcloud.state.snapshot import StateError
from tests.support import wait_for
from tests.support.moto_state import ACCOUNT, REGION


def queues() -> list[str]:
    return sorted(sqs_backends[ACCOUNT][REGION].queues)


def test_a_closed_directory_restores_what_it_saved(tmp_path: Path) -> None:
    first = Persistence(tmp_path / "state", interval=60, passage=Gate())
    assert first.open() is None  # nothing saved yet: a new instance
    # Queues another test of this worker left in moto's global state are saved too.
    earlier = queues()
    sqs_backends[ACCOUNT][REGION].create_queue("kept")
    first.start("instance-a")
    info = first.close()
    assert info is not None
    assert info.sequence == 1
    assert json.loads((tmp_path / "state" / INFO_FILE).read_text())["instance_id"] == "instance-a"
    mode = stat.S_IMODE((tmp_path / "state" / STATE_FILE).stat().st_mode)
    assert mode == 0o600
    BackendDict.reset()
    assert queues() == []

    second = Persistence(tmp_path / "state", interval=60, passage=Gate())
    assert second.open() == "instance-a"
    assert queues() == sorted([*earlier, "kept"])
    second.start("instance-a")
    assert second.close().sequence == 2  # type: ignore[union-attr]


def test_the_forked_writer_saves_the_state_of_the_moment_it_was_taken(tmp_path: Path) -> None:
    state = Persistence(tmp_path / "state", passage=Gate(), fork=True)
    state.open()
    state.start("forked")
    sqs_backends[ACCOUNT][REGION].create_queue("before")
    info = state.take()
    sqs_backends[ACCOUNT][REGION].create_queue("after")  # the parent carries on
    state.release()
    assert info.bytes == (tmp_path / "state" / STATE_FILE).stat().st_size
    BackendDict.reset()
    assert Persistence(tmp_path / "state", passage=Gate()).open() == "forked"
    assert queues() == ["before"]


def test_one_up_per_directory(tmp_path: Path) -> None:
    owner = Persistence(tmp_path, passage=Gate())
    owner.open()
    with pytest.raises(StateError, match="in use by another"):
        Persistence(tmp_path, passage=Gate()).open()
    owner.release()
    Persistence(tmp_path, passage=Gate()).open()


@pytest.mark.parametrize("fork", [True, False], ids=["forked writer", "in process"])
def test_a_failed_write_keeps_the_previous_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    state = Persistence(tmp_path, passage=Gate(), fork=fork)
    state.open()
    state.start("i")
    state.take()
    before = (tmp_path / STATE_FILE).read_bytes()
    sqs_backends[ACCOUNT][REGION].create_queue("newer")

    def power_cut(_fd: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises((StateError, OSError), match="disk gone"):
        state.take()
    monkeypatch.undo()
    assert (tmp_path / STATE_FILE).read_bytes() == before
    assert {p.name for p in tmp_path.iterdir()} == {INFO_FILE, "lock", STATE_FILE}
    state.release()


def running(tmp_path: Path, **options: Any) -> tuple[Persistence, Gate]:
    """A directory opened and snapshotting, with a gate of its own."""
    gate = Gate()
    state = Persistence(tmp_path, passage=gate, **{"interval": 3600, **options})
    state.open()
    state.start("i")
    return state, gate


def test_a_tick_saves_only_when_something_happened(tmp_path: Path) -> None:
    state, gate = running(tmp_path)
    assert state.tick() is None  # no request yet
    with gate.shared():
        pass
    saved = state.tick()
    assert saved is not None
    assert saved.sequence == 1
    assert state.tick() is None
    state.close()


def test_the_periodic_thread_ticks(tmp_path: Path) -> None:
    state, gate = running(tmp_path, interval=0.05)
    with gate.shared():
        pass
    assert wait_for(lambda: state.last).sequence == 1
    state.close()


def test_a_snapshot_that_cannot_wait_is_postponed_and_counted(tmp_path: Path) -> None:
    state, gate = running(tmp_path, quiet_timeout=0.05)
    with gate.shared():  # a request that outlasts the snapshot's patience
        assert state.tick() is None
    assert state.failures == 1
    assert state.tick() is not None  # the next tick catches up
    state.close()


def test_an_unreadable_state_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_bytes(b"garbage")
    with pytest.raises(StateError, match=r"move .* away to start empty"):
        Persistence(tmp_path, passage=Gate()).open()
    (tmp_path / STATE_FILE).unlink()  # moved away: the directory is free to use
    assert Persistence(tmp_path, passage=Gate()).open() is None


def test_the_interval_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(StateError):
        Persistence(tmp_path, interval=0)
