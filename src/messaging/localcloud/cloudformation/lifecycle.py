"""Creating and deleting a stack's resources, with CloudFormation's events and policies.

Creation walks the resources in dependency order, one event per step; the first failure
records CREATE_FAILED with its reason and rolls back: what was created is deleted,
dependents first, except a resource whose DeletionPolicy is Retain
(RetainExceptOnCreate resources were created by this very operation, so they go).
A custom resource is complete only when its provider answers (the response URL), as on
AWS: creation stops there, the stack stays CREATE_IN_PROGRESS, and `resume_creation`
goes on with the rest when the answer comes (`FAILED` fails the stack with the
provider's reason). moto completed the stack first and created the dependents of a
custom resource before it had any data.
Deletion keeps what Retain, RetainExceptOnCreate or RetainResources keep, deletes
dependents first, and never deletes what a resource that failed to delete still needs.
"""

from __future__ import annotations

import logging
from typing import Literal

from moto.cloudformation import models as moto_cfn
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.exceptions import ValidationError

from messaging.localcloud.cloudformation.errors import CustomResourceFailedError
from messaging.localcloud.cloudformation.events import (
    failure_reason,
    resource_event,
    stack_event,
)
from messaging.localcloud.cloudformation.maps import GuardedResourceMap, guard_maps
from messaging.localcloud.cloudformation.resolve import creation_order, dependencies, in_order
from messaging.localcloud.cloudformation.support import unsupported_reason, unsupported_types
from messaging.localcloud.cloudformation.updates import RETAINED, delete_resource

__all__ = ["Creation", "create_resources", "delete_resources", "guarded", "resume_creation"]

Creation = Literal["complete", "failed", "waiting"]

logger = logging.getLogger(__name__)


def guarded(stack: moto_cfn.Stack) -> GuardedResourceMap:
    """The stack's guarded resource map (built from moto's, with its resources, if needed)."""
    if isinstance(stack.resource_map, GuardedResourceMap):
        return stack.resource_map
    built = stack.resource_map._parsed_resources  # noqa: SLF001 - moto keeps instances here
    resources = guard_maps(stack)
    resources.instances().update(built)
    return resources


def create_resources(stack: moto_cfn.Stack) -> Creation:
    """Create every resource in dependency order, or stop at a custom resource to wait."""
    stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated")
    stack.creation_pending = []  # type: ignore[attr-defined]  # resume_creation's to-do
    try:
        guard_maps(stack)
        order = creation_order(stack.template_dict.get("Resources", {}))
    except Exception as error:  # noqa: BLE001 - the stack fails with the reason, as on AWS
        _roll_back(stack, [], (stack.name, "AWS::CloudFormation::Stack", error))
        return "failed"
    return _create(stack, order)


def resume_creation(stack: moto_cfn.Stack, logical_id: str, failure: str | None) -> Creation:
    """A custom resource's provider answered: go on with the rest, or fail the stack."""
    waiting: list[str] = getattr(stack, "creation_pending", [])
    if stack.status != "CREATE_IN_PROGRESS" or not waiting or waiting[0] != logical_id:
        raise ValidationError(
            message=f"Stack {stack.name} is not waiting for a response from {logical_id}"
        )
    resource_type = stack.template_dict["Resources"][logical_id].get("Type", "")
    if failure is not None:
        resources = stack.template_dict.get("Resources", {})
        created = in_order(resources, [r for r in guarded(stack).created() if r != logical_id])
        _roll_back(stack, created, (logical_id, resource_type, CustomResourceFailedError(failure)))
        return "failed"
    instance = guarded(stack).instances().get(logical_id)
    physical = getattr(instance, "physical_resource_id", "") or ""
    resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical=physical)
    return _create(stack, waiting[1:])


def _create(stack: moto_cfn.Stack, order: list[str]) -> Creation:
    resources = stack.template_dict.get("Resources", {})
    resource_map = guarded(stack)
    created = in_order(resources, [r for r in resource_map.created() if r not in order])
    for index, logical_id in enumerate(order):
        resource_type = resources[logical_id].get("Type", "")
        condition = resources[logical_id].get("Condition")
        if condition and not resource_map.lazy_condition_map[condition]:
            continue
        resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
        missing = unsupported_types([resource_type])
        try:
            if missing:
                raise ValidationError(message=unsupported_reason(missing))
            instance = resource_map.build(logical_id)
        except Exception as error:  # noqa: BLE001 - any failure fails the stack, with reason
            _roll_back(stack, created, (logical_id, resource_type, error))
            return "failed"
        created.append(logical_id)
        if isinstance(instance, CustomModel) and not instance.is_created():
            stack.creation_pending = order[index:]  # type: ignore[attr-defined]
            return "waiting"  # AWS waits for the provider's answer before going on
        physical = getattr(instance, "physical_resource_id", "") or ""
        resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical=physical)
    stack.creation_pending = []  # type: ignore[attr-defined]
    return "complete"


def _roll_back(
    stack: moto_cfn.Stack, created: list[str], failed: tuple[str, str, Exception]
) -> None:
    logical_id, resource_type, error = failed
    reason = failure_reason(error)
    resource_event(stack, logical_id, resource_type, "CREATE_FAILED", reason=reason)
    stack_event(
        stack,
        "ROLLBACK_IN_PROGRESS",
        f"The following resource(s) failed to create: [{logical_id}]. Rollback requested by user.",
    )
    resources = stack.template_dict.get("Resources", {})
    instances = guarded(stack).instances() if stack.template_dict else {}
    undeleted = []
    for name in reversed(created):
        body = resources[name]
        if body.get("DeletionPolicy") == "Retain":  # RetainExceptOnCreate is deleted
            instances.pop(name, None)
            resource_event(stack, name, body["Type"], "DELETE_SKIPPED")
        elif delete_resource(stack, name, body, instances.get(name)):
            instances.pop(name, None)
        else:
            undeleted.append(name)
    stack_event(stack, "ROLLBACK_FAILED" if undeleted else "ROLLBACK_COMPLETE")
    logger.warning("stack %s: %s failed: %s", stack.name, logical_id, reason)


def delete_resources(stack: moto_cfn.Stack, retain: set[str]) -> list[str]:
    """Delete the stack's resources, dependents first; the logical ids that failed."""
    resources = stack.template_dict.get("Resources", {})
    instances = guarded(stack).instances()
    needs = dependencies(resources)
    failed: list[str] = []
    kept: set[str] = set()
    created = [r for r in creation_order(resources) if instances.get(r) is not None]
    for logical_id in reversed(created):
        body = resources[logical_id]
        if any(logical_id in needs[other] for other in kept):
            kept.add(logical_id)  # something still there needs it: it stays too
            continue
        if body.get("DeletionPolicy") in RETAINED or logical_id in retain:
            instances.pop(logical_id, None)
            resource_event(stack, logical_id, body["Type"], "DELETE_SKIPPED")
            continue
        if delete_resource(stack, logical_id, body, instances[logical_id]):
            instances.pop(logical_id, None)
        else:
            failed.append(logical_id)
            kept.add(logical_id)
    return failed
