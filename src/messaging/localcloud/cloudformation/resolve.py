"""Template values evaluated without touching any resource, for change sets.

The gap it closes: moto resolves `Ref` and `Fn::GetAtt` through a lazy resource map
that *creates* a resource the first time it is asked for one, so merely describing a
change (or a failed stack's outputs) could build resources again. Here a template value
is evaluated against a `Scope` that only reads: parameters, pseudo parameters,
conditions and mappings are known; a resource reference is answered by the scope, which
may say `Unknown` when CloudFormation itself could not know the value before the update
(the resource is being created or replaced, or its attributes may change). That is the
`Evaluation: Dynamic` of a change set.

Also here: the dependency order of resources (Ref, GetAtt, Sub, DependsOn), shared by
creation, update and deletion.

Known limits: `Fn::GetAZs`, `Fn::ImportValue`, `Fn::Cidr`, `Fn::Transform` and other
rarely used functions are not evaluated; a value using them is compared as written.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation.exceptions import ValidationError

__all__ = [
    "NO_VALUE",
    "Scope",
    "Unknown",
    "contains_unknown",
    "creation_order",
    "dependencies",
    "first_unknown",
    "in_order",
    "references",
    "resolve",
]

_SUB = re.compile(r"\$\{([^}]+)\}")
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


@dataclass(frozen=True)
class Unknown:
    """A value CloudFormation learns only during the update (Evaluation: Dynamic)."""

    change_source: str  # ResourceReference | ResourceAttribute
    causing_entity: str  # "Queue" or "Queue.Arn"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


@dataclass
class Scope:
    """What a template value may read while being evaluated."""

    parameters: dict[str, Any]
    pseudo: dict[str, Any]
    reference: Callable[[str], Any]
    attribute: Callable[[str, str], Any]
    conditions: dict[str, Any] = field(default_factory=dict)  # name -> condition body
    mappings: dict[str, Any] = field(default_factory=dict)
    _evaluated: dict[str, bool] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        if name not in self._evaluated:
            if name not in self.conditions:
                raise ValidationError(message=f"Template error: unresolved condition {name}")
            self._evaluated[name] = bool(_condition(self.conditions[name], self))
        return self._evaluated[name]


def contains_unknown(value: Any) -> bool:
    return first_unknown(value) is not None


def first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = first_unknown(item)
            if found is not None:
                return found
    return None


def _ref(name: str, scope: Scope) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in scope.pseudo:
        return scope.pseudo[name]
    if name in scope.parameters:
        return scope.parameters[name]
    return scope.reference(name)


def _get_att(value: Any, scope: Scope) -> Any:
    target, attribute = value if isinstance(value, list) else str(value).split(".", 1)
    return scope.attribute(str(target), str(resolve(attribute, scope)))


def _text(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _sub(value: Any, scope: Scope) -> Any:
    text, variables = (
        (value[0], resolve(value[1], scope))
        if isinstance(value, list)
        else (
            value,
            {},
        )
    )
    unknown: list[Unknown] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            found = _text(variables[name])
        elif "." in name and name.split(".", 1)[0] not in scope.pseudo:
            found = _text(scope.attribute(*name.split(".", 1)))
        else:
            found = _text(_ref(name, scope))
        if isinstance(found, Unknown):
            unknown.append(found)
            return ""
        return str(found)

    result = _SUB.sub(replace, str(text))
    return unknown[0] if unknown else result


def _join(value: Any, scope: Scope) -> Any:
    delimiter, items = value[0], resolve(value[1], scope)
    found = first_unknown(items)
    if found is not None:
        return found
    return str(delimiter).join(str(_text(item)) for item in items if item is not NO_VALUE)


def _function(name: str, value: Any, scope: Scope) -> Any:  # noqa: PLR0911 - one per function
    if name == "Ref":
        return _ref(str(value), scope)
    if name == "Fn::GetAtt":
        return _get_att(value, scope)
    if name == "Fn::Sub":
        return _sub(value, scope)
    if name == "Fn::Join":
        return _join(value, scope)
    if name == "Fn::If":
        condition, when_true, when_false = value
        return resolve(when_true if scope.condition(condition) else when_false, scope)
    if name == "Fn::Select":
        index, items = resolve(value[0], scope), resolve(value[1], scope)
        return items if isinstance(items, Unknown) else items[int(index)]
    if name == "Fn::Split":
        delimiter, text = value[0], resolve(value[1], scope)
        return text if isinstance(text, Unknown) else str(text).split(delimiter)
    if name == "Fn::FindInMap":
        table, first, second = (resolve(v, scope) for v in value[:3])
        return scope.mappings[table][first][second]
    if name == "Fn::Base64":
        text = resolve(value, scope)
        return text if isinstance(text, Unknown) else base64.b64encode(str(text).encode()).decode()
    return {name: resolve(value, scope)}  # not evaluated: compared as written


def resolve(node: Any, scope: Scope) -> Any:
    """The value of a template node; `Unknown` where only the update can tell."""
    if isinstance(node, dict):
        if len(node) == 1:
            [(key, value)] = node.items()
            if key == "Ref" or key.startswith("Fn::"):
                return _function(key, value, scope)
        resolved = {k: resolve(v, scope) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(node, list):
        return [item for item in (resolve(v, scope) for v in node) if item is not NO_VALUE]
    return node


def _condition(node: Any, scope: Scope) -> Any:
    if isinstance(node, dict) and len(node) == 1:
        [(key, value)] = node.items()
        if key == "Condition":
            return scope.condition(str(value))
        if key == "Fn::Equals":
            left, right = (_text(_condition(v, scope)) for v in value)
            return left == right
        if key == "Fn::Not":
            return not _condition(value[0], scope)
        if key == "Fn::And":
            return all(_condition(v, scope) for v in value)
        if key == "Fn::Or":
            return any(_condition(v, scope) for v in value)
    return resolve(node, scope)


def references(node: Any) -> set[str]:
    """Names a template node mentions through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found.update(_SUB_REFERENCE.findall(text))
                found |= references(value)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def dependencies(resources: dict[str, Any]) -> dict[str, set[str]]:
    """For each resource, the resources it needs first (references and DependsOn)."""
    depends: dict[str, set[str]] = {}
    for logical_id, body in resources.items():
        explicit = body.get("DependsOn", [])
        explicit = [explicit] if isinstance(explicit, str) else list(explicit)
        depends[logical_id] = (set(explicit) | references(body)) & set(resources)
    return depends


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Resources ordered so that every dependency comes first (template order otherwise)."""
    depends = dependencies(resources)
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(resources):
        ready = [r for r in resources if r not in placed and depends[r] <= placed]
        if not ready:
            cycle = sorted(set(resources) - placed)
            raise ValidationError(message=f"Circular dependency between resources: {cycle}")
        ordered.extend(ready)
        placed.update(ready)
    return ordered


def in_order(resources: dict[str, Any], subset: Iterable[str]) -> list[str]:
    wanted = set(subset)
    return [r for r in creation_order(resources) if r in wanted]
