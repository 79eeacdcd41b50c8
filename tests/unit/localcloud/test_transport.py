"""Body caps before reading, idle connections closed first, and the thread budget."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from waitress.adjustments import Adjustments

from messaging.localcloud.limits import body_cap
from messaging.localcloud.transport import BoundedRequestParser, ServerLimits, _evict_idlest
from tests.support.wsgi import signed


def headers(service: str, length: int | None, *, target: str | None = None) -> bytes:
    lines = ["POST / HTTP/1.1", "Host: 127.0.0.1", f"Authorization: {signed(service)}"]
    if target:
        lines.append(f"X-Amz-Target: {target}")
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parser() -> BoundedRequestParser:
    return BoundedRequestParser(Adjustments())


def test_a_content_length_over_the_cap_is_refused_from_the_headers_alone() -> None:
    request = parser()
    over = body_cap("dynamodb") + 1
    request.received(headers("dynamodb", over, target="DynamoDB_20120810.BatchWriteItem"))
    assert request.completed  # answered now: not one byte of the body was needed
    assert request.error is not None
    status, response_headers, body = request.error.to_response("ident")
    assert status.startswith("413")
    assert dict(response_headers)["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(body)["__type"] == "RequestEntityTooLarge"
    assert str(over) in json.loads(body)["message"]


def test_a_body_within_the_cap_is_read_as_usual() -> None:
    request = parser()
    request.received(headers("sns", 17))
    assert request.error is None
    assert not request.completed
    request.received(b"Action=ListTopics")
    assert (request.completed, request.error) == (True, None)


def test_a_chunked_body_is_cut_off_once_past_the_cap() -> None:
    request = parser()
    request.received(headers("sns", None))
    chunk = b"x" * 65536
    fed = 0
    while not request.completed:
        request.received(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        fed += len(chunk)
    assert request.error is not None
    assert request.error.to_response()[0].startswith("413")
    assert body_cap("sns") < fed <= body_cap("sns") + len(chunk)
    body: Any = request.error.to_response()[2]  # bytes (waitress's stubs say str)
    assert b"<Code>RequestEntityTooLarge</Code>" in body


@dataclass
class FakeChannel:
    last_activity: float
    requests: list[Any] = field(default_factory=list)
    will_close: bool = False
    total_outbufs_len: int = 0


@dataclass
class FakeServer:
    active_channels: dict[int, FakeChannel]


def test_past_the_limit_the_longest_idle_connection_is_closed() -> None:
    channels = {n: FakeChannel(last_activity=float(n)) for n in range(5)}
    channels[0].requests.append("a long poll in progress")  # busy: never closed
    channels[1].total_outbufs_len = 10  # still answering: never closed
    server = FakeServer(channels)
    _evict_idlest(server, keep=5)
    assert not any(c.will_close for c in channels.values())  # within the limit
    _evict_idlest(server, keep=4)
    assert [n for n, c in channels.items() if c.will_close] == [2]
    _evict_idlest(server, keep=4)  # the next one, not the same one twice
    assert [n for n, c in channels.items() if c.will_close] == [2, 3]


def test_nothing_is_closed_when_every_connection_is_busy() -> None:
    channels = {n: FakeChannel(float(n), requests=["busy"]) for n in range(3)}
    _evict_idlest(FakeServer(channels), keep=1)
    assert not any(c.will_close for c in channels.values())


def test_the_budget_sizes_the_pool_and_the_hard_connection_limit() -> None:
    limits = ServerLimits(long_polls=256, quick_threads=32, connections=1024, idle_timeout=30)
    options = limits.waitress_options()
    assert options["threads"] == 288
    assert options["connection_limit"] == 1024 + 288
    assert options["channel_timeout"] == 30
    assert options["asyncore_use_poll"] is True  # select() stops at descriptor 1023
    assert 1 <= options["cleanup_interval"] <= 5


def test_the_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ServerLimits(long_polls=0)
