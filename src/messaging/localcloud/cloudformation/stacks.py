"""Stacks and change sets with CloudFormation's semantics, failures included.

The gap it closes: moto skips a resource type it does not know and still reports
`CREATE_COMPLETE`; an exception while creating a resource escapes as an HTTP 500 and
leaves the stack half-built; it records no per-resource events; its change sets report
no parameter-only change and no Replacement; executing a change set twice applies it
twice; a failed stack answers every DescribeStacks with a 500 (its outputs re-create
the rolled-back resources); DeleteStack ignores RetainResources and
RetainExceptOnCreate, and there is no ContinueUpdateRollback.

Here, as on AWS:

- creation walks the resources in dependency order with per-resource events; the first
  failure records `CREATE_FAILED` with the reason and rolls back (`lifecycle`), ending in
  `ROLLBACK_COMPLETE`, or `ROLLBACK_FAILED` if something could not be deleted;
- `CreateChangeSet` plans every change (`changes`), refuses a name the stack already
  has unless the same `ClientToken` is retried (then it answers the same change set),
  refuses unknown parameters and ones left without a value;
- `ExecuteChangeSet` runs only an AVAILABLE change set (else `InvalidChangeSetStatus`),
  and discards the stack's other change sets; updates follow `updates`;
- `DeleteStack` deletes dependents first, keeps what DeletionPolicy (Retain,
  RetainExceptOnCreate) or `RetainResources` (only for a DELETE_FAILED stack) keeps,
  and ends in `DELETE_FAILED` naming what could not be deleted;
- a failed stack's outputs and resources are read without re-creating anything (`maps`).

Known limits: everything runs synchronously inside the API call; no stack policies, no
drift, no nested-stack change sets.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models as moto_cfn
from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.utils import (
    generate_changeset_id,
    generate_stack_id,
    validate_create_change_set,
)

from messaging.localcloud.cloudformation.changes import StackView, parameter_values, plan_changes
from messaging.localcloud.cloudformation.custom_resources import CustomResourceAnswers
from messaging.localcloud.cloudformation.errors import (
    ChangeSetNotFoundError,
    InvalidChangeSetStatusError,
)
from messaging.localcloud.cloudformation.events import stack_event
from messaging.localcloud.cloudformation.lifecycle import (
    create_resources,
    delete_resources,
    guarded,
)
from messaging.localcloud.cloudformation.stack_model import Stack as LocalStack
from messaging.localcloud.cloudformation.template_checks import pseudo_for, validate_request
from messaging.localcloud.cloudformation.updates import (
    StackUpdate,
    continue_rollback,
    pseudo_parameters,
)
from messaging.localcloud.seams import use_backend

__all__ = ["LocalChangeSet", "LocalCloudFormationBackend", "install"]

UPDATABLE = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
}
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)


class LocalChangeSet(moto_cfn.ChangeSet):
    """moto's change set, planned by `changes` and remembering its ClientToken."""

    def __init__(self, *args: Any, client_token: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_token = client_token

    def diff(self) -> list[moto_cfn.Change]:
        return []  # the backend plans the changes, with the parameters resolved


def _not_updatable(stack: moto_cfn.Stack) -> ValidationError:
    return ValidationError(
        message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
    )


class LocalCloudFormationBackend(CustomResourceAnswers, moto_cfn.CloudFormationBackend):
    """moto's CloudFormation with AWS's failure semantics and resource events."""

    # Our response class (ClientToken, RetainResources, ContinueUpdateRollback) serves it.
    @property
    def _url_module(self) -> Any:
        from messaging.localcloud.cloudformation import urls  # noqa: PLC0415 - cycle

        return urls

    # -- stacks ----------------------------------------------------------------------

    def _live_stack(self, name_or_id: str) -> moto_cfn.Stack | None:
        return self.stacks.get(name_or_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_id), None
        )

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
        if self._live_stack(name) is not None:
            raise AlreadyExistsException(f"Stack [{name}] already exists")
        template_dict = moto_cfn.Stack.parse_template(template)
        if isinstance(template_dict, dict):
            pseudo = pseudo_for(name, self.region_name, self.account_id)
            validate_request(template_dict, parameters, pseudo, self.exports)
        stack = LocalStack(  # type: ignore[abstract]  # moto's Stack is concrete at runtime
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

    def update_stack(
        self,
        name: str,
        template: str,
        role_arn: str | None,
        parameters: list[dict[str, Any]],
        tags: dict[str, str] | None,
    ) -> moto_cfn.Stack:
        stack = self.get_stack(name)
        if stack.status not in UPDATABLE:
            raise _not_updatable(stack)
        previous = parameter_values(stack.template_dict, stack.parameters)
        given = {
            p["ParameterKey"]: _text(previous[p["ParameterKey"]])
            if p.get("UsePreviousValue")
            else p["ParameterValue"]
            for p in parameters
        }
        template_dict = moto_cfn.Stack.parse_template(template)
        validate_request(template_dict, given, pseudo_parameters(stack), self._other_exports(stack))
        StackUpdate(stack, template, template_dict, given).run()
        stack.role_arn = role_arn
        if tags is not None:
            stack.tags = tags
        return stack

    def delete_stack(
        self, name_or_stack_id: str, retain_resources: list[str] | None = None
    ) -> None:
        """Delete dependents first; keep what the policies and RetainResources keep."""
        stack = self._live_stack(name_or_stack_id)
        if stack is None:
            return  # AWS: deleting a stack that does not exist succeeds
        retain = set(retain_resources or [])
        if retain and stack.status != "DELETE_FAILED":
            raise ValidationError(
                message=f"Invalid operation on stack [{stack.stack_id}]. RetainResources can "
                "only be specified when the stack is in the DELETE_FAILED state."
            )
        resources = guarded(stack)
        if retain - set(resources.created()):
            raise ValidationError(
                message="The specified resources to retain must be in a valid state. Do not "
                "specify resources that are in the DELETE_COMPLETE state."
            )
        stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
        failed = delete_resources(stack, retain)
        if failed:
            stack_event(
                stack,
                "DELETE_FAILED",
                f"The following resource(s) failed to delete: [{', '.join(failed)}]. ",
            )
            return
        for export in stack.exports:
            self.exports.pop(export.name, None)
        del self.stacks[stack.stack_id]
        self.deleted_stacks[stack.stack_id] = stack
        stack_event(stack, "DELETE_COMPLETE")

    def continue_update_rollback(self, stack_name: str, resources_to_skip: list[str]) -> None:
        continue_rollback(self.get_stack(stack_name), resources_to_skip)

    # -- change sets -----------------------------------------------------------------

    def create_change_set(
        self,
        stack_name: str,
        change_set_name: str,
        template: str,
        parameters: dict[str, str],
        description: str,
        change_set_type: str,
        notification_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        role_arn: str | None = None,
        client_token: str | None = None,
    ) -> tuple[str, str]:
        validate_create_change_set(change_set_name)
        stack = self._live_stack(stack_name)
        if stack is not None:
            # An executed change set's name may be used again (moto's own tests rely on it).
            same = next(
                (
                    c
                    for c in self.change_sets.values()
                    if c.stack_id == stack.stack_id
                    and c.change_set_name == change_set_name
                    and c.execution_status not in ("EXECUTE_COMPLETE", "EXECUTE_FAILED")
                ),
                None,
            )
            if same is not None:
                if client_token and getattr(same, "client_token", None) == client_token:
                    return same.change_set_id, same.stack_id  # a retry of the same request
                raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
        template_dict = moto_cfn.Stack.parse_template(template)
        if not isinstance(template_dict, dict) or "Resources" not in template_dict:
            raise ValidationError(
                message="Template format error: At least one Resources member must be defined."
            )
        pseudo = (
            pseudo_parameters(stack)
            if stack is not None
            else pseudo_for(stack_name, self.region_name, self.account_id)
        )
        validate_request(template_dict, parameters, pseudo, self._other_exports(stack))
        if change_set_type == "UPDATE":
            if stack is None:
                raise ValidationError(message=f"Stack [{stack_name}] does not exist")
            if stack.status not in UPDATABLE:
                raise _not_updatable(stack)
        elif stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise ValidationError(
                message=f"Stack [{stack_name}] already exists and cannot be created again "
                f"with the changeSet [{change_set_name}]."
            )
        elif stack is None:
            stack = self._review_stack(stack_name, parameters, notification_arns, tags, role_arn)
        change_set = LocalChangeSet(
            change_set_type=change_set_type,
            change_set_id=generate_changeset_id(change_set_name, self.region_name, self.account_id),
            change_set_name=change_set_name,
            stack=stack,
            template=template,
            parameters=parameters,
            description=description,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
            client_token=client_token,
        )
        pseudo = pseudo_parameters(stack)
        old = StackView(
            stack.template_dict, parameter_values(stack.template_dict, stack.parameters), pseudo
        )
        new = StackView(template_dict, parameter_values(template_dict, parameters), pseudo)
        instances = guarded(stack).instances() if stack.template_dict else {}
        planned: list[moto_cfn.Change] = list(plan_changes(old, new, instances).changes)
        change_set.changes = planned
        if change_set_type == "UPDATE" and (old.template, old.parameters) == (
            new.template,
            new.parameters,
        ):
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = NO_CHANGES
        else:
            change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
        self.change_sets[change_set.change_set_id] = change_set
        return change_set.change_set_id, stack.stack_id

    def _review_stack(
        self,
        name: str,
        parameters: dict[str, str],
        notification_arns: list[str] | None,
        tags: dict[str, str] | None,
        role_arn: str | None,
    ) -> moto_cfn.Stack:
        stack = LocalStack(  # type: ignore[abstract]  # moto's Stack is concrete at runtime
            stack_id=generate_stack_id(name, self.region_name, self.account_id),
            name=name,
            template={},  # moto's own marker for "no template yet"
            parameters=parameters,
            account_id=self.account_id,
            region_name=self.region_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
        )
        self.stacks[stack.stack_id] = stack
        stack_event(stack, "REVIEW_IN_PROGRESS", "User Initiated")
        return stack

    def _change_set(self, name: str) -> moto_cfn.ChangeSet:
        found = self.change_sets.get(name) or next(
            (c for c in reversed(self.change_sets.values()) if c.change_set_name == name), None
        )
        if found is None:
            raise ChangeSetNotFoundError(name)
        return found

    def list_change_sets_of(self, stack_name: str) -> list[moto_cfn.ChangeSet]:
        stack = self._live_stack(stack_name)
        if stack is None:
            raise ValidationError(stack_name)
        return [c for c in self.change_sets.values() if c.stack_id == stack.stack_id]

    def describe_change_set(self, change_set_name: str) -> moto_cfn.ChangeSet:
        return self._change_set(change_set_name)

    def delete_change_set(self, change_set_name: str) -> None:
        del self.change_sets[self._change_set(change_set_name).change_set_id]

    def execute_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self._change_set(change_set_name)
        if change_set.execution_status != "AVAILABLE":
            # A retry of a call whose answer was lost lands here, as on AWS.
            raise InvalidChangeSetStatusError(
                change_set.change_set_id, str(change_set.execution_status)
            )
        stack = self.stacks[change_set.stack_id]
        if change_set.change_set_type == "UPDATE" and stack.status not in UPDATABLE:
            raise _not_updatable(stack)
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        for other in [c for c in self.change_sets.values() if c.stack_id == stack.stack_id]:
            if other is not change_set:  # executing one invalidates the stack's others
                del self.change_sets[other.change_set_id]
        if change_set.change_set_type == "CREATE":
            stack.template = change_set.template
            stack.parameters = change_set.parameters
            stack._parse_template()  # noqa: SLF001 - moto's own parse of the new template
            stack.description = stack.template_dict.get("Description")
            self._provision(stack)
            if stack.status == "CREATE_IN_PROGRESS":
                return  # waiting for a custom resource; its answer completes the change set
            succeeded = stack.status == "CREATE_COMPLETE"
        else:
            succeeded = StackUpdate(
                stack, change_set.template, change_set.template_dict, change_set.parameters
            ).run()
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"

    # -- internals -------------------------------------------------------------------

    def _other_exports(self, stack: moto_cfn.Stack | None) -> dict[str, Any]:
        """Exports a stack may import: every other stack's (its own come from itself)."""
        if stack is None:
            return dict(self.exports)
        return {n: e for n, e in self.exports.items() if e.exporting_stack_id != stack.stack_id}

    def _provision(self, stack: moto_cfn.Stack) -> None:
        if create_resources(stack) == "complete":
            self._complete(stack)

    def _complete(self, stack: moto_cfn.Stack) -> None:
        self._validate_export_uniqueness(stack)
        self.exports.update({export.name: export for export in stack.exports})
        stack.mark_creation_complete()


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def install() -> None:
    """Make moto's CloudFormation BackendDict build our backend (idempotent)."""
    use_backend(moto_cfn.cloudformation_backends, LocalCloudFormationBackend)
