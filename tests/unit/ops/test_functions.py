"""What `ops.functions` makes of the stack outputs, the mappings' figures and the logs."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

import pytest

from messaging.ops.functions import FOLLOW_INTERVAL, LogsError, function_names, log_events
from tests.support.fake_logs import FakeLogGroup

if TYPE_CHECKING:
    from messaging.ops.aws import Aws


def test_only_services_with_a_function_output_are_on_lambda() -> None:
    outputs = {"OrdersFunctionName": "s-orders", "PaymentsFunctionName": "", "TopicArn": "t"}
    assert function_names(outputs) == {"orders": "s-orders"}


def test_following_prints_another_streams_line_that_arrives_late_once() -> None:
    group = FakeLogGroup()
    group.put(500_000, "stream a, newest", stream="a")
    stop, pauses = threading.Event(), []

    def pause(seconds: float) -> None:  # each pause a new line arrives; the third, Ctrl-C
        pauses.append(seconds)
        if len(pauses) == 1:
            group.put(499_500, "stream b, half a second older, ingested later", stream="b")
        elif len(pauses) == 2:
            group.put(500_200, "stream a, next")
        else:
            stop.set()

    aws = cast("Aws", group)
    followed = log_events(aws, "orders", since_ms=0, follow=True, stop=stop, sleep=pause)
    assert [(e.stream, e.message) for e in followed] == [
        ("a", "stream a, newest"),
        ("b", "stream b, half a second older, ingested later"),
        ("a", "stream a, next"),
    ]
    assert pauses == [FOLLOW_INTERVAL] * 3


def test_reading_a_function_that_never_ran_says_so_and_following_it_waits() -> None:
    group = FakeLogGroup(exists=False)
    with pytest.raises(LogsError, match="has no logs yet"):
        list(log_events(cast("Aws", group), "orders", since_ms=0))
    stop = threading.Event()

    def pause(_: float) -> None:  # the first pause, the first invocation; the next, Ctrl-C
        if group.exists:
            stop.set()
            return
        group.exists = True
        group.put(1_000, "first invocation")

    followed = log_events(
        cast("Aws", group), "orders", since_ms=0, follow=True, stop=stop, sleep=pause
    )
    assert [e.message for e in followed] == ["first invocation"]
