"""Deploy and preview: change sets that keep previous values and never surprise with data.

A deploy is a change set, as `aws cloudformation deploy` makes one:

- a parameter that is not given keeps the stack's current value (UsePreviousValue);
  `reset_parameters` puts the others back to their defaults; a first create uses them;
- the change set is read before it runs: if it would replace or remove a resource that
  holds data (`risk`), the deploy is refused and the change set deleted, unless
  `allow_data_loss`;
- "nothing to change" is success; a failed deploy reports the events that say why;
- every call survives a lost answer (`changeset`), so a retried call never applies a
  change set twice;
- a stack left in a failed state is led out of it: ROLLBACK_COMPLETE (a failed first
  deploy) is deleted and created again; UPDATE_ROLLBACK_FAILED is continued when asked
  (`continue_rollback`, with `skip_resources`); DELETE_FAILED is for `destroy`.

`preview` makes the same change set, reads every change and deletes it again: nothing
changes (a stack that did not exist before is deleted with it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from messaging.ops.stack.changeset import (
    change_set_name,
    create_change_set,
    delete_change_set,
    execute_change_set,
)
from messaging.ops.stack.model import (
    DataLossRefusedError,
    DeployError,
    DeployResult,
    Preview,
    ResourceChange,
    StackError,
    StackEvent,
)
from messaging.ops.stack.read import (
    describe_stack,
    failure_cause,
    failure_hint,
    stack_events,
    stack_parameters,
)
from messaging.ops.stack.risk import data_risks
from messaging.ops.stack.template import parameter_list, template_parameters, template_resources
from messaging.ops.stack.watch import Sleep, Watcher, delete_and_wait, wait_change_set

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

__all__ = ["deploy", "preview"]

TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
FAILED_CREATE = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
OnEvent = Callable[[StackEvent], None]


def _outputs(stack: dict[str, Any] | None) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in (stack or {}).get("Outputs", [])}


def _settled(
    cfn: CloudFormationClient, stack_name: str, on_event: OnEvent, sleep: Sleep, timeout: float
) -> dict[str, Any] | None:
    """The stack once no operation runs on it (None if there is none)."""
    stack = describe_stack(cfn, stack_name)
    if stack is None:
        return None
    status = str(stack["StackStatus"])
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        watcher = Watcher(cfn, str(stack["StackId"]), on_event, sleep)
        watcher.mark_seen()
        stack = watcher.wait(timeout)
    return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack


def _rollback_failures(cfn: CloudFormationClient, stack_id: str) -> list[StackEvent]:
    """Resources whose rollback failed, since the stack's last rollback began."""
    events = stack_events(cfn, stack_id)
    starts = [
        i
        for i, e in enumerate(events)
        if e.resource_type == "AWS::CloudFormation::Stack"
        and e.status == "UPDATE_ROLLBACK_IN_PROGRESS"
    ]
    recent = events[starts[-1] :] if starts else events
    return [e for e in recent if e.status == "UPDATE_FAILED"]


def _continue_rollback(
    cfn: CloudFormationClient,
    stack: dict[str, Any],
    skip: list[str],
    on_event: OnEvent,
    sleep: Sleep,
    timeout: float,
) -> dict[str, Any]:
    """ContinueUpdateRollback, then wait; a retry after a lost answer finds it done."""
    stack_id = str(stack["StackId"])
    watcher = Watcher(cfn, stack_id, on_event, sleep)
    watcher.mark_seen()
    try:
        cfn.continue_update_rollback(StackName=stack_id, ResourcesToSkip=skip)
    except ClientError as error:
        now = describe_stack(cfn, stack_id) or {}
        if now.get("StackStatus") == "UPDATE_ROLLBACK_FAILED":
            raise StackError(f"continue-update-rollback refused: {error}") from error
    settled = watcher.wait(timeout)
    if settled["StackStatus"] != "UPDATE_ROLLBACK_COMPLETE":
        raise DeployError(failure_hint(settled), _rollback_failures(cfn, stack_id))
    return settled


def _stuck(cfn: CloudFormationClient, stack: dict[str, Any]) -> StackError:
    if stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED":
        failures = _rollback_failures(cfn, str(stack["StackId"]))
        return DeployError(failure_hint(stack), failures)
    return StackError(failure_hint(stack, failure_cause(cfn, str(stack["StackId"]))))


def _failure_message(stack_name: str, stack: dict[str, Any]) -> str:
    status = stack["StackStatus"]
    if status == "ROLLBACK_COMPLETE":
        return (
            f"stack {stack_name} failed to create and was rolled back (ROLLBACK_COMPLETE); "
            "fix the cause below and deploy again"
        )
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return (
            f"the update of {stack_name} failed and was rolled back: the stack is as it was "
            "(UPDATE_ROLLBACK_COMPLETE); fix the cause below and deploy again"
        )
    return failure_hint(stack)


@dataclass
class _ChangeSet:
    """A created change set, read in full."""

    kind: Literal["CREATE", "UPDATE"]
    kept: list[str]
    change_set_id: str
    stack_id: str
    described: dict[str, Any]

    @property
    def no_changes(self) -> bool:
        reason = str(self.described.get("StatusReason", ""))
        return self.described["Status"] == "FAILED" and any(m in reason for m in NO_CHANGES)

    @property
    def changes(self) -> list[ResourceChange]:
        return [
            ResourceChange.from_api(c["ResourceChange"])
            for c in self.described.get("Changes", [])
            if "ResourceChange" in c
        ]


def _create_change_set(
    cfn: CloudFormationClient,
    stack: dict[str, Any] | None,
    stack_name: str,
    template_body: str,
    parameters: dict[str, str],
    *,
    reset: bool,
    sleep: Sleep,
    timeout: float,
) -> _ChangeSet:
    """CREATE for a stack that is not there (or only reviewed), else UPDATE keeping values."""
    kind: Literal["CREATE", "UPDATE"] = (
        "UPDATE" if stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
    )
    current = stack_parameters(stack) if stack is not None and kind == "UPDATE" else None
    declared = template_parameters(template_body)
    listed, kept = parameter_list(declared, parameters, current, reset=reset)
    change_set_id, stack_id = create_change_set(
        cfn, stack_name, change_set_name(), template_body, listed, kind
    )
    try:
        described = wait_change_set(cfn, change_set_id, sleep, timeout)
    except Exception:
        delete_change_set(cfn, change_set_id)
        raise
    return _ChangeSet(kind, kept, change_set_id, stack_id, described)


def preview(
    cfn: CloudFormationClient,
    stack_name: str,
    template_body: str,
    parameters: dict[str, str],
    *,
    reset_parameters: bool = False,
    sleep: Sleep = time.sleep,
    timeout: float = 1800.0,
) -> Preview:
    """Every change a deploy would make, with Replacement; nothing is changed."""
    stack = describe_stack(cfn, stack_name)
    status = str(stack["StackStatus"]) if stack else None
    if stack is not None and status in FAILED_CREATE:
        # The deploy deletes the failed stack and creates every resource again.
        changes = [
            ResourceChange(action="Add", logical_id=name, resource_type=kind)
            for name, kind in template_resources(template_body).items()
        ]
        return Preview(
            stack_name=stack_name,
            change_set_type="CREATE",
            status=status,
            parameters=parameters,
            kept=[],
            changes=changes,
            risks=[],
            replaces_failed_stack=True,
        )
    if stack is not None and (
        status in ("UPDATE_ROLLBACK_FAILED", "DELETE_FAILED")
        or (str(status).endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS")
    ):
        raise StackError(failure_hint(stack) + "; preview once it has left that state")
    planned = _create_change_set(
        cfn,
        stack,
        stack_name,
        template_body,
        parameters,
        reset=reset_parameters,
        sleep=sleep,
        timeout=timeout,
    )
    delete_change_set(cfn, planned.change_set_id)
    if stack is None:  # the dry run made an empty REVIEW_IN_PROGRESS stack: remove it
        cfn.delete_stack(StackName=planned.stack_id)
    if planned.described["Status"] == "FAILED" and not planned.no_changes:
        reason = planned.described.get("StatusReason", "")
        raise DeployError(f"change set failed: {reason}", [])
    changes = planned.changes
    return Preview(
        stack_name=stack_name,
        change_set_type=planned.kind,
        status=status,
        parameters=parameters,
        kept=planned.kept,
        changes=changes,
        risks=data_risks(changes) if planned.kind == "UPDATE" else [],
        no_changes=planned.no_changes,
    )


def deploy(
    cfn: CloudFormationClient,
    stack_name: str,
    template_body: str,
    parameters: dict[str, str],
    *,
    reset_parameters: bool = False,
    allow_data_loss: bool = False,
    continue_rollback: bool = False,
    skip_resources: list[str] | None = None,
    on_event: OnEvent = lambda _: None,
    sleep: Sleep = time.sleep,
    timeout: float = 1800.0,
) -> DeployResult:
    """Create or update the stack through a change set and wait for it to settle."""
    notes: list[str] = []
    stack = _settled(cfn, stack_name, on_event, sleep, timeout)
    if stack is not None and stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED":
        if not continue_rollback:
            raise _stuck(cfn, stack)
        stack = _continue_rollback(cfn, stack, skip_resources or [], on_event, sleep, timeout)
        notes.append("continued the failed rollback: the stack is back to its last good state")
    elif continue_rollback:
        state = stack["StackStatus"] if stack else "not there"
        notes.append(f"no rollback to continue: the stack is {state}")
    if stack is not None and stack["StackStatus"] == "DELETE_FAILED":
        raise _stuck(cfn, stack)
    if stack is not None and stack["StackStatus"] in FAILED_CREATE:
        # Neither can be updated; AWS requires deleting them before creating again.
        delete_and_wait(cfn, str(stack["StackId"]), on_event, sleep, timeout)
        notes.append(f"deleted the failed stack ({stack['StackStatus']}) to create it again")
        stack = None
    planned = _create_change_set(
        cfn,
        stack,
        stack_name,
        template_body,
        parameters,
        reset=reset_parameters,
        sleep=sleep,
        timeout=timeout,
    )
    kept = planned.kept
    if planned.described["Status"] == "FAILED":
        delete_change_set(cfn, planned.change_set_id)
        if planned.no_changes:
            status = str(stack["StackStatus"]) if stack else ""
            return DeployResult(
                stack_name, status, changed=False, outputs=_outputs(stack), kept=kept, notes=notes
            )
        reason = planned.described.get("StatusReason", "")
        raise DeployError(f"change set failed: {reason}; nothing was changed", [])
    changes = planned.changes
    risks = data_risks(changes) if planned.kind == "UPDATE" else []
    if risks and not allow_data_loss:
        delete_change_set(cfn, planned.change_set_id)
        raise DataLossRefusedError(stack_name, risks)
    # Everything this execution does happens after the change set was created: no need
    # to read the stack's whole history first.
    since = planned.described.get("CreationTime")
    watcher = Watcher(cfn, planned.stack_id, on_event, sleep, since=since)
    note = execute_change_set(cfn, planned.change_set_id)
    if note:
        notes.append(note)
    final = watcher.wait(timeout)
    if final["StackStatus"] not in TERMINAL_OK:
        raise DeployError(_failure_message(stack_name, final), watcher.failures())
    return DeployResult(
        stack_name,
        str(final["StackStatus"]),
        changed=True,
        outputs=_outputs(final),
        events=watcher.history,
        changes=changes,
        kept=kept,
        notes=notes,
    )
