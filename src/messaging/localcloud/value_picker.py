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

Reading a dict's member then still cost more than finding its keys: moto's serialiser
builds a picker context per member (a dataclass, and the dotted path of the member
joined from a list), and its generic `get_value` tries each key with a `hasattr` and a
`try`. That was 60% of serialising a BatchExecuteStatement(25) answer (0.98 ms of CPU,
issue #21). So each of moto's serialiser classes is given a `get_value` that reads a
dict's member from the cached keys directly (`CachedKeysPicker.member_of_dict`). It
steps aside, to moto's own path, for anything that is not a plain dict, for a picker
that is not ours, for a key with a dot in it (moto reads it as a path), and for a
member that one of the response's transformers might apply to (its path is then built
as moto builds it).

`install()` rebinds `XFormedAttributePicker` in `moto.core.responses`, the module that
builds one per response, and puts those subclasses in moto's registries of serialiser
classes (`SERIALIZERS`, `SERVICE_SPECIFIC_SERIALIZERS`, read per response by
`get_serializer_class`); `uninstall()` restores moto's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from moto.core import responses as moto_responses
from moto.core import serialize as moto_serialize
from moto.core.model import Shape
from moto.core.serialize import (
    DEFAULT_ALIAS_PROVIDERS,
    AttributeAliasProvider,
    AttributePickerContext,
    ResponseSerializer,
    XFormedAttributePicker,
)

__all__ = ["CachedKeysPicker", "install", "serializer_reading_dicts", "uninstall"]

# On each member shape, as moto keeps its `parent` there: key -> (the parent they were
# computed under, the possible keys). Kept on the shape, they live and die with it (an
# error's shapes may be built per response), and a lookup costs an attribute read; a
# WeakKeyDictionary built a reference per lookup, a fifth of a member's read.
_KEYS_ATTRIBUTE = "_localcloud_dict_keys"

# a response's transformer paths -> member key -> whether one of them may apply to it
_MAY_TRANSFORM: dict[tuple[str, ...], dict[str, bool]] = {}
_MISSING = object()
UNDECIDED = object()  # `member_of_dict`'s answer when moto's own path must decide


class CachedKeysPicker(XFormedAttributePicker):
    """moto's picker; a dict's possible keys for a member are computed once."""

    def __init__(
        self,
        alias_providers: list[type[AttributeAliasProvider]] | None = None,
        response_transformers: dict[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        super().__init__(alias_providers, response_transformers)
        paths = tuple(self.response_transformers)
        self._transform_paths = paths
        self._may_transform = _MAY_TRANSFORM.setdefault(paths, {})

    def get_possible_keys(self, context: AttributePickerContext) -> Generator[str]:
        shape = context.shape
        if (
            type(context.obj) is not dict
            or shape is None
            or self.alias_providers is not DEFAULT_ALIAS_PROVIDERS
        ):
            yield from super().get_possible_keys(context)
            return
        yield from self._dict_keys(shape, context.key)

    def _dict_keys(self, shape: Shape, key: str) -> tuple[str, ...]:
        known: dict[str, tuple[Any, tuple[str, ...]]] | None = shape.__dict__.get(_KEYS_ATTRIBUTE)
        if known is None:
            known = shape.__dict__.setdefault(_KEYS_ATTRIBUTE, {})
        parent = getattr(shape, "parent", None)
        cached = known.get(key)
        if cached is None or cached[0] is not parent:
            context = AttributePickerContext(obj={}, key=key, shape=shape)
            keys = tuple(super().get_possible_keys(context))
            cached = known[key] = (parent, keys)
        return cached[1]

    def member_of_dict(self, obj: dict[str, Any], key: str, shape: Shape) -> Any:
        """What `self(context)` answers for a dict's member, or `UNDECIDED`.

        moto's answer: the value of the first possible key the dict holds, else None.
        UNDECIDED where moto's own path must decide: a key with a dot (a path to moto),
        providers other than moto's defaults, or a transformer whose path may end at
        this member (the member's full path is needed to tell).
        """
        if self.alias_providers is not DEFAULT_ALIAS_PROVIDERS:
            return UNDECIDED
        may_transform = self._may_transform.get(key)
        if may_transform is None:
            # moto's test is f"{the parent's path}.{key}".endswith(path)
            may_transform = self._may_transform[key] = any(
                key.endswith(path) or path.endswith("." + key) for path in self._transform_paths
            )
        if may_transform:
            return UNDECIDED
        for possible in self._dict_keys(shape, key):
            if "." in possible:
                return UNDECIDED
            value = obj.get(possible, _MISSING)
            if value is not _MISSING:
                return value
        return None


class _ReadsDictsDirectly:
    """Mixed into moto's serialiser classes: a dict's member read from the cached keys."""

    _value_picker: Any

    def get_value(self, value: Any, key: str, shape: Shape) -> Any:
        picker = self._value_picker
        if type(value) is dict and type(picker) is CachedKeysPicker and shape is not None:
            found = picker.member_of_dict(value, key, shape)
            if found is not UNDECIDED:
                return found
        return super().get_value(value, key, shape)  # type: ignore[misc]


_ORIGINAL_SERIALIZERS = dict(moto_serialize.SERIALIZERS)
_ORIGINAL_SPECIFIC = {
    service: dict(by_protocol)
    for service, by_protocol in moto_serialize.SERVICE_SPECIFIC_SERIALIZERS.items()
}
_READING_DICTS: dict[type[ResponseSerializer], type[ResponseSerializer]] = {}


def serializer_reading_dicts(moto_class: type[ResponseSerializer]) -> type[ResponseSerializer]:
    """moto's serialiser class with `_ReadsDictsDirectly` in front (one subclass per class)."""
    if issubclass(moto_class, _ReadsDictsDirectly):
        return moto_class
    if moto_class not in _READING_DICTS:
        _READING_DICTS[moto_class] = type(
            moto_class.__name__, (_ReadsDictsDirectly, moto_class), {"__module__": __name__}
        )
    return _READING_DICTS[moto_class]


def install() -> None:
    setattr(moto_responses, "XFormedAttributePicker", CachedKeysPicker)  # noqa: B010
    for protocol, moto_class in _ORIGINAL_SERIALIZERS.items():
        moto_serialize.SERIALIZERS[protocol] = serializer_reading_dicts(moto_class)
    for service, by_protocol in _ORIGINAL_SPECIFIC.items():
        for protocol, moto_class in by_protocol.items():
            specific = moto_serialize.SERVICE_SPECIFIC_SERIALIZERS[service]
            specific[protocol] = serializer_reading_dicts(moto_class)


def uninstall() -> None:
    setattr(moto_responses, "XFormedAttributePicker", XFormedAttributePicker)  # noqa: B010
    moto_serialize.SERIALIZERS.update(_ORIGINAL_SERIALIZERS)
    for service, by_protocol in _ORIGINAL_SPECIFIC.items():
        moto_serialize.SERVICE_SPECIFIC_SERIALIZERS[service].update(by_protocol)
