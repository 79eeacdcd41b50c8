"""Which resource types, and which in-place property changes, the local cloud can honour.

moto skips a resource type it has no model for (with a warning) and still reports the
stack complete; many of its models also ignore property changes on update. Both would
let a template deploy "green" while part of it was silently dropped. The stack engine
asks here first and fails the resource with the reason instead.

A model declares `UPDATABLE` (property names whose new values its update applies in
place) and `REMOVABLE` (properties its update can take away); any other in-place
change fails. A model without the declarations keeps moto's behaviour (a known limit,
for types outside infra.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.cloudformation import parsing

__all__ = ["not_updatable", "unsupported_reason", "unsupported_types"]


def unsupported_types(resource_types: Iterable[str]) -> list[str]:
    """Types the local cloud has no model for (moto would skip them silently)."""
    known = parsing.get_model_map()
    return sorted(
        {
            t
            for t in resource_types
            if t not in known and t not in parsing.NULL_MODELS and not t.startswith("Custom::")
        }
    )


def unsupported_reason(types: list[str]) -> str:
    return (
        f"Resource type(s) {', '.join(types)} not supported by the local cloud "
        "(moto plus messaging.localcloud plug-ins)"
    )


def not_updatable(
    resource_type: str, changed: Iterable[str], removed: Iterable[str] = ()
) -> list[str]:
    """Properties whose change (or removal) the type's model cannot apply in place."""
    model: Any = parsing.get_model_map().get(resource_type)
    allowed = getattr(model, "UPDATABLE", None)
    if allowed is None:
        return []
    removable = set(getattr(model, "REMOVABLE", frozenset()))
    removed = set(removed)
    refused = {name for name in set(changed) - removed if name not in allowed}
    refused |= {f"{name} (removed)" for name in removed if name not in removable}
    return sorted(refused)
