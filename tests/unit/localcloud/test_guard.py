"""The guard: who gets in, and which CORS headers leave."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from messaging.localcloud.guard import GuardPolicy, OriginGuard, host_allowed, normalize_origin
from tests.support import wsgi

LOOPBACK = GuardPolicy.build("127.0.0.1")
APP = "https://app.example"


def moto_like_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers as moto's flask-cors does: any Origin echoed, every method allowed."""
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Access-Control-Allow-Origin", environ.get("HTTP_ORIGIN", "*")),
            ("Access-Control-Allow-Methods", "DELETE, GET, POST, PUT"),
        ],
    )
    return [b"{}"]


def call(guard: OriginGuard, **headers: str) -> tuple[str, dict[str, str], bytes]:
    env = wsgi.environ(method=headers.pop("REQUEST_METHOD", "POST"))
    env.update(headers)
    answer = wsgi.call(guard, env)
    reason = {200: "OK", 204: "No Content", 403: "Forbidden"}[answer.status]
    return f"{answer.status} {reason}", answer.headers, answer.body


def cors(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith("access-control-")}


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:4566", "localhost:4566", "LOCALHOST", "bucket.localhost:4566", "[::1]:4566",
     "127.0.0.2", "localhost."],
)  # fmt: skip
def test_loopback_names_are_this_cloud(host: str) -> None:
    assert host_allowed(host, LOOPBACK)


@pytest.mark.parametrize(
    "host",
    ["evil.example:4566", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.5:4566",
     "", "[::ffff:10.0.0.1]", "sqs.us-east-1.amazonaws.com"],
)  # fmt: skip
def test_other_names_are_dns_rebinding_or_elsewhere(host: str) -> None:
    assert not host_allowed(host, LOOPBACK)


def test_a_wildcard_bind_takes_ip_literals_but_still_no_foreign_name() -> None:
    everywhere = GuardPolicy.build("0.0.0.0")  # noqa: S104 - what the policy is built for
    assert host_allowed("192.168.1.20:4566", everywhere)
    assert not host_allowed("evil.example:4566", everywhere)


def test_allowed_hosts_and_the_bound_host_are_accepted() -> None:
    policy = GuardPolicy.build("192.168.1.20", allowed_hosts=["LocalCloud."])
    assert host_allowed("192.168.1.20:4566", policy)
    assert host_allowed("localcloud:4566", policy)
    assert not host_allowed("192.168.1.21:4566", policy)


@pytest.mark.parametrize(
    ("text", "origin"),
    [("https://App.Example", "https://app.example"), ("http://localhost:3000/", "http://localhost:3000"),
     ("https://[::1]:8443", "https://[::1]:8443")],
)  # fmt: skip
def test_origins_are_normalised(text: str, origin: str) -> None:
    assert normalize_origin(text) == origin


@pytest.mark.parametrize(
    "text", ["*", "null", "app.example", "ftp://x", "https://a/b", "https://a?x"]
)
def test_what_is_not_an_origin_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        normalize_origin(text)


def test_sdk_requests_pass_and_moto_cors_headers_never_leave() -> None:
    status, headers, _ = call(OriginGuard(moto_like_app, LOOPBACK))
    assert status == "200 OK"
    assert cors(headers) == {}


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_ORIGIN": "http://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "http://127.0.0.1:4566"},  # an S3 object opened in the browser
        {"HTTP_REFERER": "http://evil.example/page.html"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-origin"},
        {"HTTP_HOST": "evil.example:4566"},
    ],
)
def test_browser_and_rebinding_requests_get_403_with_no_cors_header(
    environ: dict[str, str],
) -> None:
    guard = OriginGuard(moto_like_app, GuardPolicy.build("127.0.0.1", [APP]))
    status, headers, body = call(guard, **environ)
    assert status.startswith("403")
    assert cors(headers) == {}
    assert b"AccessDenied" in body
    assert len(body.splitlines()) == 1  # one line saying why
    assert sum(guard.refused.values()) == 1


def test_a_typed_url_is_the_user_and_gets_in() -> None:
    status, _, _ = call(OriginGuard(moto_like_app, LOOPBACK), HTTP_SEC_FETCH_SITE="none")
    assert status == "200 OK"


def test_an_allowed_origin_gets_its_own_cors_headers_only() -> None:
    guard = OriginGuard(moto_like_app, GuardPolicy.build("127.0.0.1", [APP]))
    status, headers, _ = call(
        guard, HTTP_ORIGIN="https://APP.example", HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert status == "200 OK"
    assert headers["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Methods" not in headers  # moto's, removed
    assert headers["Vary"] == "Origin"


def test_preflights_are_answered_for_allowed_origins_and_refused_for_others() -> None:
    guard = OriginGuard(moto_like_app, GuardPolicy.build("127.0.0.1", [APP]))
    preflight = {
        "REQUEST_METHOD": "OPTIONS",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "content-type,x-amz-target",
    }
    status, headers, _ = call(guard, HTTP_ORIGIN=APP, **preflight)
    assert status == "204 No Content"
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Headers"] == "content-type,x-amz-target"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    status, headers, _ = call(guard, HTTP_ORIGIN="http://evil.example", **preflight)
    assert status.startswith("403")
    assert cors(headers) == {}


def test_refusals_are_logged_once_per_origin(caplog: pytest.LogCaptureFixture) -> None:
    guard = OriginGuard(moto_like_app, LOOPBACK)
    for _ in range(3):
        call(guard, HTTP_ORIGIN="http://evil.example")
    assert guard.refused["origin"] == 3
    assert len([r for r in caplog.records if "evil.example" in r.getMessage()]) == 1
