"""moto's JSON-protocol parser, walking the members a request has, and decoding it once.

The gap it closes: for every structure in a request, moto's `BaseJSONParser` looks up
every member of the shape, present or not. A DynamoDB item is a map of AttributeValues,
structures of ten members of which one is present, so a BatchExecuteStatement of 25
items made about 2,000 lookups; with the `json.loads` of the body, parsing was 13.5% of
the local cloud's CPU end to end (issue #21). Here a structure costs a lookup per member
present, and the walk is compiled once per shape (`shape_compiler`): each shape's
function holds its members' functions, so no node dispatches on its shape's type. The
body is decoded once: the precheck (`wire.check_json`) has already decoded and validated
it, and hands the document over (`handed_over`, for the time of the request) to the
parser of the same request in the same thread.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from moto.core import parse as moto_parse

from messaging.localcloud.shape_compiler import Compiled
from messaging.localcloud.shape_members import members_of

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
        return _PARSES.of(shape)(self, document)


Parse = Callable[[Any, Any], Any]  # (the parser, a JSON node) -> moto's parse of the node


def _as_is(parser: Any, node: Any) -> Any:
    return node


def _compile(shape: Shape, parse_of: Callable[[Shape], Parse]) -> Parse:
    if isinstance(shape, StructureShape):
        return _as_is if shape.is_document_type else _structure(shape, parse_of)
    if isinstance(shape, ListShape):
        member = parse_of(shape.member)
        return lambda parser, node: [member(parser, item) for item in node]
    if isinstance(shape, MapShape):
        return _map(shape, parse_of)
    if shape.type_name in ("string", "boolean"):
        return _as_is
    # blobs, timestamps, numbers: moto's own conversions
    return lambda parser, node: parser._parse_shape(shape, node)  # noqa: SLF001 - its entry


def _structure(shape: StructureShape, parse_of: Callable[[Shape], Parse]) -> Parse:
    """The members present, converted, in the shape's member order (moto's key order)."""
    by_wire = {
        wire: (member.position, member.name, parse_of(member.shape))
        for wire, member in members_of(shape).by_wire.items()
    }
    member_of = by_wire.get

    def parse(parser: Any, value: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is dict and len(value) == 1:  # an AttributeValue: nothing to order
            for wire, raw in value.items():
                parsed = parser.MAP_TYPE()
                member = member_of(wire)
                if member is not None and raw is not None:
                    parsed[member[1]] = member[2](parser, raw)
                return parsed
        found = []
        for wire, raw in value.items():
            member = member_of(wire)
            if member is not None and raw is not None:
                found.append((member[0], member[1], member[2](parser, raw)))
        if len(found) > 1:
            found.sort(key=_position)
        parsed = parser.MAP_TYPE()
        for _, name, converted in found:
            parsed[name] = converted
        return parsed

    return parse


def _position(entry: tuple[int, str, Any]) -> int:
    return entry[0]


def _map(shape: MapShape, parse_of: Callable[[Shape], Parse]) -> Parse:
    key_of, value_of = parse_of(shape.key), parse_of(shape.value)

    def parse(parser: Any, value: Any) -> Any:
        parsed = parser.MAP_TYPE()
        for key, item in value.items():
            parsed[key_of(parser, key)] = value_of(parser, item)
        return parsed

    return parse


_PARSES: Compiled[Parse] = Compiled(_compile)


def install() -> None:
    moto_parse.PROTOCOL_PARSERS["json"] = PresentMembersJSONParser


def uninstall() -> None:
    moto_parse.PROTOCOL_PARSERS["json"] = _ORIGINAL
