"""Connections and threads under abuse: nobody is locked out, quick calls never starve.

A local cloud with a small budget (20 connections, 4 long polls, 4 more threads) shows
the mechanisms with few sockets; `tests/e2e/test_security.py` repeats the issue's figure
(1,000 half-open connections) against `messaging up` with its default budget. Every
client call has a short timeout and no retries: a locked-out client fails the test.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from messaging.localcloud.server import LocalCloud, ServerLimits
from tests.support import wait_for

pytestmark = pytest.mark.integration

LIMITS = ServerLimits(long_polls=4, quick_threads=4, connections=20, idle_timeout=30)


@pytest.fixture(scope="module")
def small() -> Iterator[LocalCloud]:
    with LocalCloud(port=0, limits=LIMITS) as cloud:
        yield cloud


def sqs(cloud: LocalCloud, read_timeout: float = 5) -> Any:
    config = Config(connect_timeout=5, read_timeout=read_timeout, retries={"total_max_attempts": 1})
    return boto3.client(
        "sqs",
        endpoint_url=cloud.endpoint_url,
        region_name=cloud.region,
        aws_access_key_id="limits",
        aws_secret_access_key="limits",
        config=config,
    )


def half_open(cloud: LocalCloud, count: int, *, partial: bool) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", cloud.port), timeout=5)
        if partial:  # the start of a request that never ends
            connection.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
        sockets.append(connection)
    return sockets


def closed_by_server(connection: socket.socket) -> bool:
    connection.settimeout(0.05)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_idle_and_half_open_connections_beyond_the_limit_do_not_lock_anyone_out(
    small: LocalCloud,
) -> None:
    hoarded = half_open(small, 30, partial=False) + half_open(small, 30, partial=True)
    try:
        # A new client gets in at once: the oldest idle connections make room for it.
        assert sqs(small).list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
        wait_for(lambda: sum(closed_by_server(c) for c in hoarded) >= 40)
        assert not any(closed_by_server(c) for c in hoarded[-10:])  # the newest stay
    finally:
        for connection in hoarded:
            connection.close()


def test_long_polls_beyond_the_budget_are_throttled_and_quick_calls_still_answer(
    small: LocalCloud,
) -> None:
    client = sqs(small, read_timeout=30)
    url = client.create_queue(QueueName="limits-long-polls")["QueueUrl"]
    gate = small.long_polls
    assert gate is not None
    done = threading.Event()

    def long_poll() -> None:
        sqs(small, read_timeout=30).receive_message(QueueUrl=url, WaitTimeSeconds=20)

    polls = [threading.Thread(target=long_poll) for _ in range(LIMITS.long_polls)]
    for poll in polls:
        poll.start()
    try:
        wait_for(lambda: gate.in_flight == LIMITS.long_polls)
        with pytest.raises(ClientError) as throttled:  # one more: refused at once
            sqs(small).receive_message(QueueUrl=url, WaitTimeSeconds=20)
        assert throttled.value.response["Error"]["Code"] == "RequestThrottled"
        # Every thread a long poll may take is taken; quick calls still answer (timeout 5 s).
        for _ in range(3 * LIMITS.quick_threads):
            sqs(small).get_queue_url(QueueName="limits-long-polls")
    finally:
        client.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "MessageBody": "wake"} for n in range(LIMITS.long_polls)],
        )
        for poll in polls:
            poll.join(30)
        done.set()
    assert gate.in_flight == 0
