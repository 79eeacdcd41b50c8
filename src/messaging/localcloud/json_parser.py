"""moto's JSON-protocol parser, walking the members a request has, and decoding it once.

The gap it closes: for every structure in a request, moto's `BaseJSONParser` looks up
every member of the shape, present or not. A DynamoDB item is a map of AttributeValues,
structures of ten members of which one is present, so a BatchExecuteStatement of 25
items made about 2,000 lookups; with the `json.loads` of the body, parsing was 13.5% of
the local cloud's CPU end to end (issue #21). Here a structure costs a lookup per member
present, in the table from wire name to member that the precheck's validator builds once
per shape (`wire.members_of`). The body is decoded once: the precheck (`wire.check_json`)
has already decoded and validated it, and hands the document over (`handed_over`, for
the time of the request) to the parser of the same request in the same thread.

The answer is moto's own: the same members (absent and null ones dropped, unknown ones
ignored), in the shape's member order, with the same conversions (`int`, `float`, moto's
blob and timestamp parsers, `MAP_TYPE` for structures and maps, document types as they
came). The document is used only for the very body it was decoded from (compared byte
for byte), and only once; otherwise the body is decoded here, as moto decodes it.

`PROTOCOL_PARSERS` is moto's registry of parser classes by protocol, read on every request
(`BaseResponse.parse_parameters`); `install()` replaces its "json" entry, as
`query_parser` does for "query", and `uninstall()` restores moto's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core import parse as moto_parse

from messaging.localcloud.wire import members_of

__all__ = ["PresentMembersJSONParser", "hand_over", "handed_over", "install", "uninstall"]

_ORIGINAL = moto_parse.PROTOCOL_PARSERS["json"]


class _Handed(threading.local):
    body: bytes | None = None
    document: Any = None


_handed = _Handed()


def hand_over(body: bytes, document: Any) -> None:
    """The JSON `document` decoded from `body`, for this thread's next parse of `body`."""
    _handed.body = body
    _handed.document = document


@contextmanager
def handed_over(body: bytes, document: Any) -> Iterator[None]:
    """The document handed over for the duration of one request, and dropped after it.

    Not every JSON service has moto parse its requests (CloudWatch Logs reads its body
    itself), so a document may never be taken; it must not outlive its request (a
    thread holding a decoded 1 MB PutLogEvents until its next JSON request).
    """
    hand_over(body, document)
    try:
        yield
    finally:
        _handed.body = _handed.document = None


def _take(body: Any) -> Any:
    """The handed-over document if it was decoded from `body`; None otherwise. Used once."""
    handed, document = _handed.body, _handed.document
    _handed.body = _handed.document = None
    if handed is not None and isinstance(body, bytes) and handed == body:
        return document
    return None


class PresentMembersJSONParser(moto_parse.JSONParser):
    """moto's `JSONParser` (DynamoDB, SQS, Firehose, Logs, ...): present members only."""

    def _parse_json_body(self, raw_body: Any, shape: Any) -> Any:
        document = _take(raw_body)
        if document is None:
            document = self._parse_body_as_json(raw_body)  # type: ignore[no-untyped-call]
        return self._parse_shape(shape, document)

    def _parse_shape(self, shape: Any, node: Any) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self._parse_structure(shape, node)
        if kind == "string" or kind == "boolean":  # noqa: PLR1714 - the hot path, first
            return node
        if kind == "list":
            member = shape.member
            return [self._parse_shape(member, item) for item in node]
        # map, blob, timestamp, numbers: moto's own handlers
        return super()._parse_shape(shape, node)  # type: ignore[no-untyped-call]

    def _parse_structure(self, shape: Any, value: Any) -> Any:
        if shape.is_document_type:
            return value
        if value is None:
            return None
        by_wire = members_of(shape).by_wire
        found: list[tuple[int, str, Any]] = []
        for wire, raw in value.items():
            member = by_wire.get(wire)
            if member is not None and raw is not None:
                found.append((member.position, member.name, self._parse_shape(member.shape, raw)))
        if len(found) > 1:
            found.sort(key=lambda entry: entry[0])
        parsed = self.MAP_TYPE()
        for _, name, converted in found:
            parsed[name] = converted
        return parsed


def install() -> None:
    moto_parse.PROTOCOL_PARSERS["json"] = PresentMembersJSONParser


def uninstall() -> None:
    moto_parse.PROTOCOL_PARSERS["json"] = _ORIGINAL
