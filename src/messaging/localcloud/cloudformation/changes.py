"""What a change set will do, resource by resource, as CloudFormation reports it.

The gap it closes: moto's change sets list Add/Modify/Remove by comparing template
text only. A parameter change (a new `NamePrefix`, which renames everything) showed no
change at all, and no change carried `Replacement`, `Scope`, `Details` or the
`PolicyAction`. Here each resource's properties are evaluated with the old and the new
parameters (`resolve`) and compared property by property:

- a property that differs is one detail: `Static` when its new value is known now,
  `Dynamic` when it depends on a resource the update creates, replaces or modifies
  (`ResourceReference` / `ResourceAttribute`, with the causing entity);
- the change source is `DirectModification` when the template text changed, else
  `ParameterReference` naming the parameter;
- `RequiresRecreation` comes from `replacement`; a resource's `Replacement` is True when
  a known change always replaces it, Conditional when one might, False otherwise;
- removed resources and replaced ones carry the `PolicyAction` their DeletionPolicy or
  UpdateReplacePolicy gives.

Resources are planned in dependency order, so a dependent sees whether what it refers
to is being replaced. Known limits: tags and stack-level changes are not reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import models as moto_cfn
from moto.cloudformation.exceptions import ValidationError

from messaging.localcloud.cloudformation.replacement import (
    ALWAYS,
    CONDITIONALLY,
    MISSING,
    RequiresRecreation,
    requires_recreation,
)
from messaging.localcloud.cloudformation.resolve import (
    Scope,
    Unknown,
    creation_order,
    first_unknown,
    references,
    resolve,
)

__all__ = [
    "LocalChange",
    "Plan",
    "StackView",
    "parameter_values",
    "plan_changes",
    "policy_action",
]

RESOURCE_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "Metadata")


class LocalChange(moto_cfn.Change):
    """A `ResourceChange` with everything DescribeChangeSet reports about it."""

    def __init__(
        self,
        action: str,
        logical_resource_id: str,
        resource_type: str,
        *,
        physical_resource_id: str | None = None,
        replacement: str | None = None,
        scope: list[str] | None = None,
        details: list[dict[str, Any]] | None = None,
        policy_action: str | None = None,
    ) -> None:
        super().__init__(action, logical_resource_id, resource_type)
        self.physical_resource_id = physical_resource_id
        self.replacement = replacement
        self.scope = scope or []
        self.details = details or []
        self.policy_action = policy_action


def parameter_values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Every declared parameter's value: given, else its default (lists for list types)."""
    values: dict[str, Any] = {}
    for name, declared in (template.get("Parameters") or {}).items():
        raw = given.get(name, declared.get("Default"))
        if raw is None:
            continue
        kind = str(declared.get("Type", "String"))
        text = ",".join(map(str, raw)) if isinstance(raw, list) else str(raw)
        values[name] = text.split(",") if kind.startswith(("List", "CommaDelimited")) else text
    return values


@dataclass
class StackView:
    """A template with parameter values, evaluated against live resources."""

    template: dict[str, Any]
    parameters: dict[str, Any]
    pseudo: dict[str, Any]

    def scope(self, reference: Callable[[str], Any], attribute: Callable[[str, str], Any]) -> Scope:
        return Scope(
            parameters=self.parameters,
            pseudo=self.pseudo,
            reference=reference,
            attribute=attribute,
            conditions=self.template.get("Conditions") or {},
            mappings=self.template.get("Mappings") or {},
        )

    def resources(self, scope: Scope) -> dict[str, Any]:
        """Declared resources whose Condition holds."""
        declared = self.template.get("Resources") or {}
        return {
            name: body
            for name, body in declared.items()
            if "Condition" not in body or scope.condition(body["Condition"])
        }


def live_scope(view: StackView, instances: dict[str, Any]) -> Scope:
    """Refs and GetAtts answered by what exists now (old state, or mid-update)."""

    def reference(name: str) -> Any:
        instance = instances.get(name)
        return getattr(instance, "physical_resource_id", None) if instance is not None else None

    def attribute(name: str, attr: str) -> Any:
        instance = instances.get(name)
        if instance is None:
            return None
        try:
            return instance.get_cfn_attribute(attr)
        except Exception:  # noqa: BLE001 - any failure means the value cannot be known
            return Unknown("ResourceAttribute", f"{name}.{attr}")

    return view.scope(reference, attribute)


def policy_action(body: dict[str, Any], *, replaced: bool) -> str:
    if replaced:
        policy = body.get("UpdateReplacePolicy", "Delete")
        return {"Retain": "ReplaceAndRetain", "Snapshot": "ReplaceAndSnapshot"}.get(
            policy, "ReplaceAndDelete"
        )
    policy = body.get("DeletionPolicy", "Delete")
    return "Retain" if policy in ("Retain", "RetainExceptOnCreate") else policy


@dataclass
class Plan:
    changes: list[LocalChange] = field(default_factory=list)

    def action(self, logical_id: str) -> str | None:
        return next((c.action for c in self.changes if c.logical_resource_id == logical_id), None)

    def replacing(self, logical_id: str) -> bool:
        return any(
            c.logical_resource_id == logical_id and c.replacement in ("True", "Conditional")
            for c in self.changes
        )


def _detail(
    name: str,
    recreation: RequiresRecreation,
    *,
    source: str,
    entity: str | None = None,
    dynamic: bool = False,
    attribute: str = "Properties",
) -> dict[str, Any]:
    target: dict[str, Any] = {"Attribute": attribute, "RequiresRecreation": recreation}
    if attribute == "Properties":
        target["Name"] = name
    detail: dict[str, Any] = {
        "Target": target,
        "Evaluation": "Dynamic" if dynamic else "Static",
        "ChangeSource": source,
    }
    if entity:
        detail["CausingEntity"] = entity
    return detail


def _property_details(
    resource_type: str,
    name: str,
    raw: tuple[Any, Any],
    value: tuple[Any, Any],
    changed_parameters: set[str],
) -> list[dict[str, Any]]:
    (raw_old, raw_new), (old, new) = raw, value
    unknown = first_unknown(new)
    if unknown is None and old == new:
        return []
    recreation = requires_recreation(resource_type, name, old, new)
    if unknown is not None:
        return [
            _detail(
                name,
                recreation,
                source=unknown.change_source,
                entity=unknown.causing_entity,
                dynamic=True,
            )
        ]
    if raw_old != raw_new:
        return [_detail(name, recreation, source="DirectModification")]
    causes = sorted(references(raw_new) & changed_parameters)
    return [
        _detail(name, recreation, source="ParameterReference", entity=cause) for cause in causes
    ] or [_detail(name, recreation, source="DirectModification")]


def _replacement(details: list[dict[str, Any]]) -> str:
    targets = [(d["Target"]["RequiresRecreation"], d["Evaluation"]) for d in details]
    if (ALWAYS, "Static") in targets:
        return "True"
    if any(kind in (ALWAYS, CONDITIONALLY) for kind, _ in targets):
        return "Conditional"
    return "False"


def _modification(
    logical_id: str,
    bodies: tuple[dict[str, Any], dict[str, Any]],
    scopes: tuple[Scope, Scope],
    changed_parameters: set[str],
    physical: str | None,
) -> LocalChange | None:
    old_body, new_body = bodies
    resource_type = str(new_body.get("Type"))
    if old_body.get("Type") != resource_type:
        raise ValidationError(
            message="Update of resource type is not permitted. The new template modifies "
            f"resource type of the following resources: [{logical_id}]"
        )
    raw_old, raw_new = old_body.get("Properties") or {}, new_body.get("Properties") or {}
    old, new = resolve(raw_old, scopes[0]), resolve(raw_new, scopes[1])
    details: list[dict[str, Any]] = []
    for name in sorted(set(old) | set(new)):
        details += _property_details(
            resource_type,
            name,
            (raw_old.get(name, MISSING), raw_new.get(name, MISSING)),
            (old.get(name, MISSING), new.get(name, MISSING)),
            changed_parameters,
        )
    scope = ["Properties"] if details else []
    for attribute in RESOURCE_ATTRIBUTES:
        if old_body.get(attribute) != new_body.get(attribute):
            scope.append(attribute)
            details.append(_detail("", "Never", source="DirectModification", attribute=attribute))
    if not details:
        return None
    replacement = _replacement(details)
    replaced = replacement in ("True", "Conditional")
    return LocalChange(
        "Modify",
        logical_id,
        resource_type,
        physical_resource_id=physical,
        replacement=replacement,
        scope=scope,
        details=details,
        policy_action=policy_action(new_body, replaced=True) if replaced else None,
    )


def plan_changes(old: StackView, new: StackView, instances: dict[str, Any]) -> Plan:
    """Every resource change from the stack's current state to `new`."""
    plan = Plan()
    old_scope = live_scope(old, instances)
    existing = {
        name: body
        for name, body in old.resources(old_scope).items()
        if instances.get(name) is not None
    }

    def reference(name: str) -> Any:
        if plan.action(name) == "Add" or plan.replacing(name):
            return Unknown("ResourceReference", name)
        return old_scope.reference(name)

    def attribute(name: str, attr: str) -> Any:
        if plan.action(name) in ("Add", "Modify"):
            return Unknown("ResourceAttribute", f"{name}.{attr}")
        return old_scope.attribute(name, attr)

    new_scope = new.scope(reference, attribute)
    wanted = new.resources(new_scope)
    changed_parameters = {
        key
        for key in set(old.parameters) | set(new.parameters)
        if old.parameters.get(key) != new.parameters.get(key)
    }
    for logical_id in creation_order(wanted):
        body = wanted[logical_id]
        if logical_id not in existing:
            plan.changes.append(LocalChange("Add", logical_id, str(body.get("Type"))))
            continue
        physical = getattr(instances[logical_id], "physical_resource_id", None)
        change = _modification(
            logical_id,
            (existing[logical_id], body),
            (old_scope, new_scope),
            changed_parameters,
            physical,
        )
        if change is not None:
            plan.changes.append(change)
    for logical_id, body in existing.items():
        if logical_id not in wanted:
            plan.changes.append(
                LocalChange(
                    "Remove",
                    logical_id,
                    str(body.get("Type")),
                    physical_resource_id=getattr(
                        instances[logical_id], "physical_resource_id", None
                    ),
                    policy_action=policy_action(body, replaced=False),
                )
            )
    return plan
