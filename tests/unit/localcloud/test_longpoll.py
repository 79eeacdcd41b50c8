"""At most N long polls at once; one more is throttled at once, as AWS throttles."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from messaging.localcloud.longpoll import LongPollGate
from tests.support import wait_for, wsgi

RECEIVE = {"service": "sqs", "target": "AmazonSQS.ReceiveMessage", "body": b'{"QueueUrl": "q"}'}


def blocking_app(release: threading.Event) -> wsgi.App:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [])
        release.wait(10)
        return [b"{}"]

    return app


def test_the_n_plus_first_long_poll_is_throttled_and_quick_calls_pass() -> None:
    release = threading.Event()
    gate = LongPollGate(blocking_app(release), limit=2)
    polls = [
        threading.Thread(target=wsgi.call, args=(gate, wsgi.environ(**RECEIVE)))  # type: ignore[arg-type]
        for _ in range(2)
    ]
    for poll in polls:
        poll.start()
    wait_for(lambda: gate.in_flight == 2)
    refused = wsgi.call(gate, wsgi.environ(**RECEIVE))  # type: ignore[arg-type]
    assert refused.status == 400
    assert json.loads(refused.body)["__type"] == "com.amazonaws.sqs#RequestThrottled"
    assert refused.headers["x-amzn-query-error"] == "RequestThrottled;Sender"
    assert gate.throttled == 1
    release.set()  # quick calls never wait on the gate
    assert wsgi.call(gate, wsgi.environ(service="sqs", target="AmazonSQS.ListQueues")).status == 200
    for poll in polls:
        poll.join(10)
    assert gate.in_flight == 0
    assert wsgi.call(gate, wsgi.environ(**RECEIVE)).status == 200  # type: ignore[arg-type]


def test_the_query_form_of_receive_message_counts_too() -> None:
    gate = LongPollGate(wsgi.ok_app, limit=0)
    answer = wsgi.call(gate, wsgi.environ(service="sqs", body=b"Action=ReceiveMessage&QueueUrl=q"))
    assert answer.status == 400
    assert b"<Code>RequestThrottled</Code>" in answer.body
