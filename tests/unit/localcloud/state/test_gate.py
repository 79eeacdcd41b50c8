"""The snapshot gate: requests pass together, a snapshot alone; long polls never hold it.

Threads synchronise on events and on the condition a parked thread waits on, never on
sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from messaging.localcloud.state.gate import Gate, GateMiddleware
from tests.support import wait_for


@pytest.fixture
def gate() -> Gate:
    return Gate()


def run(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_a_snapshot_waits_for_running_requests_and_holds_new_ones(gate: Gate) -> None:
    inside, finish = threading.Event(), threading.Event()

    def request() -> None:
        with gate.shared():
            inside.set()
            finish.wait(10)

    first = run(request)
    assert inside.wait(10)
    with gate.exclusive(timeout=0.05) as quiet:
        assert quiet is False  # a request is still running: the snapshot is postponed
    finish.set()
    first.join(10)

    entered = threading.Event()

    def late_request() -> None:
        with gate.shared():
            entered.set()

    with gate.exclusive(timeout=10) as quiet:
        assert quiet is True
        late = run(late_request)
        assert not entered.wait(0.1)  # held at the gate while the snapshot runs
    assert entered.wait(10)
    late.join(10)


def test_a_parked_long_poll_does_not_hold_a_snapshot(gate: Gate) -> None:
    cond = threading.Condition()
    parking = threading.Event()
    woken = threading.Event()

    def long_poll() -> None:
        with gate.shared(), cond:
            parking.set()
            with gate.parked(cond):
                cond.wait(30)
            woken.set()

    poller = run(long_poll)
    assert parking.wait(10)
    with cond:  # acquirable only once the poller waits inside cond.wait (parked)
        pass
    with gate.exclusive(timeout=10) as quiet:
        assert quiet is True
        assert gate.active == 0
        with cond:
            cond.notify_all()
        assert not woken.wait(0.1)  # it must come back through the gate
    assert woken.wait(10)
    poller.join(10)
    assert gate.active == 0


def test_a_poll_woken_during_a_snapshot_lets_go_of_its_lock(gate: Gate) -> None:
    """The deadlock the gate avoids: a woken poll holding its queue's lock at the closed
    gate, a running request waiting for that lock, the snapshot waiting for the request."""
    cond = threading.Condition()
    parking, request_inside, request_may_go = (threading.Event() for _ in range(3))
    done: list[str] = []

    def long_poll() -> None:
        with gate.shared(), cond:
            parking.set()
            with gate.parked(cond):
                cond.wait(30)
            done.append("poll")

    def request() -> None:
        with gate.shared():
            request_inside.set()
            request_may_go.wait(10)
            with cond:  # e.g. a send to the same queue
                done.append("request")

    def snapshot() -> None:
        with gate.exclusive(timeout=30) as quiet:
            done.append(f"snapshot quiet={quiet}")

    poller = run(long_poll)
    assert parking.wait(10)
    with cond:
        pass  # the poller is parked
    requester = run(request)
    assert request_inside.wait(10)
    snapshotter = run(snapshot)
    wait_for(lambda: gate.closed)
    with cond:
        cond.notify_all()  # the poll wakes while the gate is closed
    wait_for(lambda: gate.waiting == 1)  # and waits to come back in
    request_may_go.set()
    for thread in (poller, requester, snapshotter):
        thread.join(10)
        assert not thread.is_alive()
    assert done.index("request") < done.index("snapshot quiet=True") < done.index("poll")


def test_shared_is_reentrant_and_parking_outside_is_a_no_op(gate: Gate) -> None:
    cond = threading.Condition()
    with cond, gate.parked(cond):  # not inside the gate: nothing to leave
        assert gate.active == 0
    with gate.shared(), gate.shared():
        assert gate.active == 1
    assert gate.active == 0
    assert gate.entries == 1


def test_the_middleware_passes_the_gate_for_the_app_call(gate: Gate) -> None:
    seen: list[int] = []

    def app(environ: dict[str, object], start_response: object) -> Iterator[bytes]:
        seen.append(gate.active)
        return iter([b"ok"])

    body = GateMiddleware(app, gate)({}, lambda *_: None)
    assert list(body) == [b"ok"]
    assert seen == [1]
    assert gate.active == 0
