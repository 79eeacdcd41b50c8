"""WSGI middleware: AWS's syntax checks and limits, applied before moto sees a request.

It routes the request (`route`), refuses malformed ones (`wire`) and ones over AWS's
limits (`limits`), and answers with the error AWS would send, in the service's format.
Requests for the local cloud's own endpoints (`/moto-api`, `/_localcloud`) pass through.
Refusals are counted by code, for tests and the health report.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from messaging.localcloud import json_parser, limits, wire
from messaging.localcloud.aws_errors import RefusalError, answer
from messaging.localcloud.route import Route, route_of

__all__ = ["OWN_PATHS", "RequestChecks"]

logger = logging.getLogger(__name__)

OWN_PATHS = ("/moto-api", "/_localcloud")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def check(route: Route, environ: dict[str, Any]) -> None:
    """Every check, in the order AWS's front end would fail them."""
    wire.check_signature(environ.get("HTTP_AUTHORIZATION"))
    query_string_length = len(environ.get("QUERY_STRING", ""))
    if query_string_length > limits.QUERY_STRING_CAP:
        raise RefusalError(
            400,
            "InvalidQueryParameter",
            f"The query string is {query_string_length} bytes; the limit is "
            f"{limits.QUERY_STRING_CAP}",
        )
    if route.protocol == "query":
        wire.check_query(route)
        limits.check_entries(route)
        limits.check_sns_payload(route)
    elif route.protocol == "json":
        wire.check_json(route)
        limits.check_entries(route)


class RequestChecks:
    """Refuse what AWS refuses before parsing; pass the rest on to `app`."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(OWN_PATHS):
            return self.app(environ, start_response)
        route = route_of(environ)
        try:
            check(route, environ)
        except RefusalError as refused:
            with self._lock:
                self.refused[refused.code.rpartition("#")[2]] += 1
            logger.info("refused %s: %s", route.label, refused)
            return answer(start_response, route.protocol, refused, json_version=route.json_version)
        if route.document is not None:  # the JSON checks decoded it; moto's parser reuses it
            with json_parser.handed_over(route.body, route.document):
                return self.app(environ, start_response)
        return self.app(environ, start_response)
