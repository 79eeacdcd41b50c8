"""The worker's outage circuit and budget, on their own."""

from __future__ import annotations

import threading

import pytest

from messaging.consumer.state import Budget, Outage


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_the_outage_back_off_doubles_within_equal_jitter_up_to_its_cap(jitter: float) -> None:
    outage = Outage(base=1.0, cap=30.0, jitter=lambda: jitter)
    closed_at_first = not outage.open
    waits = []
    now = 100.0
    for _ in range(8):
        next_try = outage.failed(now)
        waits.append(next_try - now)
        now = next_try
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30]
    assert closed_at_first
    assert outage.open
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert waits == pytest.approx([c * (0.5 + 0.5 * jitter) for c in ceilings])


def test_the_first_success_closes_the_circuit_and_starts_the_back_off_again() -> None:
    outage = Outage(base=1.0, cap=30.0, jitter=lambda: 1.0)
    outage.failed(0.0)
    outage.failed(0.0)
    assert outage.recovered()
    assert not outage.open
    assert not outage.recovered()  # closed already: nothing to report
    assert outage.failed(10.0) == pytest.approx(11.0)


def test_the_budget_makes_pollers_wait_and_lets_them_go_on_halt() -> None:
    budget, halt = Budget(10), threading.Event()
    assert budget.take(10, halt)
    waiting = threading.Thread(target=lambda: results.append(budget.take(5, halt)))
    results: list[bool] = []
    waiting.start()
    budget.give(5)
    waiting.join(5)
    assert results == [True]
    halt.set()
    assert budget.take(5, halt) is False  # spent, and halted: no wait
