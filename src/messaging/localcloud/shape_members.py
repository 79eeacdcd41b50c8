"""A structure shape's members by their name on the wire, worked out once per shape.

Every walk of a JSON request against its shape (the precheck's validator in `wire`, the
compiled check in `shape_check`, moto's parse in `json_parser`) looks a document's keys
up by wire name, and wants the required members and moto's key order; this is that table.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

from botocore.model import Shape, StructureShape

__all__ = ["Member", "Members", "members_of"]


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


class Member(NamedTuple):
    """One member of a structure shape, as both walks of a request need it."""

    shape: Shape
    name: str  # the member's name in the model (moto's parsed key)
    label: str  # its name in a validation message (camelCase)
    position: int  # its place in the shape's member order (moto's key order)


class Members:
    """A structure's members by their name on the wire, worked out once per shape.

    A document names few of a shape's members (an AttributeValue one of ten), so a walk
    visits the members present (and this check then the required ones), not every
    member. The precheck's validator, `shape_check` and `json_parser` share the table.
    """

    __slots__ = ("by_wire", "required")

    def __init__(self, shape: StructureShape) -> None:
        self.by_wire: dict[str, Member] = {}
        self.required: list[tuple[str, str]] = []  # (wire name, name in a message)
        for position, (name, member) in enumerate(shape.members.items()):
            wire = member.serialization.get("name", name)
            self.by_wire[wire] = Member(member, name, _camel(name), position)
            if name in shape.required_members:
                self.required.append((wire, _camel(name)))


# botocore keeps one Shape object per shape of a loaded model; weak keys, so a model
# that `route.service_model`'s cache lets go takes its entries with it.
_MEMBERS: weakref.WeakKeyDictionary[StructureShape, Members] = weakref.WeakKeyDictionary()


def members_of(shape: StructureShape) -> Members:
    """`shape`'s member table, built on first use."""
    found = _MEMBERS.get(shape)
    if found is None:
        found = _MEMBERS[shape] = Members(shape)
    return found
