"""WSGI requests built by hand, for the local cloud's middleware tests."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FORM = "application/x-www-form-urlencoded"


def signed(service: str) -> str:
    """A SigV4 Authorization header naming `service` (moto does not check signatures)."""
    return (
        f"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


def environ(
    *,
    service: str | None = None,
    target: str | None = None,
    body: bytes = b"",
    query: str = "",
    content_type: str | None = None,
    method: str = "POST",
    path: str = "/",
    **headers: str,
) -> dict[str, Any]:
    """A WSGI environ; `headers` are CGI names (HTTP_ORIGIN=...)."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1:4566",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if service is not None:
        env["HTTP_AUTHORIZATION"] = signed(service)
    if target is not None:
        env["HTTP_X_AMZ_TARGET"] = target
        env["CONTENT_TYPE"] = content_type or "application/x-amz-json-1.0"
    elif content_type is not None or body:
        env["CONTENT_TYPE"] = content_type or FORM
    env.update(headers)
    return env


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def call(app: App, env: dict[str, Any]) -> Answer:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(env, start_response))
    return Answer(int(seen["status"].split()[0]), seen["headers"], body)


def ok_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """What stands in for moto: 200 and the body it was sent."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
