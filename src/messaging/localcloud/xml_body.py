"""moto's query-protocol answers written as xmltodict writes them, without its SAX calls.

The gap it closes: moto serialises every query-protocol answer (SNS, and the other
services that answer in XML) with `xmltodict.unparse`, which sends each element through
Python's SAX `XMLGenerator` (a start, a characters and an end call, each escaping and
writing alone) after checking each element name anew. For a PublishBatch of 10 events
that was 14% of the request's CPU in the local cloud under cProfile, the largest share
of any one step but the publishing itself (issue #21).

`unparse` writes the same text in one walk: the same elements, attributes and
escaping (`xml.sax.saxutils.escape` for text, `quoteattr` for attributes), `<a/>` for an
element with neither children nor text, empty lists left out, booleans as
`true`/`false`. Element names are checked as xmltodict checks them, once per name. It
takes only what moto's query serialiser gives (no XML declaration, not pretty-printed)
made of dicts, lists and tuples, strings, numbers, booleans and None. Anything else
(comments, namespace maps, bytes, other iterables, an invalid name, other options) is
written by xmltodict itself, from the start, so every answer is xmltodict's, byte for byte.

`install()` rebinds the `xmltodict` that `moto.core.serialize` reads to a stand-in
whose `unparse` is this one; `uninstall()` restores the module.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

from moto.core import serialize as moto_serialize

__all__ = ["XMLTODICT", "install", "uninstall", "unparse"]

_TEXT: Final = "#text"
_ATTRIBUTE: Final = "@"
_COMMENT: Final = "#comment"
_FAST_OPTIONS: Final = {"full_document": False, "short_empty_elements": True, "pretty": False}
# moto's own dependency, as moto imports it (it has no type stubs).
XMLTODICT: Final[Any] = vars(moto_serialize)["xmltodict"]
# Names xmltodict accepts: the services' member names, a few hundred, reused by every
# answer. Bounded all the same, in case a name ever comes from a request.
_valid_names: set[str] = set()
_MAX_NAMES: Final = 4096


class _Unsupported(Exception):  # noqa: N818 - a signal to hand over, not an error
    """Something outside the subset: xmltodict writes the whole answer instead."""


def _checked(name: Any) -> str:
    if name.__class__ is not str:
        raise _Unsupported
    if name not in _valid_names:
        try:
            XMLTODICT._validate_name(name, "element")  # noqa: SLF001 - its own rule, reused
        except ValueError:
            raise _Unsupported from None  # xmltodict raises its own error
        if len(_valid_names) < _MAX_NAMES:
            _valid_names.add(name)
    return name


def _text(value: Any) -> str:
    """xmltodict's `_convert_value_to_string`, for the values moto gives."""
    kind = value.__class__
    if kind is str:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return str(value)
    raise _Unsupported


def _emit(key: str, value: Any, out: list[str]) -> None:
    name = _checked(key)
    kind = value.__class__
    values = value if kind is list or kind is tuple else (value,)
    for each in values:
        member: Any = {} if each is None else each
        if member.__class__ is not dict and member.__class__ is not str:
            member = _text(member)
        if member.__class__ is str:
            member = {_TEXT: member}
        _element(name, member, out)


def _element(name: str, members: Mapping[Any, Any], out: list[str]) -> None:
    text: str | None = None
    attributes: list[str] = []
    children: list[tuple[str, Any]] = []
    for key, value in members.items():
        if key == _TEXT:
            text = None if value is None else _text(value)
        elif key.__class__ is str and key.startswith(_ATTRIBUTE):
            if key == "@xmlns" and value.__class__ is dict:
                raise _Unsupported  # namespace maps: xmltodict's own handling
            attribute = key[len(_ATTRIBUTE) :]
            _checked(attribute)
            shown = "" if value is None else _text(value)
            attributes.append(f" {attribute}={quoteattr(shown)}")
        elif key == _COMMENT:
            raise _Unsupported
        elif value.__class__ is list and not value:
            continue  # xmltodict writes no element for an empty list
        else:
            children.append((key, value))
    out.append(f"<{name}{''.join(attributes)}")
    if not children and not text:
        out.append("/>")
        return
    out.append(">")
    for key, value in children:
        _emit(key, value, out)
    if text:
        out.append(escape(text))
    out.append(f"</{name}>")


def unparse(input_dict: Mapping[str, Any], **options: Any) -> Any:
    """`xmltodict.unparse`, written in one walk when the options and values allow."""
    if options != _FAST_OPTIONS or input_dict.__class__ is not dict:
        return XMLTODICT.unparse(input_dict, **options)
    out: list[str] = []
    try:
        for key, value in input_dict.items():
            if key == _COMMENT:
                raise _Unsupported
            _emit(key, value, out)
    except _Unsupported:
        return XMLTODICT.unparse(input_dict, **options)
    return "".join(out)


_STAND_IN: Final = types.SimpleNamespace(unparse=unparse, parse=XMLTODICT.parse)


def install() -> None:
    setattr(moto_serialize, "xmltodict", _STAND_IN)  # noqa: B010


def uninstall() -> None:
    setattr(moto_serialize, "xmltodict", XMLTODICT)  # noqa: B010
