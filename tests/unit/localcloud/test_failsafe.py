"""Exceptions escaping moto: classified, logged to the right degree, answered AWS-style."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from xml.parsers.expat import ExpatError

import pytest

from messaging.localcloud.failsafe import Failsafe
from messaging.localcloud.query_parser import MalformedInputError
from tests.support import wsgi


def raising(error: Exception) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "status", "code", "kind"),
    [
        (MalformedInputError("Invalid integer for X: 'a'"), 400, "ValidationError", "malformed"),
        (ExpatError("unclosed token"), 400, "MalformedXML", "malformed"),
        (NotImplementedError("x"), 501, "NotImplemented", "not-implemented"),
        (KeyError("TableArn"), 500, "InternalFailure", "internal"),
    ],
)  # fmt: skip
def test_exceptions_are_classified(
    error: Exception, status: int, code: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    failsafe = Failsafe(raising(error))
    with caplog.at_level(logging.WARNING):
        answer = wsgi.call(failsafe, wsgi.environ(service="sns", body=b"Action=ListTopics"))
    assert answer.status == status
    assert f"<Code>{code}</Code>".encode() in answer.body
    assert failsafe.outcomes == {kind: 1}
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == (1 if kind == "internal" else 0)  # only a bug has one


def test_json_requests_get_json_errors() -> None:
    failsafe = Failsafe(raising(MalformedInputError("bad")))
    env = wsgi.environ(service="dynamodb", target="DynamoDB_20120810.Scan", body=b"{}")
    answer = wsgi.call(failsafe, env)
    assert answer.body == b'{"__type": "SerializationException", "message": "bad"}'


def test_answers_pass_through_untouched() -> None:
    assert wsgi.call(Failsafe(wsgi.ok_app), wsgi.environ(body=b"x=1")).body == b"x=1"
