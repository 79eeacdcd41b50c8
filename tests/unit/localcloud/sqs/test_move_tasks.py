"""Message move tasks (DLQ redrive) at backend level, on an injected clock.

The task thread steps on real time but moves what the injected clock allows, so a test
that calls `step_move_tasks()` itself after moving the clock knows exactly what moved.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Message

from messaging.localcloud.sqs.backend import FastQueue, FastSQSBackend
from messaging.localcloud.sqs.move_tasks import MoveTask
from tests.support import FakeClock, wait_for


def queue(backend: FastSQSBackend, name: str, **attributes: Any) -> FastQueue:
    made = backend.create_queue(name, **attributes)
    assert isinstance(made, FastQueue)
    return made


def with_dlq(backend: FastSQSBackend, source: str = "src", dlq: str = "dlq") -> FastQueue:
    """`source` dead-letters into `dlq` on the second receive (maxReceiveCount 1)."""
    dead = backend.queues.get(dlq) or queue(backend, dlq)
    policy = json.dumps({"deadLetterTargetArn": dead.queue_arn, "maxReceiveCount": 1})
    queue(backend, source, RedrivePolicy=policy)
    assert isinstance(dead, FastQueue)
    return dead


def dead_letter(backend: FastSQSBackend, source: str, *bodies: str) -> None:
    for body in bodies:
        backend.send_message(
            source, body, message_attributes={"k": {"DataType": "String", "StringValue": body}}
        )
    backend.receive_message(source, 10, 0, 0)  # the first and only delivery
    assert backend.receive_message(source, 10, 0, 0) == []  # moves them to the DLQ


def bodies(backend: FastSQSBackend, name: str) -> list[str]:
    return sorted(m.body for m in backend.receive_message(name, 10, 0, 0))


def latest(backend: FastSQSBackend, dlq: FastQueue) -> MoveTask:
    return backend.list_message_move_tasks(dlq.queue_arn)[0]


def test_a_task_moves_what_the_dlq_held_at_its_start_to_the_original_queue(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend)
    dead_letter(backend, "src", "a", "b")
    handle = backend.start_message_move_task(dlq.queue_arn)
    assert json.loads(base64.b64decode(handle)) == {
        "taskId": latest(backend, dlq).task_id,
        "sourceArn": dlq.queue_arn,
    }
    entry = latest(backend, dlq).describe()
    assert entry["Status"] == "RUNNING"
    assert entry["TaskHandle"] == handle
    assert entry["ApproximateNumberOfMessagesToMove"] == 2
    assert "DestinationArn" not in entry
    assert "MaxNumberOfMessagesPerSecond" not in entry
    dead_letter(backend, "src", "late")  # reaches the DLQ after the start: stays there
    clock.advance(1)
    backend.step_move_tasks()
    entry = latest(backend, dlq).describe()
    assert entry["Status"] == "COMPLETED"
    assert entry["ApproximateNumberOfMessagesMoved"] == 2
    assert "TaskHandle" not in entry
    moved = backend.receive_message("src", 10, 0, 30, ["All"])
    assert sorted(m.body for m in moved) == ["a", "b"]
    assert all(m.approximate_receive_count == 1 for m in moved)  # a new message
    assert {m.message_attributes["k"]["StringValue"] for m in moved} == {"a", "b"}
    assert bodies(backend, "dlq") == ["late"]


def test_the_rate_bounds_what_moves_per_second(backend: FastSQSBackend, clock: FakeClock) -> None:
    dlq = with_dlq(backend)
    dead_letter(backend, "src", *"abcde")
    backend.start_message_move_task(dlq.queue_arn, rate=2)
    assert latest(backend, dlq).describe()["MaxNumberOfMessagesPerSecond"] == 2
    clock.advance(1)
    backend.step_move_tasks()
    assert latest(backend, dlq).moved == 2
    clock.advance(0.5)
    backend.step_move_tasks()
    assert latest(backend, dlq).moved == 3
    clock.advance(60)  # no burst: a second's worth at most
    backend.step_move_tasks()
    assert latest(backend, dlq).moved == 5
    assert latest(backend, dlq).status == "COMPLETED"


def test_each_message_goes_back_to_its_own_source(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend, "one")
    with_dlq(backend, "two")
    dead_letter(backend, "one", "1a", "1b")
    dead_letter(backend, "two", "2a")
    backend.start_message_move_task(dlq.queue_arn)
    clock.advance(1)
    backend.step_move_tasks()
    assert bodies(backend, "one") == ["1a", "1b"]
    assert bodies(backend, "two") == ["2a"]


def test_a_named_destination_takes_everything(backend: FastSQSBackend, clock: FakeClock) -> None:
    dlq = with_dlq(backend)
    other = queue(backend, "other")
    dead_letter(backend, "src", "a")
    backend.send_message("dlq", "sent directly")
    backend.start_message_move_task(dlq.queue_arn, destination_arn=other.queue_arn)
    assert latest(backend, dlq).describe()["DestinationArn"] == other.queue_arn
    clock.advance(1)
    backend.step_move_tasks()
    assert bodies(backend, "other") == ["a", "sent directly"]


def test_a_message_with_no_source_fails_the_task_and_stays(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend)
    backend.send_message("dlq", "sent directly")
    backend.start_message_move_task(dlq.queue_arn)
    clock.advance(1)
    backend.step_move_tasks()
    entry = latest(backend, dlq).describe()
    assert (entry["Status"], entry["FailureReason"]) == ("FAILED", "CouldNotDetermineMessageSource")
    assert bodies(backend, "dlq") == ["sent directly"]


def test_a_destination_deleted_while_running_fails_the_task(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend)
    other = queue(backend, "other")
    dead_letter(backend, "src", "a", "b")
    backend.start_message_move_task(dlq.queue_arn, destination_arn=other.queue_arn, rate=1)
    backend.delete_queue("other")
    clock.advance(1)
    backend.step_move_tasks()
    task = latest(backend, dlq)
    assert (task.status, task.failure, task.moved) == (
        "FAILED",
        "AWS.SimpleQueueService.NonExistentQueue",
        0,
    )
    assert bodies(backend, "dlq") == ["a", "b"]


def test_cancel_stops_the_task_and_keeps_what_moved(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend)
    dead_letter(backend, "src", *"abc")
    handle = backend.start_message_move_task(dlq.queue_arn, rate=1)
    clock.advance(1)
    backend.step_move_tasks()
    assert backend.cancel_message_move_task(handle) == 1
    clock.advance(10)
    backend.step_move_tasks()
    assert (latest(backend, dlq).status, latest(backend, dlq).moved) == ("CANCELLED", 1)
    assert len(bodies(backend, "dlq")) == 2
    with pytest.raises(SQSException, match="Task does not exist"):
        backend.cancel_message_move_task(handle)  # no longer running


def test_one_running_task_per_source_and_the_ten_latest_are_listed(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend)
    dead_letter(backend, "src", "a")
    backend.start_message_move_task(dlq.queue_arn, rate=1)
    with pytest.raises(SQSException, match="There is already a task running") as running:
        backend.start_message_move_task(dlq.queue_arn)
    assert running.value.code == "InvalidParameterValue"
    for _ in range(11):
        clock.advance(1)
        backend.step_move_tasks()
        backend.start_message_move_task(dlq.queue_arn)  # nothing left: completes at once
    tasks = backend.list_message_move_tasks(dlq.queue_arn, 10)
    assert len(tasks) == 10
    assert [t.started_ms for t in tasks] == sorted((t.started_ms for t in tasks), reverse=True)


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (
            lambda b, d: b.start_message_move_task(d.queue_arn + "x"),
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ),
        (
            lambda b, d: b.start_message_move_task(b.queues["src"].queue_arn),
            "InvalidParameterValue",
            "Source queue must be configured as a Dead Letter Queue.",
        ),
        (
            lambda b, d: b.start_message_move_task(d.queue_arn, destination_arn=d.queue_arn + "x"),
            "ResourceNotFoundException",
            "The resource that you specified for the DestinationArn parameter doesn't exist.",
        ),
        (
            lambda b, d: b.start_message_move_task(d.queue_arn, rate=501),
            "InvalidParameterValue",
            "Value 501 for parameter MaxNumberOfMessagesPerSecond is invalid. "
            "Reason: Must be between 1 and 500.",
        ),
        (
            lambda b, d: b.list_message_move_tasks(d.queue_arn, 11),
            "InvalidParameterValue",
            "Value 11 for parameter MaxResults is invalid. Reason: Must be between 1 and 10.",
        ),
        (
            lambda b, d: b.cancel_message_move_task("not a handle"),
            "InvalidParameterValue",
            "Value for parameter TaskHandle is invalid.",
        ),
        (
            lambda b, d: b.cancel_message_move_task(
                base64.b64encode(b'{"taskId": "t", "sourceArn": "arn:aws:sqs:x:1:nope"}').decode()
            ),
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ),
    ],
)
def test_refusals_are_aws_errors(
    backend: FastSQSBackend, call: Any, code: str, message: str
) -> None:
    dlq = with_dlq(backend)
    with pytest.raises(SQSException) as refused:
        call(backend, dlq)
    assert (refused.value.code, refused.value.message) == (code, message)


def test_the_task_thread_finishes_a_task_on_its_own(
    backend: FastSQSBackend, clock: FakeClock
) -> None:
    dlq = with_dlq(backend)
    dead_letter(backend, "src", "a")
    backend.start_message_move_task(dlq.queue_arn)
    clock.advance(1)  # tokens for the thread's next step
    wait_for(lambda: latest(backend, dlq).status == "COMPLETED")
    assert bodies(backend, "src") == ["a"]


def test_take_upto_leaves_later_and_hidden_messages(backend: FastSQSBackend) -> None:
    store = queue(backend, "q").store
    for body in "abc":
        store.put(Message(body, body))
    mark = store.last_seq()
    store.put(Message("d", "d"))
    [hidden] = backend.receive_message("q", 1, 0, 30)  # "a" in flight
    assert store.count_upto(mark) == 3
    assert [m.body for m, _ in store.take_upto(mark, 10)] == ["b", "c"]
    assert store.holds_upto(mark)  # "a" is still in flight
    assert hidden.receipt_handle is not None
    backend.delete_message("q", hidden.receipt_handle)
    assert not store.holds_upto(mark)
    assert [m.body for m in store.visible_messages()] == ["d"]
