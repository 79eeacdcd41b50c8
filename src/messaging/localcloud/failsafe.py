"""WSGI middleware: an exception escaping moto becomes an AWS-shaped answer, classified.

Without it, an exception inside moto (its Flask app runs in debug mode, so exceptions
propagate) reached waitress, which logged a traceback and answered a plain-text 500 that
no SDK can parse, and that botocore retries. The checks in `precheck` keep malformed
requests away from moto; what still escapes is classified here:

- input moto could not parse (`MalformedInputError` from our query parser, malformed
  XML): 400, with the protocol's code (`ValidationError`, `SerializationException`,
  S3's `MalformedXML`), logged on one line;
- an operation moto does not implement (`NotImplementedError`): 501 `NotImplemented`,
  which botocore does not retry, logged on one line;
- anything else is a bug: 500 `InternalFailure`, logged with its traceback.

Each outcome is counted by kind.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from xml.parsers.expat import ExpatError

from messaging.localcloud.aws_errors import RefusalError, answer
from messaging.localcloud.query_parser import MalformedInputError
from messaging.localcloud.route import route_of

__all__ = ["Failsafe"]

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _classify(error: Exception, protocol: str | None) -> tuple[str, RefusalError]:
    if isinstance(error, MalformedInputError):
        code = "SerializationException" if protocol == "json" else "ValidationError"
        return "malformed", RefusalError(400, code, str(error))
    if isinstance(error, ExpatError):
        return "malformed", RefusalError(
            400, "MalformedXML", "The XML you provided was not well-formed"
        )
    if isinstance(error, NotImplementedError):
        return "not-implemented", RefusalError(
            501, "NotImplemented", f"Not implemented by the local cloud: {error}"
        )
    return "internal", RefusalError(500, "InternalFailure", "The local cloud failed")


class Failsafe:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.outcomes: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            return self.app(environ, start_response)
        except Exception as error:
            route = route_of(environ)
            kind, refused = _classify(error, route.protocol)
            with self._lock:
                self.outcomes[kind] += 1
            if kind == "internal":
                logger.exception("local cloud error serving %s", route.label)
            else:
                logger.warning("%s: %s", route.label, refused)
            return answer(start_response, route.protocol, refused, json_version=route.json_version)
