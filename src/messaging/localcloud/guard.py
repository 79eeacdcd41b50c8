"""WSGI middleware: only the user's own clients get in; no web page can reach the cloud.

The gap it closes: moto turns on permissive CORS for every service (flask-cors echoes any
Origin and allows every method and header) and accepts any Host. Any web page open in
the user's browser could read the tables, queues and lake, wipe everything with a
"simple" POST to `/moto-api/reset` (no preflight needed), or reach the cloud through DNS
rebinding (a name that resolves to 127.0.0.1).

What gets in: SDKs, the aws CLI and curl send no `Origin`, no `Referer` and no
`Sec-Fetch-*`, and a Host that names the server. So a request is refused with 403 and a
one-line reason when

- its `Origin`, or the origin of its `Referer`, is not one the user allowed with
  `messaging up --cors-origin` (the cloud's own origin included: it serves no pages of
  its own, and an S3 object opened in the browser must not act as one);
- a browser marks it as sent on a page's behalf (`Sec-Fetch-Site` other than `none`, the
  value for a URL the user typed) without an allowed `Origin`: this catches `<img>` and
  form requests whose page suppressed the Referer;
- its Host is not loopback (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`), the
  address the server is bound to, or a name given with `--allow-host`. An IP literal is
  accepted when the server is bound to all interfaces: DNS rebinding needs a name. The
  port is not checked: a rebinding attack is caught by its name alone.

CORS is off unless origins are allowed. For those, and only those, the guard answers
preflights itself and adds `Access-Control-*` headers; moto's own CORS headers are
removed from every response, so a foreign origin never sees one.

Known limits: a browser older than `Sec-Fetch-*` (2020) that suppresses the Referer can
still send a GET whose answer it cannot read; query-protocol actions sent as GET are the
exposure. Nothing authenticates callers: anyone who can open a connection is trusted,
which is why the server binds loopback by default.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from messaging.localcloud.aws_errors import RefusalError, answer
from messaging.localcloud.route import route_of

__all__ = ["GuardPolicy", "OriginGuard", "host_allowed", "normalize_origin"]

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - names, not a bind
_ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH"
# What a browser page needs to read from AWS responses (request ids, S3 metadata).
_EXPOSE_HEADERS = (
    "x-amzn-RequestId, x-amzn-ErrorType, x-amz-request-id, x-amz-id-2, "
    "x-amz-version-id, x-amz-delete-marker, ETag, Content-Length, Date"
)
_PREFLIGHT_MAX_AGE = "600"


def normalize_origin(text: str) -> str:
    """`scheme://host[:port]`, lowercase, or ValueError saying what is wrong with `text`."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an origin like https://app.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{text!r} is not an origin: drop the path, query and user")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} has an invalid port") from None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


@dataclass(frozen=True)
class GuardPolicy:
    cors_origins: frozenset[str] = frozenset()
    allowed_hosts: frozenset[str] = frozenset()
    bind_host: str = "127.0.0.1"

    @classmethod
    def build(
        cls, bind_host: str, cors_origins: Iterable[str] = (), allowed_hosts: Iterable[str] = ()
    ) -> GuardPolicy:
        return cls(
            frozenset(normalize_origin(o) for o in cors_origins),
            frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip()),
            bind_host.strip().lower(),
        )


def _hostname(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def host_allowed(host_header: str, policy: GuardPolicy) -> bool:
    name = _hostname(host_header)
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    if name in policy.allowed_hosts or name == policy.bind_host.strip("[]"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or policy.bind_host.strip("[]") in _WILDCARD_HOSTS


def _origin_of(url: str) -> str | None:
    try:
        return normalize_origin(urlsplit(url)._replace(path="", query="", fragment="").geturl())
    except ValueError:
        return None


@dataclass
class OriginGuard:
    app: WsgiApp
    policy: GuardPolicy
    refused: Counter[str] = field(default_factory=Counter)
    _logged: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _reason(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(kind, one-line reason) to refuse the request, or None to let it in."""
        host = environ.get("HTTP_HOST", "")
        if not host_allowed(host, self.policy):
            return "host", (
                f"Host {host[:100]!r} is not this local cloud's; use 127.0.0.1 or localhost, "
                "or start `messaging up --allow-host NAME`"
            )
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            if self._allowed(origin):
                return None
            return "origin", (
                f"Origin {origin[:100]!r} may not use the local cloud; allow it with "
                "`messaging up --cors-origin ORIGIN`"
            )
        referer = environ.get("HTTP_REFERER")
        if referer is not None and _origin_of(referer) not in self.policy.cors_origins:
            return "referer", (
                "Requests from web pages may not use the local cloud (Referer "
                f"{(_origin_of(referer) or 'unreadable')[:100]!r}); allow the page's "
                "origin with `messaging up --cors-origin ORIGIN`"
            )
        site = environ.get("HTTP_SEC_FETCH_SITE")
        if site is not None and site != "none":
            return "browser", (
                f"A browser sent this request for a page ({site}); the local cloud only "
                "serves its own clients"
            )
        return None

    def _allowed(self, origin: str) -> bool:
        try:
            return normalize_origin(origin) in self.policy.cors_origins
        except ValueError:
            return False

    def _refuse(
        self, environ: dict[str, Any], start_response: Callable[..., Any], kind: str, reason: str
    ) -> Iterable[bytes]:
        key = f"{kind}:{environ.get('HTTP_ORIGIN') or environ.get('HTTP_HOST')}"
        with self._lock:
            self.refused[kind] += 1
            first = key not in self._logged and len(self._logged) < 1000
            if first:
                self._logged.add(key)
        if first:
            logger.warning("refused a request: %s", reason)
        route = route_of(environ)
        code = (
            "AccessDeniedException" if route.protocol in ("json", "rest-json") else "AccessDenied"
        )
        return answer(start_response, route.protocol, RefusalError(403, code, reason))

    def _cors_headers(self, origin: str) -> list[tuple[str, str]]:
        return [
            ("Access-Control-Allow-Origin", normalize_origin(origin)),
            ("Access-Control-Expose-Headers", _EXPOSE_HEADERS),
            ("Vary", "Origin"),
        ]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        reason = self._reason(environ)
        if reason is not None:
            return self._refuse(environ, start_response, *reason)
        origin = environ.get("HTTP_ORIGIN")
        if (
            origin is not None
            and environ.get("REQUEST_METHOD") == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        ):
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
            start_response(
                "204 No Content",
                [
                    *self._cors_headers(origin),
                    ("Access-Control-Allow-Methods", _ALLOW_METHODS),
                    ("Access-Control-Allow-Headers", requested[:4096]),
                    ("Access-Control-Max-Age", _PREFLIGHT_MAX_AGE),
                ],
            )
            return [b""]
        extra = self._cors_headers(origin) if origin is not None else []

        def without_moto_cors(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept + extra, exc_info)

        return self.app(environ, without_moto_cors)
