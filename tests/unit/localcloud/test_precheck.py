"""The request-checks middleware: refused requests never reach moto; the rest pass as sent."""

from __future__ import annotations

import json
from typing import Any

from messaging.localcloud import json_parser
from messaging.localcloud.precheck import RequestChecks
from tests.support import wsgi


def test_a_good_request_reaches_the_app_with_its_body_intact() -> None:
    checks = RequestChecks(wsgi.ok_app)
    answer = wsgi.call(checks, wsgi.environ(service="sns", body=b"Action=ListTopics"))
    assert (answer.status, answer.body) == (200, b"Action=ListTopics")
    assert not checks.refused


def test_a_refused_request_never_reaches_the_app_and_is_counted() -> None:
    reached: list[bool] = []

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        reached.append(True)
        return []

    checks = RequestChecks(app)
    answer = wsgi.call(
        checks, wsgi.environ(service="dynamodb", target="DynamoDB_20120810.Scan", body=b"[]")
    )
    assert answer.status == 400
    assert json.loads(answer.body)["__type"].endswith("#SerializationException")
    assert answer.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert not reached
    assert checks.refused == {"SerializationException": 1}


def test_errors_come_in_the_protocol_of_the_request() -> None:
    checks = RequestChecks(wsgi.ok_app)
    query = wsgi.call(checks, wsgi.environ(service="sns", body=b"Action=Nope"))
    assert query.body.startswith(b"<ErrorResponse>")
    assert b"<Code>InvalidAction</Code>" in query.body
    firehose = wsgi.call(
        checks, wsgi.environ(service="firehose", target="Firehose_20150804.Nope", body=b"{}")
    )
    assert firehose.headers["Content-Type"] == "application/x-amz-json-1.1"
    sqs = wsgi.call(checks, wsgi.environ(service="sqs", target="AmazonSQS.Nope", body=b"{}"))
    assert sqs.headers["x-amzn-query-error"] == "UnknownOperationException;Sender"


def test_the_local_clouds_own_endpoints_pass_untouched() -> None:
    checks = RequestChecks(wsgi.ok_app)
    for path in ("/moto-api/reset", "/_localcloud/health"):
        assert wsgi.call(checks, wsgi.environ(path=path, body=b"{not json")).status == 200


def test_an_oversized_query_string_is_invalid_query_parameter() -> None:
    checks = RequestChecks(wsgi.ok_app)
    env = wsgi.environ(service="sns", method="GET", query="Action=ListTopics&x=" + "a" * 140_000)
    answer = wsgi.call(checks, env)
    assert answer.status == 400
    assert b"InvalidQueryParameter" in answer.body


def test_a_checked_json_document_is_handed_to_moto_s_parser_for_its_request_only() -> None:
    body = b'{"TableName": "orders"}'
    seen: list[object] = []

    def app(environ: dict[str, object], start_response: Any) -> list[bytes]:
        seen.append(json_parser._take(body))  # what moto's parser would take over
        start_response("200 OK", [])
        return []

    checks = RequestChecks(app)
    wsgi.call(checks, wsgi.environ(service="dynamodb", target="DynamoDB_20120810.Scan", body=body))
    assert seen == [{"TableName": "orders"}]
    # Never taken (CloudWatch Logs parses its own body): dropped when the request ends.
    logs = RequestChecks(wsgi.ok_app)
    wsgi.call(logs, wsgi.environ(service="dynamodb", target="DynamoDB_20120810.Scan", body=body))
    assert json_parser._take(body) is None
