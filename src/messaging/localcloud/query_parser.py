"""moto's query-protocol parser, linear instead of quadratic, and precise about bad values.

The gap it closes: before parsing a structure, moto's `QueryParser._gonna_recurse` asks
whether any parameter name starts with the structure's prefix, by scanning every
parameter. A list of n structures (PublishBatch entries, tags, message attributes)
therefore costs n scans of n names: on moto 5.2.5, an SNS PublishBatch of 1,000 entries
took 1.3 s to parse in-process (3.8 s through the server) and 2,000 took 6 s. Here the
set of every dotted prefix of every name is built once per request, and the question is
one set lookup. A number or timestamp that does not parse raised a bare ValueError (HTTP
500); here it is a `MalformedInputError`, which `failsafe` answers with 400.

The one behaviour that differs: moto's scan matched any name that *starts with* the
prefix as a string, so `Tags.member.1` also matched `Tags.member.10.Key`; here a prefix
matches at dot boundaries only. The two agree for every well-formed request (list
indexes without gaps).

A structure's members are also looked up once per shape (`_plan`): each member's name
on the wire, and whether it can be skipped when nothing in the request starts with it.
moto visits every member of every structure, present or not (an SNS PublishBatch entry
has seven, its message attribute value three), re-deriving each name on the way: 96 µs
of parsing per entry, 1 ms of each PublishBatch of 10 (issue #21). A member is skipped
only where moto's own visit would find nothing: no default in the model, and not a
flattened list (whose names are those of its member's location, not its own).

`PROTOCOL_PARSERS` is moto's registry of parser classes by protocol, read on every request
(`BaseResponse.parse_parameters`); `install()` replaces its "query" and "ec2" entries (the
EC2 parser inherits the same scan), as `request_path` does for moto's per-request
helpers, and `uninstall()` restores moto's.
"""

from __future__ import annotations

from typing import Any

from moto.core import parse as moto_parse

from messaging.errors import MessagingError

__all__ = [
    "LinearEC2QueryParser",
    "LinearQueryParser",
    "MalformedInputError",
    "install",
    "uninstall",
]

_ORIGINALS: dict[str, type[moto_parse.RequestParser]] = {
    name: moto_parse.PROTOCOL_PARSERS[name] for name in ("query", "ec2")
}


class MalformedInputError(MessagingError):
    """A parameter whose value does not parse as its shape's type."""


def _prefixes(names: Any) -> frozenset[str]:
    """Every name and every dotted prefix of one. Prefixes are added longest first, and a
    name stops at the first one already there: a sibling added it and all that precede it."""
    found: set[str] = set()
    for name in names:
        found.add(name)
        end = name.rfind(".")
        while end != -1:
            prefix = name[:end]
            if prefix in found:
                break
            found.add(prefix)
            end = name.rfind(".", 0, end)
    return frozenset(found)


_Member = tuple[str, Any, str, bool]  # name, shape, name on the wire, skippable if absent


class _PrefixIndex:
    """The prefix question answered from an index; bad values as MalformedInputError."""

    _names_index: frozenset[str] | None = None

    def _do_parse(self, request_dict: dict[str, Any], shape: Any) -> Any:
        """moto's, reading the names from a plain dict: werkzeug's multi-dicts answer each
        `get` in Python, and a request's structures read every name they may hold. A
        name given twice reads its first value, as their `get` does."""
        values = request_dict["values"]
        if type(values) is not dict:
            request_dict = {**request_dict, "values": dict(values.items())}
        return super()._do_parse(request_dict, shape)  # type: ignore[misc]  # moto's parser

    def _index(self, query_params: Any) -> frozenset[str]:
        if self._names_index is None:
            self._names_index = _prefixes(query_params.keys())
        return self._names_index

    def _gonna_recurse(self, query_params: Any, prefix: str) -> bool:
        if prefix == "":
            return False
        return prefix not in self._index(query_params)

    def _plan(self, shape: Any) -> list[_Member]:
        """The structure's members, as this parser names them; kept on the shape, per
        parser class (the EC2 parser names members its own way)."""
        plans: dict[type, list[_Member]] = shape.__dict__.setdefault("_localcloud_plans", {})
        plan = plans.get(type(self))
        if plan is None:
            plan = []
            for name, member in shape.members.items():
                flattened_list = member.type_name == "list" and bool(
                    member.serialization.get("flattened")
                )
                skippable = "default" not in member.metadata and not flattened_list
                wire_name = self._get_serialized_name(member, name)  # type: ignore[attr-defined]
                plan.append((name, member, wire_name, skippable))
            plans[type(self)] = plan
        return plan

    def _parse_structure(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        """moto's, visiting only the members the request can hold (see the module)."""
        if self._gonna_recurse(query_params, prefix):
            return moto_parse.UNDEFINED
        index = self._index(query_params)
        parsed = self.MAP_TYPE()  # type: ignore[attr-defined]  # moto's parser defines it
        for name, member, wire_name, skippable in self._plan(shape):
            member_prefix = f"{prefix}.{wire_name}" if prefix else wire_name
            if skippable and member_prefix not in index:
                continue
            value = self._parse_shape(member, query_params, member_prefix)  # type: ignore[attr-defined]
            if value is not moto_parse.UNDEFINED:
                parsed[self._parsed_key_name(name)] = value  # type: ignore[attr-defined]
        return parsed if parsed != {} else moto_parse.UNDEFINED

    def _typed(self, kind: str, shape: Any, query_params: Any, prefix: str) -> Any:
        parse = getattr(super(), f"_parse_{kind}")
        try:
            return parse(shape, query_params, prefix)
        except (ValueError, TypeError, OverflowError) as error:
            value = str(query_params.get(prefix, ""))[:100]
            raise MalformedInputError(f"Invalid {kind} for {prefix}: {value!r}") from error

    def _parse_integer(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        return self._typed("integer", shape, query_params, prefix)

    def _parse_long(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        return self._typed("integer", shape, query_params, prefix)

    def _parse_float(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        return self._typed("float", shape, query_params, prefix)

    def _parse_double(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        return self._typed("float", shape, query_params, prefix)

    def _parse_timestamp(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        return self._typed("timestamp", shape, query_params, prefix)

    def _parse_blob(self, shape: Any, query_params: Any, prefix: str = "") -> Any:
        return self._typed("blob", shape, query_params, prefix)


class LinearQueryParser(_PrefixIndex, moto_parse.QueryParser):
    """moto's `QueryParser` (SNS, SQS's query API, IAM, STS, CloudFormation), linear."""


class LinearEC2QueryParser(_PrefixIndex, moto_parse.EC2QueryParser):
    """moto's `EC2QueryParser`, linear."""


def install() -> None:
    moto_parse.PROTOCOL_PARSERS["query"] = LinearQueryParser
    moto_parse.PROTOCOL_PARSERS["ec2"] = LinearEC2QueryParser


def uninstall() -> None:
    moto_parse.PROTOCOL_PARSERS.update(_ORIGINALS)
