"""A client stops with a clear error when the endpoint becomes another local cloud.

Responses are served by a `before-send` hook, so the real botocore call path (and the
`Aws` session's wiring) runs with the headers each test chooses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import BotoCoreError

from messaging.errors import MessagingError
from messaging.ops.aws import Aws, default_config
from messaging.ops.instance import INSTANCE_HEADER, InstanceChangedError
from messaging.ops.settings import Settings


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self.body


def serving(*instances: str | None) -> tuple[Aws, list[str | None]]:
    """An `Aws` whose SQS calls are answered, in turn, by the given instances."""
    settings = Settings(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    aws = Aws(settings, default_config(max_attempts=1), placeholder_credentials=("t", "t"))
    answers = list(instances)

    def respond(request: Any, **_: Any) -> AWSResponse:
        instance = answers.pop(0)
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        if instance is not None:
            headers[INSTANCE_HEADER] = instance
        return AWSResponse(request.url, 200, headers, _Raw(b'{"QueueUrls": []}'))

    handler: Any = respond  # a before-send hook may answer in place of the network
    aws.session.events.register("before-send.sqs", handler)
    return aws, answers


def test_the_same_instance_passes() -> None:
    aws, _ = serving("a", "a", "a")
    sqs = aws.sqs()
    for _ in range(3):
        assert sqs.list_queues().get("QueueUrls", []) == []


def test_another_instance_stops_the_call_with_a_clear_error() -> None:
    aws, _ = serving("a", "b")
    sqs = aws.sqs()
    sqs.list_queues()
    with pytest.raises(InstanceChangedError) as changed:
        sqs.list_queues()
    assert isinstance(changed.value, BotoCoreError)  # handled wherever AWS errors are
    assert isinstance(changed.value, MessagingError)
    assert "restarted as a new, empty instance (b; this client started with a)" in str(
        changed.value
    )
    assert "--state-dir" in str(changed.value)


def test_an_instance_that_stops_naming_itself_is_another_endpoint() -> None:
    aws, _ = serving("a", None)
    sqs = aws.sqs()
    sqs.list_queues()
    with pytest.raises(InstanceChangedError, match="no instance id"):
        sqs.list_queues()


def test_aws_names_no_instance_and_nothing_is_checked() -> None:
    aws, answers = serving(None, None, None)
    sqs, other = aws.sqs(), aws.sqs()
    for client in (sqs, other, sqs):
        client.list_queues()
    assert answers == []
