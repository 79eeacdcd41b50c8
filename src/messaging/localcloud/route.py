"""What an AWS API request is, read the way AWS routes it, once per request.

The service comes from the SigV4 credential scope (the `Authorization` header, or
`X-Amz-Credential` of a presigned URL), as moto's dispatcher reads it. The protocol and
operation follow from the request itself: an `X-Amz-Target` header is the JSON protocol
(`<prefix>.<Operation>`); a form body or a query string with `Action=` is the query
protocol; anything else is the service's REST protocol. The service's botocore model
(the same one moto parses with) says which operations exist and what they take.

The body is read here, once, and put back for the layers behind. The transport has
already bounded its size (`transport`), so reading it is cheap.

Known limits: unsigned requests (no credential scope) carry no service; they are routed by
moto as it always does (S3 by default) and only the REST checks apply.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote_to_bytes

from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.loaders import create_loader
from botocore.model import ServiceModel

from messaging.localcloud.aws_errors import Protocol

__all__ = ["ROUTE_KEY", "SIGV4_SCOPE", "Route", "route_of", "service_model"]

ROUTE_KEY = "messaging.route"

SIGV4_SCOPE = re.compile(r"Credential=[^/\s,]*/\d{8}/([^/\s,]+)/([^/\s,]+)/aws4_request")
# Signing names that differ from the botocore service name, as moto maps them.
_SIGNING_ALIASES = {"eventbridge": "events"}
_FORM = "application/x-www-form-urlencoded"


@functools.cache
def _loader() -> Any:
    return create_loader()


@functools.lru_cache(maxsize=64)
def service_model(service: str) -> ServiceModel | None:
    """botocore's model of `service` (by signing name), or None if botocore has none."""
    name = _SIGNING_ALIASES.get(service, service)
    try:
        return ServiceModel(_loader().load_service_model(name, "service-2"), name)
    except (UnknownServiceError, DataNotFoundError):
        return None


@dataclass
class Route:
    service: str | None
    region: str | None
    protocol: Protocol | None
    operation: str | None
    model: ServiceModel | None
    body: bytes
    target: str | None = None  # X-Amz-Target, for JSON protocols
    # Query protocol: the raw `name=value` text of the query string and of a form body.
    query_text: bytes = b""
    form_text: bytes = b""
    # Filled by the checks that parse the request (JSON document, decoded query pairs).
    document: Any = None
    params: list[tuple[str, str]] | None = None  # the query string's, then the form's
    form_params: list[tuple[str, str]] | None = None  # the form body's alone

    @property
    def json_version(self) -> str:
        if self.model is None:
            return "1.0"
        return str(self.model.metadata.get("jsonVersion", "1.0"))

    @property
    def label(self) -> str:
        return f"{self.service or 'unknown'}:{self.operation or '?'}"


def _scope(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    match = SIGV4_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(2).lower(), match.group(1)
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential=" in query:  # a presigned URL
        credential = parse_qs(query).get("X-Amz-Credential", [""])[0]
        parts = credential.split("/")
        if len(parts) == 5 and parts[4] == "aws4_request":
            return parts[3].lower(), parts[2]
    return None, None


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)  # the layers behind read it again
    environ["CONTENT_LENGTH"] = str(len(body))
    return cast(bytes, body)


def _query_action(text: bytes) -> str | None:
    for pair in text.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"Action":
            return unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", "replace")
    return None


def route_of(environ: dict[str, Any]) -> Route:
    """The request's route, computed on first use and kept in the environ."""
    cached = environ.get(ROUTE_KEY)
    if isinstance(cached, Route):
        return cached
    service, region = _scope(environ)
    model = service_model(service) if service else None
    body = _read_body(environ)
    query_text = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    form_text = body if content_type == _FORM else b""
    target = environ.get("HTTP_X_AMZ_TARGET")
    protocol: Protocol | None = None
    operation: str | None = None
    if target is not None:
        protocol, operation = "json", target.rpartition(".")[2] or None
    elif (action := _query_action(form_text) or _query_action(query_text)) is not None or (
        form_text and model is not None and not model.protocol.startswith("rest")
    ):  # SQS's model says JSON, but SQS still takes its query API (as moto does)
        protocol, operation = "query", action
    elif model is not None and model.protocol in ("rest-xml", "rest-json"):
        protocol = cast(Protocol, model.protocol)
    route = Route(service, region, protocol, operation, model, body, target, query_text, form_text)
    environ[ROUTE_KEY] = route
    return route
