"""Stack creation that fails loudly, with per-resource events, as on AWS.

The gap it closes: moto skips a resource type it does not know with a warning and
still reports `CREATE_COMPLETE`; an exception while creating a resource escapes as an
HTTP 500 and leaves the stack half-built in `REVIEW_IN_PROGRESS`; and it records no
per-resource events, so a deploy tool has nothing to show.

Here creation walks the resources in dependency order (Ref, GetAtt, Sub, DependsOn),
emits `CREATE_IN_PROGRESS` / `CREATE_COMPLETE` per resource, and on the first failure
(an unsupported type, an unsupported property, any error) records `CREATE_FAILED` with
the reason, deletes what was created in reverse order, and ends in `ROLLBACK_COMPLETE`,
which is what AWS does. Updates and deletes that raise end in `UPDATE_ROLLBACK_FAILED`
and `DELETE_FAILED` with the reason, instead of an HTTP 500.

Known limits: updates go through moto's per-model update code, which honours fewer
property changes than AWS; there is no update rollback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from moto.cloudformation import models as moto_cfn
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.utils import generate_stack_id

from messaging.localcloud.seams import moto_urls, use_backend

__all__ = ["LocalCloudFormationBackend", "creation_order", "install", "unsupported_types"]

logger = logging.getLogger(__name__)

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def _references(node: Any) -> set[str]:
    """Logical ids a resource body mentions through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found.update(_SUB_REFERENCE.findall(text))
                found |= _references(value)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Resources ordered so that every dependency comes first (template order otherwise)."""
    depends: dict[str, set[str]] = {}
    for logical_id, body in resources.items():
        explicit = body.get("DependsOn", [])
        explicit = [explicit] if isinstance(explicit, str) else list(explicit)
        depends[logical_id] = (set(explicit) | _references(body)) & set(resources)
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


class LocalCloudFormationBackend(moto_cfn.CloudFormationBackend):
    """moto's CloudFormation with AWS's failure semantics and resource events."""

    _url_module = moto_urls("cloudformation")

    def create_stack(
        self,
        name: str,
        template: str,
        parameters: dict[str, Any],
        notification_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        role_arn: str | None = None,
        enable_termination_protection: bool | None = False,
        timeout_in_mins: int | None = None,
        stack_policy_body: str | None = None,
    ) -> moto_cfn.Stack:
        if name in [stack.name for stack in self.stacks.values()]:
            raise AlreadyExistsException(f"Stack {name} already exists")
        stack = moto_cfn.Stack(  # type: ignore[abstract]  # moto's Stack is concrete at runtime
            stack_id=generate_stack_id(name, self.region_name, self.account_id),
            name=name,
            template=template,
            parameters=parameters,
            account_id=self.account_id,
            region_name=self.region_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
            cross_stack_resources=self.exports,
            enable_termination_protection=enable_termination_protection,
            timeout_in_mins=timeout_in_mins,
            stack_policy_body=stack_policy_body,
        )
        self.stacks[stack.stack_id] = stack
        self._provision(stack)
        return stack

    def execute_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.describe_change_set(change_set_name)
        if change_set is None:
            raise ValidationError(stack_name)
        stack = self.stacks[change_set.stack_id]
        if change_set.change_set_type == "CREATE":
            stack.template = change_set.template
            stack.parameters = change_set.parameters
            stack._parse_template()  # noqa: SLF001 - moto's own re-parse of the new template
            stack.description = stack.template_dict.get("Description")
            stack.resource_map = stack._create_resource_map()  # noqa: SLF001
            stack.output_map = stack._create_output_map()  # noqa: SLF001
            self._provision(stack)
            succeeded = stack.status == "CREATE_COMPLETE"
        else:
            succeeded = self._update(stack, change_set)
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"

    def delete_stack(self, name_or_stack_id: str) -> None:
        """Delete in reverse dependency order (moto uses set order, with blind retries)."""
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        if stack is None:
            return  # AWS: deleting a stack that does not exist succeeds
        stack.status = "DELETE_IN_PROGRESS"
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")  # noqa: SLF001
        resources = stack.template_dict.get("Resources", {})
        parsed = stack.resource_map._parsed_resources  # noqa: SLF001 - where moto keeps instances
        created = [r for r in creation_order(resources) if r in parsed]
        if not self._delete_resources(stack, created):
            stack.status = "DELETE_FAILED"
            stack._add_stack_event(  # noqa: SLF001
                "DELETE_FAILED",
                resource_status_reason="One or more resources could not be deleted.",
            )
            return
        for export in stack.exports:
            self.exports.pop(export.name, None)
        del self.stacks[stack.stack_id]
        self.deleted_stacks[stack.stack_id] = stack
        stack.status = "DELETE_COMPLETE"
        stack._add_stack_event("DELETE_COMPLETE")  # noqa: SLF001

    # -- internals -----------------------------------------------------------------

    def _update(self, stack: moto_cfn.Stack, change_set: moto_cfn.ChangeSet) -> bool:
        missing = unsupported_types(
            body.get("Type", "") for body in change_set.template_dict["Resources"].values()
        )
        stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")  # noqa: SLF001
        try:
            if missing:
                raise ValidationError(message=_unsupported_reason(missing))
            change_set.apply()
        except Exception as error:  # noqa: BLE001 - recorded on the stack as AWS does
            stack.status = "UPDATE_ROLLBACK_FAILED"
            stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=str(error))  # noqa: SLF001
            return False
        stack.template = change_set.template
        stack.parameters = change_set.parameters
        stack._parse_template()  # noqa: SLF001
        stack.output_map = stack._create_output_map()  # noqa: SLF001
        stack.status = "UPDATE_COMPLETE"
        stack._add_stack_event("UPDATE_COMPLETE")  # noqa: SLF001
        return True

    def _provision(self, stack: moto_cfn.Stack) -> None:
        """Create every resource in dependency order; roll back on the first failure."""
        stack.status = "CREATE_IN_PROGRESS"
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")  # noqa: SLF001
        resources = stack.template_dict.get("Resources", {})
        created: list[str] = []
        try:
            order = creation_order(resources)
        except ValidationError as error:
            self._roll_back(
                stack, created, failed=(stack.name, "AWS::CloudFormation::Stack", str(error))
            )
            return
        resource_map = stack.resource_map
        for logical_id in order:
            resource_type = resources[logical_id].get("Type", "")
            condition = resources[logical_id].get("Condition")
            if condition and not resource_map.lazy_condition_map[condition]:
                continue
            self._event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
            missing = unsupported_types([resource_type])
            try:
                if missing:
                    raise ValidationError(message=_unsupported_reason(missing))
                instance = resource_map[logical_id]
            except Exception as error:  # noqa: BLE001 - any failure fails the stack, with reason
                self._roll_back(stack, created, failed=(logical_id, resource_type, _reason(error)))
                return
            created.append(logical_id)
            physical = getattr(instance, "physical_resource_id", "") or ""
            self._event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical=physical)
        self._validate_export_uniqueness(stack)
        self.exports.update({export.name: export for export in stack.exports})
        stack.mark_creation_complete()

    def _roll_back(
        self, stack: moto_cfn.Stack, created: list[str], failed: tuple[str, str, str]
    ) -> None:
        logical_id, resource_type, reason = failed
        self._event(stack, logical_id, resource_type, "CREATE_FAILED", reason=reason)
        stack.status = "ROLLBACK_IN_PROGRESS"
        stack._add_stack_event(  # noqa: SLF001
            "ROLLBACK_IN_PROGRESS",
            resource_status_reason=f"The following resource(s) failed to create: [{logical_id}]. "
            "Rollback requested by user.",
        )
        self._delete_resources(stack, created, keep_going=True)
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")  # noqa: SLF001
        logger.warning("stack %s: %s failed: %s", stack.name, logical_id, reason)

    def _delete_resources(
        self, stack: moto_cfn.Stack, created: list[str], *, keep_going: bool = False
    ) -> bool:
        """Delete created resources, dependents first; True if all went (or were retained)."""
        resources = stack.template_dict.get("Resources", {})
        parsed = stack.resource_map._parsed_resources  # noqa: SLF001 - where moto keeps instances
        succeeded = True
        for logical_id in reversed(created):
            body = resources[logical_id]
            if body.get("DeletionPolicy") == "Retain":
                parsed.pop(logical_id, None)
                self._event(stack, logical_id, body["Type"], "DELETE_SKIPPED")
                continue
            self._event(stack, logical_id, body["Type"], "DELETE_IN_PROGRESS")
            try:
                stack.resource_map._delete_resource(parsed[logical_id], body)  # noqa: SLF001
            except Exception as error:  # noqa: BLE001 - recorded as AWS does, with the reason
                self._event(stack, logical_id, body["Type"], "DELETE_FAILED", reason=_reason(error))
                succeeded = False
                if keep_going:
                    continue
                return False
            del parsed[logical_id]
            self._event(stack, logical_id, body["Type"], "DELETE_COMPLETE")
        return succeeded

    @staticmethod
    def _event(
        stack: moto_cfn.Stack,
        logical_id: str,
        resource_type: str,
        status: str,
        *,
        reason: str | None = None,
        physical: str = "",
    ) -> None:
        stack.events.append(
            moto_cfn.Event(
                stack_id=stack.stack_id,
                stack_name=stack.name,
                logical_resource_id=logical_id,
                physical_resource_id=physical,
                resource_type=resource_type,
                resource_status=status,
                resource_status_reason=reason,
                resource_properties=None,
            )
        )


def _unsupported_reason(types: list[str]) -> str:
    return (
        f"Resource type(s) {', '.join(types)} not supported by the local cloud "
        "(moto plus messaging.localcloud plug-ins)"
    )


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {message}"


def install() -> None:
    """Make moto's CloudFormation BackendDict build our backend (idempotent)."""
    use_backend(moto_cfn.cloudformation_backends, LocalCloudFormationBackend)
