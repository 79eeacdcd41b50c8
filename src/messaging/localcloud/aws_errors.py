"""AWS-shaped error responses, rendered once for every layer in front of moto.

The guard, the request checks, the long-poll gate, the reset gate and fault injection all
answer some requests themselves. An SDK only understands an error in its service's wire
format, so each answer is rendered the way that protocol's AWS services render theirs:

- `query` (SNS, IAM, STS, CloudFormation, SQS's legacy form API): an XML `ErrorResponse`;
- `json` (DynamoDB, Firehose, SQS): a JSON body whose `__type` names the error; SQS is
  "query compatible", so its code also travels in `x-amzn-query-error`;
- `rest-xml` (S3): an XML `Error`; `rest-json`: the code in `x-amzn-ErrorType`.

`RefusalError` is how a layer says "answer this request with that error".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape

from messaging.errors import MessagingError

__all__ = ["Protocol", "RefusalError", "Response", "answer", "render", "status_line"]

Protocol = Literal["query", "json", "rest-xml", "rest-json"]
Response = tuple[str, list[tuple[str, str]], bytes]

_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


@dataclass
class RefusalError(MessagingError):
    """A request the local cloud answers itself, with AWS's status and error code."""

    status: int
    code: str
    message: str
    # SQS (JSON, query compatible) also names the code its query API used.
    query_code: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def render(
    protocol: Protocol | None,
    refused: RefusalError,
    *,
    json_version: str = "1.0",
    request_id: str | None = None,
) -> Response:
    """The status line, headers and body of `refused` in `protocol`'s format (None: query)."""
    request_id = request_id or str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    code, message = refused.code, refused.message
    sender = "Sender" if refused.status < 500 else "Receiver"
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers.append(("Content-Type", f"application/x-amz-json-{json_version}"))
        if refused.query_code:
            headers.append(("x-amzn-query-error", f"{refused.query_code};{sender}"))
    elif protocol == "rest-json":
        body = json.dumps({"message": message}).encode()
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    elif protocol == "rest-xml":
        code = code.rpartition("#")[2]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers.append(("Content-Type", "application/xml"))
    else:  # query: the plain code, as the query API names it
        code = refused.query_code or code.rpartition("#")[2]
        body = (
            f"<ErrorResponse><Error><Type>{sender}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return status_line(refused.status), headers, body


def answer(
    start_response: Callable[..., Any],
    protocol: Protocol | None,
    refused: RefusalError,
    *,
    json_version: str = "1.0",
) -> list[bytes]:
    """Answer a WSGI request with `refused`, rendered in `protocol`."""
    status, headers, body = render(protocol, refused, json_version=json_version)
    start_response(status, headers)
    return [body]
