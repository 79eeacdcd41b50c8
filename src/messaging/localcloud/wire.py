"""Malformed requests refused with AWS's error codes, before moto parses them.

The gap it closes: moto answers malformed input with HTTP 500 (an unknown action or
JSON target, a JSON array where an object belongs, a missing `X-Amz-Target` on DynamoDB),
or accepts it (`{not json` read as `{}`). botocore retries every 500, so one bad request
became five. AWS answers these with a 4xx and a code, which is what this module does:

- query protocol: a query string or form body that is not valid percent-encoded UTF-8 is
  `MalformedQueryString` (AWS documents it with status 404, and so it is here); no
  `Action` is `MissingAction`, an action the service does not have is `InvalidAction`,
  a required parameter of the model that is absent is `MissingParameter` (all 400, AWS's
  common errors); an SNS Publish with no destination is SNS's `InvalidParameter`;
- a malformed `Authorization` header is `IncompleteSignature`;
- JSON protocol: a target the service does not have is `UnknownOperationException`; a
  body that is not a JSON object, or a member of the wrong type for the service model
  (a string where a list belongs, a blob that is not base64) is `SerializationException`;
  a missing required member, or a length or value outside the model's bounds (Firehose
  `Records` <= 500, DynamoDB `TransactItems` <= 100, a `TableName` of 3 to 255
  characters, `Limit` >= 1, ...) is `ValidationException`, with coral's "N validation
  error(s) detected" message.

Every check is one linear pass over the request: a compiled yes or no
(`shape_check.conforms`), and only for a request that does not conform, the validator's
walk that words the messages. Members the model does not know are
ignored, as AWS's JSON services ignore them; patterns and enums are left to moto.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from messaging.localcloud.aws_errors import RefusalError
from messaging.localcloud.route import SIGV4_SCOPE, Route
from messaging.localcloud.shape_check import conforms
from messaging.localcloud.shape_members import members_of

__all__ = [
    "check_json",
    "check_query",
    "check_signature",
    "decoded_pairs",
]

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_SERIALIZATION = "com.amazon.coral.service#SerializationException"
_UNKNOWN_OPERATION = "com.amazon.coral.service#UnknownOperationException"
_VALIDATION = "com.amazon.coral.validate#ValidationException"
_SNS_DESTINATIONS = frozenset({"TopicArn", "TargetArn", "PhoneNumber"})
_MAX_REPORTED = 5  # coral lists a handful of violations, not thousands
# Scalar shape type -> (what the message says, the JSON types accepted). JSON has no
# separate boolean and number: a bool is accepted for "boolean" only, and only a bool is.
_SCALARS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "string": ("a string", str),
    "integer": ("an integer", int),
    "long": ("an integer", int),
    "float": ("a number", (int, float)),
    "double": ("a number", (int, float)),
    "boolean": ("a boolean", bool),
    "timestamp": ("a timestamp", (int, float, str)),
}


def _refused(route: Route, status: int, code: str, message: str) -> RefusalError:
    """SQS speaks JSON but names its errors as its query API did."""
    query_code = code.rpartition("#")[2] if route.service == "sqs" else None
    return RefusalError(status, code, message, query_code=query_code)


def check_signature(authorization: str | None) -> None:
    """An Authorization header is `<algorithm> <fields>`; SigV4 names its credential scope.

    moto reads the scope by splitting the header and raised IndexError (HTTP 500) on one
    without a space; AWS answers a malformed header with `IncompleteSignature` (400).
    """
    if authorization is None:
        return
    first = authorization.split(",")[0].split()
    sigv4 = authorization.startswith("AWS4-HMAC-SHA256")
    if len(first) < 2 or (sigv4 and not SIGV4_SCOPE.search(authorization)):
        raise RefusalError(
            400,
            "IncompleteSignature",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'",
        )


def decoded_pairs(text: bytes) -> list[tuple[str, str]]:
    """`name=value&...` decoded, or MalformedQueryString for a bad escape or bad UTF-8.

    The pairs `urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")`
    gives, decoded in C: its `unquote` walks every escape in Python, which was 0.6 ms of
    a 10 KB PublishBatch (a JSON message is mostly escapes). Here, the text being ASCII
    with every `%` followed by two hex digits (both checked first), an escaped field is
    quoted-printable once its `=` are written `=3D` and its `%` written `=`, and
    `binascii.a2b_qp` decodes it; a field without escapes is taken as it is.
    """
    if _BAD_ESCAPE.search(text):
        raise RefusalError(404, "MalformedQueryString", "The query string contains a bad escape")
    try:
        whole = text.decode("ascii")
    except UnicodeDecodeError:
        raise _not_utf8() from None
    pairs = []
    for field in whole.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append(
                (
                    _unquoted(name) if "%" in name or "+" in name else name,
                    _unquoted(value) if "%" in value or "+" in value else value,
                )
            )
    return pairs


def _not_utf8() -> RefusalError:
    return RefusalError(
        404, "MalformedQueryString", "The query string is not percent-encoded UTF-8"
    )


def _unquoted(escaped: str) -> str:
    """`urllib.parse.unquote_plus(escaped, errors="strict")` for a well-escaped ASCII text."""
    escaped = escaped.replace("+", " ")
    if "%" not in escaped:
        return escaped
    quoted_printable = escaped.replace("=", "=3D").replace("%", "=")
    try:
        return binascii.a2b_qp(quoted_printable).decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8() from None


def check_query(route: Route) -> None:
    """The query string and form body decode, and name an action the service has."""
    route.form_params = decoded_pairs(route.form_text)
    pairs = decoded_pairs(route.query_text) + route.form_params
    route.params = pairs
    if route.model is None:
        return
    actions = [value for name, value in pairs if name == "Action"]
    if not actions or not actions[0]:
        raise RefusalError(400, "MissingAction", "The request must contain the parameter Action")
    if actions[0] not in route.model.operation_names:
        raise RefusalError(
            400, "InvalidAction", f"The action {actions[0][:100]} is not valid for this endpoint"
        )
    route.operation = actions[0]
    names = {name for name, _ in pairs}
    shape = route.model.operation_model(actions[0]).input_shape
    # SQS's model is its JSON API; its query API names members differently (legacy).
    required = shape.required_members if shape and route.model.protocol == "query" else []
    for member in required:
        if member not in names and not any(name.startswith(f"{member}.") for name in names):
            raise RefusalError(
                400, "MissingParameter", f"The request must contain the parameter {member}"
            )
    if (route.service, actions[0]) == ("sns", "Publish") and not names & _SNS_DESTINATIONS:
        raise RefusalError(
            400,
            "InvalidParameter",
            "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
        )


def check_json(route: Route) -> None:
    """The target names an operation, and the body is a JSON object the model accepts."""
    if route.model is None:
        return
    prefix = route.model.metadata.get("targetPrefix")
    if route.operation not in route.model.operation_names or (
        prefix and (route.target or "").rpartition(".")[0] != prefix
    ):
        raise _refused(route, 400, _UNKNOWN_OPERATION, "The operation is not supported")
    text = route.body.strip() or b"{}"
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _refused(
            route, 400, _SERIALIZATION, "Start of structure or map found where not expected"
        ) from None
    if not isinstance(document, dict):
        raise _refused(route, 400, _SERIALIZATION, "The request body must be a JSON object")
    route.document = document
    shape = route.model.operation_model(route.operation).input_shape
    if shape is None or conforms(shape, document):
        return
    problems = _Validator()  # walked again only to word what is wrong
    try:
        problems.structure(shape, document, "")
    except RecursionError:  # nesting deeper than any AWS shape allows (DynamoDB: 32)
        raise _refused(route, 400, _SERIALIZATION, "The request nests too deeply") from None
    if problems.serialization:
        raise _refused(route, 400, _SERIALIZATION, problems.serialization)
    if problems.violations:
        shown = problems.violations[:_MAX_REPORTED]
        count = len(problems.violations)
        noun = "error" if count == 1 else "errors"
        raise _refused(
            route, 400, _VALIDATION, f"{count} validation {noun} detected: " + "; ".join(shown)
        )


def _is_a(value: Any, accepts: type | tuple[type, ...]) -> bool:
    """JSON true/false are booleans only, never numbers (unlike Python's bool)."""
    if isinstance(value, bool):
        return accepts is bool
    return isinstance(value, accepts)


class _Validator:
    """One walk of a JSON document against a botocore input shape."""

    def __init__(self) -> None:
        self.serialization: str | None = None
        self.violations: list[str] = []

    def _wrong_type(self, path: str, expected: str) -> None:
        if self.serialization is None:
            self.serialization = f"Expected {expected} at '{path or 'body'}'"

    def _bounds(self, shape: Shape, measured: float, path: str, *, of: str) -> None:
        """The model's min and max of a length (`of="length"`) or a number (`"value"`)."""
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        shown = f"Value '{measured}'" if of == "value" else "Value"
        if high is not None and measured > high:
            bound = f"less than or equal to {high}"
        elif low is not None and measured < low:
            bound = f"greater than or equal to {low}"
        else:
            return
        self.violations.append(
            f"{shown} at '{path}' failed to satisfy constraint: Member must have {of} {bound}"
        )

    def _length(self, shape: Shape, size: int, path: str) -> None:
        self._bounds(shape, size, path, of="length")

    def value(self, shape: Shape, value: Any, path: str) -> None:
        if value is None:
            return  # JSON null: an absent member, for AWS and for moto
        if isinstance(shape, StructureShape):
            self.structure(shape, value, path)
        elif isinstance(shape, ListShape):
            self._list(shape, value, path)
        elif isinstance(shape, MapShape):
            self._map(shape, value, path)
        elif shape.type_name == "blob":
            self._blob(shape, value, path)
        elif shape.type_name in _SCALARS:
            expected, accepts = _SCALARS[shape.type_name]
            if not _is_a(value, accepts):
                self._wrong_type(path, expected)
            elif shape.type_name == "string":
                self._length(shape, len(value), path)
            elif shape.type_name in ("integer", "long", "float", "double"):
                self._bounds(shape, value, path, of="value")

    def _list(self, shape: ListShape, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self._wrong_type(path, "a list")
            return
        self._length(shape, len(value), path)
        for item in value:
            self._item(shape.member, item, f"{path}.member")

    def _map(self, shape: MapShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self._wrong_type(path, "a map")
            return
        self._length(shape, len(value), path)
        for item in value.values():
            self._item(shape.value, item, f"{path}.member")

    def _item(self, shape: Shape, item: Any, path: str) -> None:
        """A list or map entry: null is not an absent member here, it is a null entry."""
        if item is None:
            self.violations.append(
                f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
            )
        else:
            self.value(shape, item, path)

    def _blob(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self._wrong_type(path, "a base64 string")
            return
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            self._wrong_type(path, "base64 data")
            return
        self._length(shape, len(data), path)

    def structure(self, shape: StructureShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self._wrong_type(path, "a structure")
            return
        if shape.is_document_type:
            return
        members = members_of(shape)
        for wire, item in value.items():
            known = members.by_wire.get(wire)
            if known is not None and item is not None:
                self.value(known.shape, item, f"{path}.{known.label}" if path else known.label)
        for wire, name in members.required:
            if value.get(wire) is None:
                self.violations.append(
                    f"Value null at '{f'{path}.{name}' if path else name}' failed to satisfy "
                    "constraint: Member must not be null"
                )
