"""FastQueue / FastSQSBackend at backend level: AWS semantics on an injected clock.

Long-poll tests use threads and `threading.Event`; they synchronise on the waiter being
parked in the queue's condition, never on sleeps.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.sqs.exceptions import (
    InvalidParameterValue,
    QueueAlreadyExists,
    ReceiptHandleIsInvalid,
    SQSException,
)
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends

from messaging.localcloud.sqs.backend import FastQueue, FastSQSBackend, install, uninstall
from messaging.localcloud.sqs.store import arriving_together
from tests.support import FakeClock

REGION = "us-east-1"
T0 = 1_700_000_000.0  # the `clock` fixture's start (conftest)


@contextmanager
def fresh_backend(clock: FakeClock | None = None) -> Iterator[FastSQSBackend]:
    """A backend in an account of its own, for a test hypothesis runs many times (the
    `backend` fixture would be one for all its examples)."""
    install()
    account = f"{secrets.randbelow(10**12):012d}"
    built = sqs_backends[account][REGION]
    assert isinstance(built, FastSQSBackend)
    if clock is not None:
        built.clock = clock
    try:
        yield built
    finally:
        sqs_backends.pop(account, None)


def fast_queue(backend: FastSQSBackend, name: str, **attributes: Any) -> FastQueue:
    queue = backend.create_queue(name, **attributes)
    assert isinstance(queue, FastQueue)
    return queue


def receive(
    backend: FastSQSBackend,
    name: str,
    count: int = 10,
    visibility: int = 30,
    wait: int = 0,
    names: list[str] | None = None,
) -> list[Message]:
    return backend.receive_message(name, count, wait, visibility, names)


def counts(backend: FastSQSBackend, name: str) -> tuple[int, int, int]:
    attributes = backend.get_queue_attributes(name, ["All"])
    return (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
        attributes["ApproximateNumberOfMessagesDelayed"],
    )


def handle(message: Message) -> str:
    assert message.receipt_handle is not None
    return message.receipt_handle


class Waiter:
    """A long poll on its own thread; `done` is set when it returns."""

    def __init__(self, call: Callable[[], list[Message]]) -> None:
        self.result: list[Message] = []
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], list[Message]]) -> None:
        try:
            self.result = call()
        finally:
            self.done.set()

    def join(self) -> list[Message]:
        assert self.done.wait(10), "long poll did not return"
        self._thread.join(10)
        return self.result


def parked_long_poll(backend: FastSQSBackend, queue: FastQueue) -> Waiter:
    """A 20 s receive on `queue`, on its own thread, returned once it waits."""
    waiter = Waiter(lambda: receive(backend, queue.name, wait=20))
    parked(queue)
    return waiter


def parked(queue: FastQueue, waiters: int = 1) -> None:
    """Block until `waiters` threads wait on the queue's condition (a sync point, no luck)."""
    pause = threading.Event()
    for _ in range(10_000):
        if len(queue.store.cond._waiters) >= waiters:  # type: ignore[attr-defined]
            return
        pause.wait(0.001)
    pytest.fail("long poll never parked")


def returned(waiters: list[Waiter], count: int) -> list[Waiter]:
    """The waiters that returned, once `count` of them have (a sync point, no luck)."""
    pause = threading.Event()
    for _ in range(10_000):
        done = [w for w in waiters if w.done.is_set()]
        if len(done) >= count:
            return done
        pause.wait(0.001)
    pytest.fail(f"fewer than {count} long polls returned")


# -- visibility, receive counts ---------------------------------------------------------


def test_received_message_is_hidden_for_the_timeout_then_reappears(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "hello")
    first = receive(backend, "q", visibility=30)
    assert [m.body for m in first] == ["hello"]
    assert receive(backend, "q") == []
    clock.advance(29.999)
    assert receive(backend, "q") == []
    clock.advance(0.001)
    again = receive(backend, "q", visibility=30)
    assert [m.id for m in again] == [first[0].id]
    assert handle(again[0]) != handle(first[0])


def test_queue_default_visibility_timeout_applies(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    queue = fast_queue(backend, "q", VisibilityTimeout="5")
    backend.send_message("q", "m")
    assert len(receive(backend, "q", visibility=queue.visibility_timeout)) == 1  # type: ignore[attr-defined]
    clock.advance(4.9)
    assert receive(backend, "q") == []
    clock.advance(0.1)
    assert len(receive(backend, "q")) == 1


def test_receive_count_and_first_receive_timestamp(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    first_at = clock.now
    seen = []
    for _ in range(3):
        (message,) = receive(backend, "q", visibility=10)
        seen.append(
            (message.approximate_receive_count, message.approximate_first_receive_timestamp)
        )
        clock.advance(10)
    assert seen == [(n, int(first_at * 1000)) for n in (1, 2, 3)]


def test_visibility_zero_on_receive_leaves_the_message_visible(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    assert len(receive(backend, "q", visibility=0)) == 1
    assert counts(backend, "q") == (1, 0, 0)
    assert [m.approximate_receive_count for m in receive(backend, "q", visibility=0)] == [2]


def test_a_receive_returns_each_message_once(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    for i in range(25):
        backend.send_message("q", f"m{i}")
    bodies = [m.body for _ in range(3) for m in receive(backend, "q")]
    assert sorted(bodies) == sorted(f"m{i}" for i in range(25))
    assert receive(backend, "q") == []


def test_concurrent_receivers_never_share_a_message(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    for i in range(200):
        backend.send_message("q", f"m{i}")
    waiters = [Waiter(lambda: receive(backend, "q", count=10)) for _ in range(30)]
    bodies = [m.body for waiter in waiters for m in waiter.join()]
    assert len(bodies) == len(set(bodies)) == 200


# -- redrive -----------------------------------------------------------------------------


def redrive(backend: FastSQSBackend, max_receive: int, **dlq_attributes: Any) -> FastQueue:
    dlq = fast_queue(backend, "dlq", **dlq_attributes)
    policy = f'{{"deadLetterTargetArn": "{dlq.queue_arn}", "maxReceiveCount": "{max_receive}"}}'
    return fast_queue(backend, "src", RedrivePolicy=policy)


def test_redrive_delivers_n_times_then_moves_on_the_next_receive(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    redrive(backend, max_receive=3)
    sent = backend.send_message("src", "poison")
    deliveries = []
    for _ in range(3):
        (message,) = receive(backend, "src", visibility=30)
        deliveries.append(message.approximate_receive_count)
        clock.advance(30)
    assert deliveries == [1, 2, 3]
    # After the 3rd timeout it is visible again in the source until a receive moves it.
    assert counts(backend, "src") == (1, 0, 0)
    assert counts(backend, "dlq") == (0, 0, 0)
    assert receive(backend, "src") == []
    assert counts(backend, "src") == (0, 0, 0)
    (moved,) = receive(backend, "dlq")
    assert (moved.id, moved.body) == (sent.id, "poison")


def test_redrive_receive_still_returns_the_healthy_messages(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    redrive(backend, max_receive=1)
    backend.send_message("src", "poison")
    assert len(receive(backend, "src", visibility=30)) == 1
    clock.advance(30)
    backend.send_message("src", "fresh")
    assert [m.body for m in receive(backend, "src")] == ["fresh"]
    assert [m.body for m in receive(backend, "dlq")] == ["poison"]


def test_dead_lettered_message_keeps_its_enqueue_time_for_retention(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    redrive(backend, max_receive=1, MessageRetentionPeriod="120")
    backend.send_message("src", "m")
    receive(backend, "src", visibility=100)
    clock.advance(100)
    assert receive(backend, "src") == []  # moved at t0+100
    assert counts(backend, "dlq") == (1, 0, 0)
    clock.advance(20)  # t0+120: 120 s after the original send, not after the move
    assert counts(backend, "dlq") == (0, 0, 0)


def test_long_poll_on_the_source_returns_nothing_when_only_dead_letters_were_found(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    redrive(backend, max_receive=1)
    backend.send_message("src", "m")
    receive(backend, "src", visibility=5)
    clock.advance(5)
    src = backend.get_queue("src")
    assert isinstance(src, FastQueue)
    waiter = Waiter(lambda: receive(backend, "src", wait=20))
    parked(src)  # it moved the message, then went on waiting
    assert counts(backend, "dlq") == (1, 0, 0)
    clock.advance(20)
    src.wake()
    assert waiter.join() == []


# -- long polling ------------------------------------------------------------------------


def test_long_poll_wakes_on_send(backend: FastSQSBackend) -> None:
    queue = fast_queue(backend, "q")
    waiter = parked_long_poll(backend, queue)
    assert not waiter.done.is_set()
    backend.send_message("q", "wake up")
    assert [m.body for m in waiter.join()] == ["wake up"]


def test_a_batch_sent_together_wakes_a_parked_long_poll_to_all_of_it(
    backend: FastSQSBackend,
) -> None:
    queue = fast_queue(backend, "q")
    waiter = parked_long_poll(backend, queue)
    entries = {
        str(n): {"Id": str(n), "MessageBody": f"m{n}", "MessageAttributes": {}, "DelaySeconds": 0}
        for n in range(10)
    }
    backend.send_message_batch("q", entries)
    assert sorted(m.body for m in waiter.join()) == sorted(f"m{n}" for n in range(10))


def test_a_batch_wakes_one_parked_long_poll_not_all_of_them(
    backend: FastSQSBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = fast_queue(backend, "q")
    store = queue.store
    takes: list[int] = []
    take = store._take

    def counted(*args: Any) -> Any:
        takes.append(1)
        return take(*args)

    monkeypatch.setattr(store, "_take", counted)
    waiters = [Waiter(lambda: receive(backend, "q", wait=20)) for _ in range(3)]
    parked(queue, 3)
    assert len(takes) == 3  # each found nothing and parked
    with arriving_together():
        for n in range(10):
            backend.send_message("q", f"m{n}")
    (winner,) = returned(waiters, 1)
    assert sorted(m.body for m in winner.join()) == sorted(f"m{n}" for n in range(10))
    parked(queue, 2)
    # Woken all, the other two would each have looked again (6 takes) before parking.
    assert len(takes) == 4
    assert returned(waiters, 1) == [winner]
    backend.send_message("q", "one more")  # the two others are still parked, and wake
    (second,) = (w for w in returned(waiters, 2) if w is not winner)
    backend.send_message("q", "the last")
    (third,) = (w for w in returned(waiters, 3) if w not in (winner, second))
    assert [m.body for m in second.join() + third.join()] == ["one more", "the last"]


def test_a_long_poll_that_leaves_messages_wakes_the_next_one(
    backend: FastSQSBackend,
) -> None:
    queue = fast_queue(backend, "q")
    first = Waiter(lambda: receive(backend, "q", count=1, wait=20))
    second = Waiter(lambda: receive(backend, "q", count=1, wait=20))
    parked(queue, 2)
    with arriving_together():
        backend.send_message("q", "a")
        backend.send_message("q", "b")
    # One put woke one poll; it took one message and woke the other for the second
    # (without that, the other would sleep its 20 s and `join` fails at 10).
    assert sorted(m.body for m in first.join() + second.join()) == ["a", "b"]


def test_inside_arriving_together_a_put_wakes_no_one_until_the_block_ends(
    backend: FastSQSBackend,
) -> None:
    queue = fast_queue(backend, "q")
    waiter = parked_long_poll(backend, queue)
    with arriving_together():
        backend.send_message("q", "first")
        parked(queue)  # still waiting: the first message did not wake it
        backend.send_message("q", "second")
    assert sorted(m.body for m in waiter.join()) == ["first", "second"]


def test_inside_arriving_together_no_receive_sees_part_of_the_batch(
    backend: FastSQSBackend,
) -> None:
    fast_queue(backend, "q")
    with arriving_together():
        backend.send_message("q", "first")
        assert receive(backend, "q") == []  # not parked, and still nothing half-landed
        backend.send_message("q", "second")
    assert sorted(m.body for m in receive(backend, "q")) == ["first", "second"]


def test_what_was_sent_before_a_failure_inside_arriving_together_is_kept(
    backend: FastSQSBackend,
) -> None:
    fast_queue(backend, "q")

    def batch_failing_midway() -> None:
        with arriving_together():
            backend.send_message("q", "sent")
            raise RuntimeError("the rest of the batch failed")

    with pytest.raises(RuntimeError):
        batch_failing_midway()
    assert [m.body for m in receive(backend, "q")] == ["sent"]


def test_a_long_poll_waits_a_fraction_of_a_second(backend: FastSQSBackend) -> None:
    """The Lambda pollers wait out the rest of a batching window: 0.3 s must not be 0."""
    backend.clock = time.time
    fast_queue(backend, "q")
    started = time.monotonic()
    assert backend.receive_message("q", 10, 0.3, 30) == []
    assert time.monotonic() - started >= 0.25  # int(0.3) == 0 returned at once


def test_long_poll_plans_its_wait_to_the_visibility_expiry(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    queue = fast_queue(backend, "q")
    backend.send_message("q", "m")
    receive(backend, "q", visibility=7)
    planned: list[float | None] = []
    real_wait = queue.store.cond.wait

    def recording_wait(timeout: float | None = None) -> bool:
        planned.append(timeout)
        return real_wait(timeout)

    queue.store.cond.wait = recording_wait  # type: ignore[method-assign]
    waiter = parked_long_poll(backend, queue)
    assert planned == [7.0]  # the due time, not the 20 s deadline nor a 1 s tick
    clock.advance(3)
    queue.wake()
    parked(queue)  # woke, found nothing due, waits again for the rest
    assert not waiter.done.is_set()
    assert planned == [7.0, 4.0]
    clock.advance(4)
    queue.wake()
    assert [m.body for m in waiter.join()] == ["m"]


def test_long_poll_wakes_on_visibility_expiry_in_real_time(backend: FastSQSBackend) -> None:
    """No notification at all: the timed wait alone must end at the expiry."""
    backend.clock = time.time
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    receive(backend, "q", visibility=1)
    started = time.time()
    result = Waiter(lambda: receive(backend, "q", wait=10)).join()
    assert [m.body for m in result] == ["m"]
    assert time.time() - started < 3  # 10 s if the expiry were missed


def test_long_poll_wakes_on_change_visibility_zero(backend: FastSQSBackend) -> None:
    queue = fast_queue(backend, "q")
    backend.send_message("q", "m")
    (message,) = receive(backend, "q", visibility=300)
    waiter = parked_long_poll(backend, queue)
    backend.change_message_visibility("q", handle(message), 0)
    assert [m.id for m in waiter.join()] == [message.id]


def test_long_poll_times_out_empty(backend: FastSQSBackend, clock: FakeClock) -> None:
    queue = fast_queue(backend, "q")
    waiter = parked_long_poll(backend, queue)
    clock.advance(19)
    queue.wake()
    parked(queue)
    clock.advance(1)
    queue.wake()
    assert waiter.join() == []


# -- delays ------------------------------------------------------------------------------


def test_delay_seconds_per_message_hides_and_counts_as_delayed(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "later", delay_seconds=5)
    assert counts(backend, "q") == (0, 0, 1)
    assert receive(backend, "q") == []
    clock.advance(5)
    assert counts(backend, "q") == (1, 0, 0)
    assert [m.body for m in receive(backend, "q")] == ["later"]


def test_queue_delay_is_the_default_and_a_message_can_override_it(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q", DelaySeconds="10")
    backend.send_message("q", "default")
    backend.send_message("q", "now", delay_seconds=0)
    assert counts(backend, "q") == (1, 0, 1)
    assert [m.body for m in receive(backend, "q")] == ["now"]
    clock.advance(10)
    assert [m.body for m in receive(backend, "q")] == ["default"]


def test_a_send_keeps_moto_checks_and_fields(backend: FastSQSBackend) -> None:
    # Our send skips moto's attribute rebuild; what it checks and records must not change.
    fast_queue(backend, "q")
    with pytest.raises(InvalidParameterValue, match="DelaySeconds must be >= 0 and <= 900"):
        backend.send_message("q", "m", delay_seconds=901)
    plain = backend.send_message("q", "plain")
    assert (plain.deduplication_id, plain.group_id, plain.sequence_number) == (None, None, None)
    tagged = backend.send_message("q", "tagged", deduplication_id="d-1", group_id="g-1")
    assert (tagged.deduplication_id, tagged.group_id) == ("d-1", "g-1")
    assert tagged.sequence_number is not None
    assert len(tagged.sequence_number) == 20
    assert tagged.body_md5 == hashlib.md5(b"tagged").hexdigest()  # noqa: S324 - AWS's checksum


def test_long_poll_plans_its_wait_to_the_end_of_a_delay(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    queue = fast_queue(backend, "q")
    waiter = parked_long_poll(backend, queue)
    backend.send_message("q", "m", delay_seconds=3)  # wakes it to re-plan
    parked(queue)
    assert queue.store.next_due() == T0 + 3
    clock.advance(3)
    queue.wake()
    assert [m.body for m in waiter.join()] == ["m"]


# -- attributes and MD5s -----------------------------------------------------------------


def aws_attribute_md5(attributes: dict[str, dict[str, Any]]) -> str:
    """MD5OfMessageAttributes as AWS documents it, written independently of moto."""

    def field(data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + data

    digest = hashlib.md5()  # noqa: S324 - the protocol's checksum, not security
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(field(name.encode()) + field(value["DataType"].encode()))
        if "StringValue" in value:
            digest.update(b"\x01" + field(value["StringValue"].encode()))
        else:
            digest.update(b"\x02" + field(value["BinaryValue"]))
    return digest.hexdigest()


ATTRIBUTES: dict[str, dict[str, Any]] = {
    "Custom.kind": {"DataType": "String", "StringValue": "order"},
    "Custom.size": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    "trace": {"DataType": "String.custom", "StringValue": "t-1"},
}


def test_message_attributes_round_trip_with_aws_md5s(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    sent = backend.send_message("q", "body é", message_attributes=ATTRIBUTES)
    (message,) = receive(backend, "q", names=["All"])
    assert message.message_attributes == ATTRIBUTES
    assert message.attribute_md5 == sent.attribute_md5 == aws_attribute_md5(ATTRIBUTES)
    assert message.body_md5 == hashlib.md5("body é".encode()).hexdigest()  # noqa: S324


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], set()),
        (["trace"], {"trace"}),
        (["Custom.*"], {"Custom.kind", "Custom.size"}),
        ([".*"], set(ATTRIBUTES)),
    ],
)
def test_message_attribute_names_filter_each_receive_only(
    backend: FastSQSBackend, clock: FakeClock, names: list[str], expected: set[str]
) -> None:
    fast_queue(backend, "q")
    sent = backend.send_message("q", "m", message_attributes=ATTRIBUTES)
    assert sent.attribute_md5 == aws_attribute_md5(ATTRIBUTES)  # cached, shared by copies
    (filtered,) = receive(backend, "q", visibility=1, names=names)
    assert set(filtered.message_attributes) == expected
    subset = {key: ATTRIBUTES[key] for key in expected}
    if subset:
        assert filtered.attribute_md5 == aws_attribute_md5(subset)
    clock.advance(1)
    (full,) = receive(backend, "q", names=["All"])  # the stored message kept them all
    assert full.message_attributes == ATTRIBUTES
    assert full.attribute_md5 == aws_attribute_md5(ATTRIBUTES)


def test_received_copies_are_not_tracked_by_moto(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    sent = type(backend.send_message("q", "m"))
    assert issubclass(sent, Message)
    before = len(sent.instances_tracked)  # type: ignore[attr-defined]
    for _ in range(20):
        receive(backend, "q", visibility=0)
    assert len(sent.instances_tracked) == before  # type: ignore[attr-defined]


# -- counters ----------------------------------------------------------------------------


def test_approximate_counters_in_every_state(backend: FastSQSBackend, clock: FakeClock) -> None:
    fast_queue(backend, "q")
    assert counts(backend, "q") == (0, 0, 0)
    for i in range(4):
        backend.send_message("q", f"v{i}")
    backend.send_message("q", "d", delay_seconds=60)
    assert counts(backend, "q") == (4, 0, 1)
    a, b = receive(backend, "q", count=2, visibility=30)
    assert counts(backend, "q") == (2, 2, 1)
    backend.delete_message("q", handle(a))
    assert counts(backend, "q") == (2, 1, 1)
    backend.change_message_visibility("q", handle(b), 0)
    assert counts(backend, "q") == (3, 0, 1)
    (c,) = receive(backend, "q", count=1, visibility=10)
    clock.advance(10)  # c's visibility expires
    assert counts(backend, "q") == (3, 0, 1)
    clock.advance(50)  # the delay ends
    assert counts(backend, "q") == (4, 0, 0)
    backend.purge_queue("q")
    assert counts(backend, "q") == (0, 0, 0)
    assert c.body.startswith("v")


# -- receipt handles ---------------------------------------------------------------------


def test_delete_with_the_current_handle_and_again_succeeds(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (message,) = receive(backend, "q")
    backend.delete_message("q", handle(message))
    backend.delete_message("q", handle(message))  # idempotent
    assert counts(backend, "q") == (0, 0, 0)


def test_delete_with_a_stale_handle_deletes(backend: FastSQSBackend, clock: FakeClock) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (first,) = receive(backend, "q", visibility=5)
    clock.advance(5)
    (second,) = receive(backend, "q", visibility=5)
    backend.delete_message("q", handle(first))
    clock.advance(5)
    assert receive(backend, "q") == []
    backend.delete_message("q", handle(second))  # gone already: still fine


@pytest.mark.parametrize(
    "bad",
    ["", "not-a-handle", "a" * 185, "AAAAAAAAAAEAAAABdqxM9135xfIdyWXg4hjC7w==", "é"],
)
def test_handles_the_queue_never_issued_are_invalid(backend: FastSQSBackend, bad: str) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    receive(backend, "q")
    with pytest.raises(ReceiptHandleIsInvalid):
        backend.delete_message("q", bad)
    with pytest.raises(ReceiptHandleIsInvalid):
        backend.change_message_visibility("q", bad, 10)


def test_a_handle_from_another_queue_or_tampered_is_invalid(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    fast_queue(backend, "other")
    backend.send_message("other", "m")
    (foreign,) = receive(backend, "other")
    with pytest.raises(ReceiptHandleIsInvalid):
        backend.delete_message("q", handle(foreign))
    good = handle(foreign)
    tampered = good[:3] + ("B" if good[3] != "B" else "C") + good[4:]
    with pytest.raises(ReceiptHandleIsInvalid):
        backend.delete_message("other", tampered)
    assert counts(backend, "other") == (0, 1, 0)


def test_change_visibility_accepts_an_older_handle_as_aws_does(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    # moto's test_change_message_visibility_on_old_message, checked against AWS.
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (first,) = receive(backend, "q", visibility=5)
    clock.advance(5)
    (second,) = receive(backend, "q", visibility=5)
    backend.change_message_visibility("q", handle(first), 60)
    clock.advance(59)
    assert receive(backend, "q") == []
    backend.change_message_visibility("q", handle(second), 0)
    assert [m.body for m in receive(backend, "q")] == ["m"]


def test_change_visibility_of_a_deleted_message_is_rejected(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (message,) = receive(backend, "q")
    backend.delete_message("q", handle(message))
    with pytest.raises(InvalidParameterValue, match="Message does not exist"):
        backend.change_message_visibility("q", handle(message), 10)


def test_change_visibility_after_expiry_rehides_until_received_again(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (message,) = receive(backend, "q", visibility=5)
    clock.advance(6)
    assert counts(backend, "q") == (1, 0, 0)
    backend.change_message_visibility("q", handle(message), 30)
    assert counts(backend, "q") == (0, 1, 0)
    assert receive(backend, "q") == []


def test_total_visibility_is_limited_to_12_hours_from_the_receive(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (message,) = receive(backend, "q", visibility=43_200)
    clock.advance(1000)
    with pytest.raises(InvalidParameterValue, match="43200 seconds"):
        backend.change_message_visibility("q", handle(message), 42_201)
    backend.change_message_visibility("q", handle(message), 42_200)
    assert counts(backend, "q") == (0, 1, 0)


def test_batch_change_visibility_reports_failures_per_entry(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q")
    for body in ("a", "b"):
        backend.send_message("q", body)
    a, b = receive(backend, "q", visibility=5)
    stale = handle(b)
    clock.advance(5)
    (b_again, a_again) = sorted(receive(backend, "q", visibility=5), key=lambda m: m.body != "b")
    clock.advance(1)  # so 43,200 s more passes 12 hours from this receive
    entries = [
        {"Id": "ok", "ReceiptHandle": handle(a_again), "VisibilityTimeout": 100},
        {"Id": "stale", "ReceiptHandle": stale, "VisibilityTimeout": 100},
        {"Id": "bogus", "ReceiptHandle": "bogus", "VisibilityTimeout": 100},
        {"Id": "range", "ReceiptHandle": handle(b_again), "VisibilityTimeout": 43_201},
        {"Id": "limit", "ReceiptHandle": handle(b_again), "VisibilityTimeout": 43_200},
    ]
    success, failures = backend.change_message_visibility_batch("q", entries)
    failed: list[dict[str, Any]] = list(failures)  # moto annotates the values as str
    assert success == ["ok", "stale"]  # an older handle works, as on AWS
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in failed] == [
        ("bogus", "ReceiptHandleIsInvalid", True),
        ("range", "InvalidParameterValue", True),
        ("limit", "InvalidParameterValue", True),
    ]
    assert a.body == "a"


def test_batch_delete_reports_invalid_handles_per_entry(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    backend.send_message("q", "m")
    (message,) = receive(backend, "q")
    success, failed = backend.delete_message_batch(
        "q",
        [
            {"Id": "good", "ReceiptHandle": handle(message)},
            {"Id": "bad", "ReceiptHandle": "bad"},
        ],
    )
    assert success == ["good"]
    assert [(f["Id"], f["Code"]) for f in failed] == [("bad", "ReceiptHandleIsInvalid")]


def test_memory_stays_bounded_by_live_messages(backend: FastSQSBackend, clock: FakeClock) -> None:
    queue = fast_queue(backend, "q")
    backend.send_message("q", "stuck")  # an old message that never leaves
    (stuck,) = receive(backend, "q", count=1, visibility=43_200)
    for i in range(2_000):
        backend.send_message("q", f"m{i}")
        (message,) = receive(backend, "q", count=1, visibility=30)
        if i % 2:
            backend.change_message_visibility("q", handle(message), 60)  # leaves a stale item
        backend.delete_message("q", handle(message))
        clock.advance(0.01)
    for _ in range(500):  # each CMV(0) of a visible message re-queues it
        backend.change_message_visibility("q", handle(stuck), 0)
    store = queue.store
    sizes = [len(store._ready), len(store._inflight), len(store._delayed), len(store._by_age)]
    assert len(store._entries) == 1
    assert max(sizes) <= 2 + 64 + 1


# -- purge and retention -----------------------------------------------------------------


def test_purge_empties_the_queue_and_forgets_its_handles(backend: FastSQSBackend) -> None:
    fast_queue(backend, "q")
    for i in range(3):
        backend.send_message("q", f"m{i}")
    backend.send_message("q", "delayed", delay_seconds=30)
    (inflight,) = receive(backend, "q", count=1)
    backend.purge_queue("q")
    assert counts(backend, "q") == (0, 0, 0)
    assert receive(backend, "q") == []
    backend.delete_message("q", handle(inflight))
    with pytest.raises(InvalidParameterValue):
        backend.change_message_visibility("q", handle(inflight), 0)
    backend.send_message("q", "after")
    assert [m.body for m in receive(backend, "q")] == ["after"]


def test_retention_drops_expired_messages_in_any_state(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    fast_queue(backend, "q", MessageRetentionPeriod="60")
    backend.send_message("q", "visible")
    backend.send_message("q", "inflight")
    backend.send_message("q", "delayed", delay_seconds=100)
    clock.advance(10)
    backend.send_message("q", "younger")
    (inflight,) = receive(backend, "q", count=1, visibility=600)
    assert inflight.body == "visible"
    clock.advance(49.999)
    assert counts(backend, "q") == (2, 1, 1)
    clock.advance(0.001)  # 60 s after the first three were sent
    assert counts(backend, "q") == (1, 0, 0)
    assert [m.body for m in receive(backend, "q")] == ["younger"]
    with pytest.raises(InvalidParameterValue):
        backend.change_message_visibility("q", handle(inflight), 10)


def test_retention_check_for_moto_paths_reads_the_queue_attribute(
    backend: FastSQSBackend,
) -> None:
    fast_queue(backend, "q", MessageRetentionPeriod="60")
    message = backend.send_message("q", "m")
    assert backend.is_message_valid_based_on_retention_period("q", message)
    message.sent_timestamp = int((time.time() - 61) * 1000)  # type: ignore[assignment]
    assert not backend.is_message_valid_based_on_retention_period("q", message)


# -- FIFO stays on moto, queue creation, install -----------------------------------------


def test_fifo_queues_keep_moto_queue_and_code_paths(backend: FastSQSBackend) -> None:
    queue = backend.create_queue("jobs.fifo", FifoQueue="true")
    assert type(queue) is Queue
    for i, group in enumerate(["g1", "g1", "g2"]):
        backend.send_message("jobs.fifo", f"m{i}", group_id=group, deduplication_id=f"d{i}")
    backend.send_message("jobs.fifo", "dup", group_id="g1", deduplication_id="d0")
    assert counts(backend, "jobs.fifo") == (3, 0, 0)
    first = receive(backend, "jobs.fifo", count=1)
    assert [m.body for m in first] == ["m0"]
    # g1 is blocked while m0 is in flight; g2 is not.
    assert [m.body for m in receive(backend, "jobs.fifo")] == ["m2"]
    backend.delete_message("jobs.fifo", handle(first[0]))
    assert [m.body for m in receive(backend, "jobs.fifo")] == ["m1"]


def test_create_queue_twice_returns_it_or_conflicts(backend: FastSQSBackend) -> None:
    queue = fast_queue(backend, "q", VisibilityTimeout="10")
    assert backend.create_queue("q", VisibilityTimeout="10") is queue
    with pytest.raises(QueueAlreadyExists):
        backend.create_queue("q", VisibilityTimeout="20")


def test_install_is_idempotent_and_uninstall_restores_moto() -> None:
    account = f"{secrets.randbelow(10**12):012d}"
    try:
        install()
        built = sqs_backends[account][REGION]
        install()
        assert sqs_backends.backend is FastSQSBackend
        assert sqs_backends[account][REGION] is built  # not rebuilt: no state lost
        uninstall()
        stock = sqs_backends[account][REGION]
        assert type(stock) is SQSBackend
        uninstall()
        assert sqs_backends[account][REGION] is stock
        install()
        assert isinstance(sqs_backends[account][REGION], FastSQSBackend)
    finally:
        install()
        sqs_backends.pop(account, None)


def test_backend_serves_moto_urls_through_our_responses(backend: FastSQSBackend) -> None:
    from moto.sqs import urls as moto_urls

    from messaging.localcloud.sqs.responses import LocalSQSResponse

    assert backend._url_module.url_bases == moto_urls.url_bases
    assert set(backend._url_module.url_paths) == set(moto_urls.url_paths)
    assert all(
        handler.__self__ is LocalSQSResponse for handler in backend._url_module.url_paths.values()
    )


# -- model check: counters and deliveries against a naive reference ----------------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(0, 3)),
        st.tuples(st.just("receive"), st.integers(0, 4)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("hide"), st.integers(0, 30), st.integers(0, 4)),
        st.tuples(st.just("advance"), st.integers(1, 5)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(operations=OPERATIONS)
def test_store_matches_a_naive_model(operations: list[tuple[Any, ...]]) -> None:
    clock = FakeClock(T0)
    with fresh_backend(clock) as backend:
        _run_model(backend, clock, operations)


def _run_model(
    backend: FastSQSBackend, clock: FakeClock, operations: list[tuple[Any, ...]]
) -> None:
    fast_queue(backend, "q", MessageRetentionPeriod="60")
    # id -> (sent_at, delayed_until, visible_at); all handles issued
    model: dict[str, list[float]] = {}
    issued: list[tuple[str, str]] = []
    for operation in operations:
        now = clock.now
        for key in [k for k, (sent, _, _) in model.items() if sent + 60 <= now]:
            del model[key]
        if operation[0] == "send":
            message = backend.send_message("q", "m", delay_seconds=operation[1])
            model[message.id] = [now, now + operation[1], 0.0]
        elif operation[0] == "receive":
            got = receive(backend, "q", count=3, visibility=operation[1])
            visible = {k for k, (_, d, v) in model.items() if d <= now and v <= now}
            assert len(got) == min(3, len(visible))
            for message in got:
                assert message.id in visible
                model[message.id][2] = now + operation[1]
                issued.append((message.id, handle(message)))
        elif operation[0] == "delete" and issued:
            key, receipt = issued[operation[1] % len(issued)]
            backend.delete_message("q", receipt)
            model.pop(key, None)
        elif operation[0] == "hide" and issued:
            key, receipt = issued[operation[1] % len(issued)]
            if key in model:  # any handle the message had, as on AWS
                backend.change_message_visibility("q", receipt, operation[2])
                model[key][2] = now + operation[2]
            else:
                with pytest.raises(InvalidParameterValue):
                    backend.change_message_visibility("q", receipt, operation[2])
        elif operation[0] == "advance":
            clock.advance(operation[1] * 7)
        now = clock.now
        live = {k: v for k, v in model.items() if v[0] + 60 > now}
        expected = (
            sum(1 for _, d, v in live.values() if d <= now and v <= now),
            sum(1 for _, d, v in live.values() if d <= now < v),
            sum(1 for _, d, _ in live.values() if now < d),
        )
        assert counts(backend, "q") == expected


def test_set_queue_attributes_keeps_the_policy_it_was_not_given(backend: FastSQSBackend) -> None:
    queue = fast_queue(backend, "q")
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*"}]}'
    backend.set_queue_attributes("q", {"Policy": policy})
    backend.set_queue_attributes("q", {"VisibilityTimeout": "60"})
    assert queue.visibility_timeout == 60  # type: ignore[attr-defined]
    assert json.loads(backend.get_queue_attributes("q", ["Policy"])["Policy"]) == json.loads(policy)


QUEUE_ATTRIBUTE_NAMES = st.sampled_from(
    [*Queue.BASE_ATTRIBUTES, *Queue.FIFO_ATTRIBUTES, *Queue.KMS_ATTRIBUTES, "Nope", ""]
)


@settings(max_examples=60)
@given(names=st.lists(QUEUE_ATTRIBUTE_NAMES, max_size=6), fifo=st.booleans())
def test_get_queue_attributes_answers_as_moto_answers(names: list[str], fifo: bool) -> None:
    with fresh_backend() as backend:
        kind: dict[str, Any] = {"FifoQueue": "true"} if fifo else {}
        name = "q.fifo" if fifo else "q"
        dlq = backend.create_queue("dlq.fifo" if fifo else "dlq", **kind)
        policy = json.dumps({"deadLetterTargetArn": dlq.queue_arn, "maxReceiveCount": 3})
        backend.create_queue(name, RedrivePolicy=policy, DelaySeconds="2", **kind)
        backend.send_message(name, "m", group_id="g" if fifo else None, deduplication_id="d")

        def answer(get: Callable[[], dict[str, Any]]) -> Any:
            try:
                return list(get().items())
            except SQSException as error:
                return error.code, error.message

        ours = answer(lambda: backend.get_queue_attributes(name, names))
        theirs = answer(lambda: SQSBackend.get_queue_attributes(backend, name, names))
        assert ours == theirs


@pytest.mark.parametrize(
    "body", ["\udcff lone surrogate", "nul \x00 byte", "\x1b escape", "\ufffe"]
)
def test_characters_outside_xml_are_refused_as_on_aws(backend: FastSQSBackend, body: str) -> None:
    fast_queue(backend, "q")
    with pytest.raises(SQSException) as refused:
        backend.send_message("q", body)
    assert refused.value.code == "InvalidMessageContents"
    assert backend.get_queue("q").approximate_number_of_messages == 0
    backend.send_message("q", "tab\t newline\n emoji \U0001f600 ok")
