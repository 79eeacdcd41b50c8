"""DynamoDB's requests one at a time: a second waits for the first; others pass by.

Threads synchronise on events, never on sleeps; "still waiting" is checked as the gate's
tests check it, by an event not set within a short wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from messaging.localcloud.dynamodb.one_at_a_time import DynamoDBOneAtATime, is_dynamodb

PUT_ITEM = {"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}
SEND_MESSAGE = {"HTTP_X_AMZ_TARGET": "AmazonSQS.SendMessage"}


class HeldApp:
    """A WSGI app that records who entered, and holds the first caller until released."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.first_inside = threading.Event()
        self.release = threading.Event()
        self.events: dict[str, threading.Event] = {}

    def __call__(self, environ: dict[str, Any], _: Callable[..., Any]) -> Iterable[bytes]:
        name = environ["name"]
        self.entered.append(name)
        self.events.setdefault(name, threading.Event()).set()
        if len(self.entered) == 1:
            self.first_inside.set()
            assert self.release.wait(10)
        return [name.encode()]

    def entered_event(self, name: str) -> threading.Event:
        return self.events.setdefault(name, threading.Event())


def call(app: DynamoDBOneAtATime, name: str, headers: dict[str, str]) -> threading.Thread:
    thread = threading.Thread(
        target=app, args=({"name": name, **headers}, lambda *_: None), daemon=True
    )
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("DynamoDB_20120810.BatchExecuteStatement", True),
        ("DynamoDB_20120810.Scan", True),
        ("DynamoDBStreams_20120810.GetRecords", False),
        ("AmazonSQS.ReceiveMessage", False),
        ("Firehose_20150804.PutRecordBatch", False),
    ],
)
def test_a_dynamodb_request_is_told_by_its_target(target: str, expected: bool) -> None:
    assert is_dynamodb({"HTTP_X_AMZ_TARGET": target}) is expected


def test_a_request_without_a_target_is_not_dynamodb() -> None:
    assert is_dynamodb({"QUERY_STRING": "Action=Publish"}) is False


def test_a_second_dynamodb_request_waits_until_the_first_is_answered() -> None:
    inner = HeldApp()
    app = DynamoDBOneAtATime(inner, threading.Lock())
    first = call(app, "first", PUT_ITEM)
    assert inner.first_inside.wait(10)
    second = call(app, "second", PUT_ITEM)
    assert not inner.entered_event("second").wait(0.2)  # held while the first is served
    inner.release.set()
    assert inner.entered_event("second").wait(10)
    first.join(10)
    second.join(10)
    assert inner.entered == ["first", "second"]


def test_requests_to_other_services_pass_while_a_dynamodb_request_is_served() -> None:
    inner = HeldApp()
    app = DynamoDBOneAtATime(inner, threading.Lock())
    first = call(app, "put", PUT_ITEM)
    assert inner.first_inside.wait(10)
    other = call(app, "send", SEND_MESSAGE)
    assert inner.entered_event("send").wait(10)
    inner.release.set()
    first.join(10)
    other.join(10)
    assert inner.entered == ["put", "send"]


def test_every_instance_shares_the_process_lock_as_they_share_moto_s_backends() -> None:
    def app(environ: dict[str, Any], _: Callable[..., Any]) -> Iterable[bytes]:
        return [b""]

    assert DynamoDBOneAtATime(app).lock is DynamoDBOneAtATime(app).lock


def test_the_lock_is_released_when_the_app_raises() -> None:
    def failing(environ: dict[str, Any], _: Callable[..., Any]) -> Iterable[bytes]:
        raise RuntimeError("moto failed")

    app = DynamoDBOneAtATime(failing, threading.Lock())
    with pytest.raises(RuntimeError):
        app(dict(PUT_ITEM), lambda *_: None)
    assert app.lock.acquire(blocking=False)
    app.lock.release()
