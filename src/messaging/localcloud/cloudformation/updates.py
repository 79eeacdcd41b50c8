"""Stack updates with CloudFormation's phases: update, clean up, or roll back.

The gap it closes: moto applies an update through each model's own update code, in
no particular order, without rollback: a failure left the stack half-updated (and was
reported as UPDATE_ROLLBACK_FAILED by the first version of this plug-in, which could
not be left). moto also replaced a renamed resource by deleting the old one first,
and ignored UpdateReplacePolicy and DeletionPolicy on updates.

Here, as on AWS:

1. resources are updated in dependency order. One whose change `replacement` says
   forces it gets a new physical resource (a custom-named one whose name did not change
   fails: "Rename ... and update the stack again"); the others are updated in place,
   and a change the model cannot apply in place fails the resource (`support`);
2. on success, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS deletes the replaced physical
   resources (unless UpdateReplacePolicy is Retain) and the removed ones (unless their
   DeletionPolicy is Retain or RetainExceptOnCreate), then UPDATE_COMPLETE;
3. on a failure, UPDATE_ROLLBACK_IN_PROGRESS puts back the old physical resources,
   updates the modified ones back to the old template, and deletes what the update
   created, then UPDATE_ROLLBACK_COMPLETE. A resource that cannot be rolled back
   leaves UPDATE_ROLLBACK_FAILED, which `continue_rollback` (ContinueUpdateRollback,
   with ResourcesToSkip) can leave.

Known limits: everything runs synchronously inside the API call; a model's in-place
update is trusted to be all or nothing.
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

from moto.cloudformation import models as moto_cfn
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.parsing import (
    parse_and_create_resource,
    parse_and_update_resource,
    resource_class_from_type,
)

from messaging.localcloud.cloudformation.changes import StackView, live_scope, parameter_values
from messaging.localcloud.cloudformation.events import (
    failure_reason,
    resource_event,
    stack_event,
)
from messaging.localcloud.cloudformation.maps import GuardedResourceMap, rebuild_outputs
from messaging.localcloud.cloudformation.replacement import replacement_forced
from messaging.localcloud.cloudformation.resolve import creation_order, in_order, resolve
from messaging.localcloud.cloudformation.support import (
    not_updatable,
    unsupported_reason,
    unsupported_types,
)

__all__ = ["StackUpdate", "continue_rollback", "delete_resource", "pseudo_parameters"]

RETAINED = ("Retain", "RetainExceptOnCreate")


class LocalUpdateError(ValueError):
    """A change the local cloud cannot make; the resource fails with this reason."""


@dataclass
class Step:
    """One thing an update did to one resource, and what undoing it needs."""

    kind: Literal["added", "replaced", "modified"]
    logical_id: str
    resource_type: str
    old_instance: Any = None
    new_instance: Any = None
    old_body: dict[str, Any] = field(default_factory=dict)
    new_body: dict[str, Any] = field(default_factory=dict)
    undone: bool = False


@dataclass
class Rollback:
    """What a failed update left to undo; kept on the stack while it is unfinished."""

    old_template: dict[str, Any]
    old_parameters: dict[str, Any]
    steps: list[Step]
    failed: set[str] = field(default_factory=set)


# A failed rollback's unfinished work, per stack, until ContinueUpdateRollback ends it.
_PENDING: weakref.WeakKeyDictionary[moto_cfn.Stack, Rollback] = weakref.WeakKeyDictionary()


def pseudo_parameters(stack: moto_cfn.Stack) -> dict[str, Any]:
    return {
        "AWS::AccountId": stack.account_id,
        "AWS::Region": stack.region_name,
        "AWS::StackId": stack.stack_id,
        "AWS::StackName": stack.name,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::Partition": "aws",
    }


def _resources(stack: moto_cfn.Stack) -> GuardedResourceMap:
    resources = stack.resource_map
    if not isinstance(resources, GuardedResourceMap):  # every stack the backend runs has one
        raise TypeError(f"stack {stack.name} was not built by the local cloud's backend")
    return resources


def delete_resource(
    stack: moto_cfn.Stack, logical_id: str, body: dict[str, Any], instance: Any
) -> bool:
    """Delete one physical resource with its events; False (and DELETE_FAILED) if it fails."""
    resource_type = str(body.get("Type", ""))
    resource_event(stack, logical_id, resource_type, "DELETE_IN_PROGRESS")
    try:
        _resources(stack)._delete_resource(instance, body)  # noqa: SLF001 - moto's own helper
    except Exception as error:  # noqa: BLE001 - recorded on the stack, as AWS does
        resource_event(
            stack, logical_id, resource_type, "DELETE_FAILED", reason=failure_reason(error)
        )
        return False
    resource_event(stack, logical_id, resource_type, "DELETE_COMPLETE")
    return True


class StackUpdate:
    """Apply one change set's template and parameters to a stack."""

    def __init__(
        self, stack: moto_cfn.Stack, template: str, template_dict: dict[str, Any], parameters: Any
    ) -> None:
        self.stack = stack
        self.template = template
        self.template_dict = template_dict
        self.parameters = dict(parameters)
        self.steps: list[Step] = []
        self.resources = _resources(stack)
        instances = self.resources.instances()
        self.old_view = StackView(
            stack.template_dict,
            parameter_values(stack.template_dict, stack.parameters),
            pseudo_parameters(stack),
        )
        self.new_view = StackView(
            template_dict, parameter_values(template_dict, self.parameters), self.old_view.pseudo
        )
        old_scope = live_scope(self.old_view, instances)
        self.existing = {
            name: body
            for name, body in self.old_view.resources(old_scope).items()
            if instances.get(name) is not None
        }
        # Captured before anything changes: what each resource was built from.
        self.old_properties = {
            name: resolve(body.get("Properties") or {}, old_scope)
            for name, body in self.existing.items()
        }

    def run(self) -> bool:
        stack_event(self.stack, "UPDATE_IN_PROGRESS", "User Initiated")
        self.resources.switch(self.template_dict, self.parameters)
        instances = self.resources.instances()
        wanted = self.new_view.resources(live_scope(self.new_view, instances))
        for logical_id in creation_order(wanted):
            try:
                self._apply(logical_id, wanted[logical_id])
            except Exception as error:  # noqa: BLE001 - the resource fails with its reason
                creating = logical_id not in self.existing
                resource_event(
                    self.stack,
                    logical_id,
                    str(wanted[logical_id].get("Type", "")),
                    "CREATE_FAILED" if creating else "UPDATE_FAILED",
                    reason=failure_reason(error),
                )
                verb = "create" if creating else "update"
                return self._roll_back(
                    f"The following resource(s) failed to {verb}: [{logical_id}]. "
                )
        stack_event(self.stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        self._clean_up(wanted)
        self.stack.template = self.template
        self.stack.template_dict = self.template_dict
        self.stack.parameters = self.parameters
        self.stack.description = self.template_dict.get("Description")
        rebuild_outputs(self.stack)
        stack_event(self.stack, "UPDATE_COMPLETE")
        return True

    # -- forward -------------------------------------------------------------------

    def _apply(self, logical_id: str, body: dict[str, Any]) -> None:
        resource_type = str(body.get("Type", ""))
        missing = unsupported_types([resource_type])
        if missing:
            raise LocalUpdateError(unsupported_reason(missing))
        if logical_id not in self.existing:
            self._add(logical_id, body)
            return
        instances = self.resources.instances()
        old_body = self.existing[logical_id]
        old = self.old_properties[logical_id]
        new = resolve(body.get("Properties") or {}, live_scope(self.new_view, instances))
        forced = replacement_forced(resource_type, old, new)
        if forced:
            self._replace(logical_id, (old_body, body), (old, new), forced)
            return
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if not changed:
            return  # only policies or metadata changed: nothing to do to the resource
        removed = [k for k in changed if k not in new]
        refused = not_updatable(resource_type, changed, removed)
        if refused:
            raise LocalUpdateError(
                f"{resource_type} properties cannot be updated in place by the local cloud: "
                + ", ".join(refused)
            )
        original = instances[logical_id]
        resource_event(self.stack, logical_id, resource_type, "UPDATE_IN_PROGRESS")
        self.steps.append(
            Step("modified", logical_id, resource_type, old_instance=original, old_body=old_body)
        )
        updated: Any = parse_and_update_resource(
            logical_id,
            copy.deepcopy(body),
            self.resources,
            self.stack.account_id,
            self.stack.region_name,
        )
        if updated is None:
            raise LocalUpdateError(f"{resource_type} cannot be updated by the local cloud")
        instances[logical_id] = updated
        physical = getattr(updated, "physical_resource_id", "") or ""
        resource_event(self.stack, logical_id, resource_type, "UPDATE_COMPLETE", physical=physical)

    def _add(self, logical_id: str, body: dict[str, Any]) -> None:
        resource_type = str(body.get("Type", ""))
        resource_event(self.stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
        instance = self.resources.build(logical_id)
        self.steps.append(
            Step("added", logical_id, resource_type, new_instance=instance, new_body=body)
        )
        physical = getattr(instance, "physical_resource_id", "") or ""
        resource_event(self.stack, logical_id, resource_type, "CREATE_COMPLETE", physical=physical)

    def _replace(
        self,
        logical_id: str,
        bodies: tuple[dict[str, Any], dict[str, Any]],
        values: tuple[dict[str, Any], dict[str, Any]],
        forced: list[str],
    ) -> None:
        (old_body, body), (old, new) = bodies, values
        resource_type = str(body.get("Type", ""))
        instances = self.resources.instances()
        original = instances[logical_id]
        name_property = resource_class_from_type(resource_type).cloudformation_name_type()
        if (
            name_property
            and name_property in new
            and new.get(name_property) == old.get(name_property)
        ):
            physical = getattr(original, "physical_resource_id", logical_id)
            raise LocalUpdateError(
                "CloudFormation cannot update a stack when a custom-named resource requires "
                f"replacing. Rename {physical} and update the stack again."
            )
        resource_event(
            self.stack,
            logical_id,
            resource_type,
            "UPDATE_IN_PROGRESS",
            reason="Requested update requires the creation of a new physical resource; "
            f"hence creating one ({', '.join(forced)}).",
        )
        replacement = parse_and_create_resource(
            logical_id,
            copy.deepcopy(body),
            self.resources,
            self.stack.account_id,
            self.stack.region_name,
        )
        instances[logical_id] = replacement
        self.steps.append(
            Step(
                "replaced",
                logical_id,
                resource_type,
                old_instance=original,
                new_instance=replacement,
                old_body=old_body,
                new_body=body,
            )
        )
        physical = getattr(replacement, "physical_resource_id", "") or ""
        resource_event(self.stack, logical_id, resource_type, "UPDATE_COMPLETE", physical=physical)

    def _clean_up(self, wanted: dict[str, Any]) -> None:
        """Old physical resources of replaced ones, then removed ones, dependents first."""
        for step in reversed(self.steps):
            if step.kind != "replaced":
                continue
            if step.new_body.get("UpdateReplacePolicy") in ("Retain", "Snapshot"):
                resource_event(self.stack, step.logical_id, step.resource_type, "DELETE_SKIPPED")
                continue
            delete_resource(self.stack, step.logical_id, step.old_body, step.old_instance)
        instances = self.resources.instances()
        removed = [r for r in self.existing if r not in wanted]
        for logical_id in reversed(in_order(self.existing, removed)):
            body = self.existing[logical_id]
            instance = instances.pop(logical_id, None)
            if body.get("DeletionPolicy") in RETAINED:
                resource_event(self.stack, logical_id, str(body.get("Type")), "DELETE_SKIPPED")
                continue
            delete_resource(self.stack, logical_id, body, instance)

    # -- rollback ------------------------------------------------------------------

    def _roll_back(self, reason: str) -> bool:
        stack_event(self.stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        self.resources.switch(self.stack.template_dict, self.stack.parameters)
        _PENDING[self.stack] = Rollback(
            self.stack.template_dict, dict(self.stack.parameters), self.steps
        )
        return _finish_rollback(self.stack, skip=set())


def _finish_rollback(stack: moto_cfn.Stack, skip: set[str]) -> bool:
    state = _PENDING[stack]
    resources = _resources(stack)
    instances = resources.instances()
    old_resources = state.old_template.get("Resources") or {}
    steps = {s.logical_id: s for s in state.steps if s.kind in ("replaced", "modified")}
    for logical_id in in_order(old_resources, steps):
        step = steps[logical_id]
        if step.undone:
            continue
        if logical_id in skip:
            step.undone = True
            state.failed.discard(logical_id)
            resource_event(
                stack,
                logical_id,
                step.resource_type,
                "UPDATE_COMPLETE",
                reason="Resource skipped during UpdateRollback (ResourcesToSkip)",
            )
            continue
        resource_event(stack, logical_id, step.resource_type, "UPDATE_IN_PROGRESS")
        try:
            if step.kind == "replaced":
                instances[logical_id] = step.old_instance
            else:
                instances[logical_id] = parse_and_update_resource(
                    logical_id,
                    copy.deepcopy(step.old_body),
                    resources,
                    stack.account_id,
                    stack.region_name,
                )
        except Exception as error:  # noqa: BLE001 - recorded: the rollback stops here, as on AWS
            state.failed.add(logical_id)
            resource_event(
                stack, logical_id, step.resource_type, "UPDATE_FAILED", reason=failure_reason(error)
            )
            stack_event(
                stack,
                "UPDATE_ROLLBACK_FAILED",
                f"The following resource(s) failed to update: [{logical_id}]. ",
            )
            return False
        step.undone = True
        state.failed.discard(logical_id)
        resource_event(stack, logical_id, step.resource_type, "UPDATE_COMPLETE")
    stack_event(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    for step in reversed(state.steps):
        if step.kind == "added":
            instances.pop(step.logical_id, None)
            if step.new_body.get("DeletionPolicy") == "Retain":
                resource_event(stack, step.logical_id, step.resource_type, "DELETE_SKIPPED")
                continue
        if step.kind in ("added", "replaced"):
            delete_resource(stack, step.logical_id, step.new_body, step.new_instance)
    del _PENDING[stack]
    rebuild_outputs(stack)
    stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")
    return False


def continue_rollback(stack: moto_cfn.Stack, resources_to_skip: list[str]) -> None:
    """ContinueUpdateRollback: retry the rollback, skipping the resources named."""
    state = _PENDING.get(stack)
    if stack.status != "UPDATE_ROLLBACK_FAILED" or state is None:
        raise ValidationError(
            message="ContinueUpdateRollback cannot be called from current stack status."
        )
    unknown = sorted(set(resources_to_skip) - state.failed)
    if unknown:
        raise ValidationError(
            message=f"Resources {unknown} cannot be skipped: only resources in "
            f"UPDATE_FAILED state can be ({sorted(state.failed)})."
        )
    stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated (ContinueUpdateRollback)")
    _finish_rollback(stack, set(resources_to_skip))
