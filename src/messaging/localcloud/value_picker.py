"""moto's response value picker, its key spellings worked out once per member shape.

The gap it closes: to serialise a response, moto asks for every member of every
structure which keys might hold its value (`XFormedAttributePicker.get_possible_keys`):
it builds six alias providers, asks each, and converts each answer to snake_case. For a
response built from plain dicts (a BatchExecuteStatement's 25 answers, a PublishBatch's
10 entries, every answer our plug-ins build), the answer depends only on the member's
shape (its name, serialization name and parent structure, which moto sets before each
use and which botocore keeps per structure) and on the key: the providers that look at
the object look only at its class, here always `dict` (its `Meta`, which a dict lacks,
and its name). So for dicts it is computed once per (shape, key) and kept; for any other
object, moto's own code runs every time. Values are still read from each object as moto
reads them, and response transformers apply as before.

`install()` rebinds `XFormedAttributePicker` in `moto.core.responses`, the module that
builds one per response; `uninstall()` restores moto's.
"""

from __future__ import annotations

import weakref
from collections.abc import Generator
from typing import Any

from botocore.model import Shape
from moto.core import responses as moto_responses
from moto.core.serialize import (
    DEFAULT_ALIAS_PROVIDERS,
    AttributePickerContext,
    XFormedAttributePicker,
)

__all__ = ["CachedKeysPicker", "install", "uninstall"]

# member shape -> key -> (the parent it was computed under, the possible keys)
_KEYS: weakref.WeakKeyDictionary[Shape, dict[str, tuple[Any, tuple[str, ...]]]] = (
    weakref.WeakKeyDictionary()
)


class CachedKeysPicker(XFormedAttributePicker):
    """moto's picker; a dict's possible keys for a member are computed once."""

    def get_possible_keys(self, context: AttributePickerContext) -> Generator[str]:
        shape = context.shape
        if (
            type(context.obj) is not dict
            or shape is None
            or self.alias_providers is not DEFAULT_ALIAS_PROVIDERS
        ):
            yield from super().get_possible_keys(context)
            return
        known = _KEYS.get(shape)
        if known is None:
            known = _KEYS.setdefault(shape, {})
        parent = getattr(shape, "parent", None)
        cached = known.get(context.key)
        if cached is None or cached[0] is not parent:
            cached = known[context.key] = (parent, tuple(super().get_possible_keys(context)))
        yield from cached[1]


def install() -> None:
    setattr(moto_responses, "XFormedAttributePicker", CachedKeysPicker)  # noqa: B010


def uninstall() -> None:
    setattr(moto_responses, "XFormedAttributePicker", XFormedAttributePicker)  # noqa: B010
