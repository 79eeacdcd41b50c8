"""A run judges its own events only: the backlog is counted apart, by event id."""

from __future__ import annotations

from messaging.consumer.batch import Disposition, Message, MessageResult
from messaging.core.events import ConsumerCreated
from messaging.simulation.ledger import Ledger
from tests.support import make_event


def result(event: ConsumerCreated | None, disposition: Disposition) -> MessageResult:
    message = Message(message_id="m", body="{}", receipt_handle="r", receive_count=1)
    return MessageResult(message, disposition, event)


def test_results_for_events_the_run_did_not_produce_are_backlog() -> None:
    ledger = Ledger(["orders", "payments"])
    ours, theirs = make_event(1), make_event(2)
    ledger.produce(ours)
    ledger.observe("orders", result(ours, Disposition.APPLIED))
    ledger.observe("orders", result(theirs, Disposition.APPLIED))
    ledger.observe("orders", result(theirs, Disposition.DUPLICATE))
    ledger.observe("orders", result(ours, Disposition.DUPLICATE))  # a redelivery: fine
    ledger.observe("orders", result(None, Disposition.POISON))  # no id: not attributed
    ledger.observe("payments", result(ours, Disposition.RETRY))  # not done: comes back
    orders, payments = ledger.tallies["orders"], ledger.tallies["payments"]
    assert (orders.backlog_applied, orders.backlog_duplicates) == (1, 1)
    assert (orders.done, orders.applied_twice) == (1, 0)
    assert payments.done == 0
    assert ledger.ids() == {str(ours.event_id)}


def test_a_run_event_applied_twice_is_a_duplicate_effect() -> None:
    ledger = Ledger(["orders"])
    event = make_event(3)
    ledger.produce(event)
    for _ in range(3):
        ledger.observe("orders", result(event, Disposition.APPLIED))
    assert ledger.tallies["orders"].applied_twice == 2
    assert ledger.done("orders") == 1
