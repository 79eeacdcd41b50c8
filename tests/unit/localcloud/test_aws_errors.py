"""Errors in each protocol's own wire format, as SDKs parse them."""

from __future__ import annotations

import json

from messaging.localcloud.aws_errors import RefusalError, render


def test_json_errors_name_their_type_and_sqs_adds_its_query_code() -> None:
    query_code = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    refused = RefusalError(
        400, "com.amazonaws.sqs#TooManyEntriesInBatchRequest", "too many", query_code=query_code
    )
    status, headers, body = render("json", refused, json_version="1.0")
    assert status == "400 Bad Request"
    assert json.loads(body) == {"__type": refused.code, "message": "too many"}
    names = dict(headers)
    assert names["Content-Type"] == "application/x-amz-json-1.0"
    assert (
        names["x-amzn-query-error"] == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender"
    )
    assert names["Content-Length"] == str(len(body))


def test_query_errors_are_an_error_response_with_the_plain_code() -> None:
    refused = RefusalError(503, "com.amazonaws.sqs#RequestThrottled", "slow <down>",
                           query_code="RequestThrottled")  # fmt: skip
    _, _, body = render("query", refused, request_id="r-1")
    assert body == (
        b"<ErrorResponse><Error><Type>Receiver</Type><Code>RequestThrottled</Code>"
        b"<Message>slow &lt;down&gt;</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    )
    assert render(None, refused)[2].startswith(b"<ErrorResponse>")


def test_s3_and_rest_json_errors() -> None:
    refused = RefusalError(400, "MalformedXML", "bad")
    _, headers, body = render("rest-xml", refused, request_id="r")
    assert b"<Error><Code>MalformedXML</Code><Message>bad</Message><RequestId>r</RequestId>" in body
    assert dict(headers)["Content-Type"] == "application/xml"
    _, headers, body = render("rest-json", refused)
    assert dict(headers)["x-amzn-ErrorType"] == "MalformedXML"
    assert json.loads(body) == {"message": "bad"}
