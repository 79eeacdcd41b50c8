"""Reading a stack: its status, outputs, events and resources.

Stack outputs are the only way the rest of the code finds resources. A stack that never
finished creating (or is half deleted) has no outputs to trust, so reading them says
what state it is in and what to do, instead of handing back a partial set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import ClientError
from pydantic import ValidationError

from messaging.ops.stack.model import StackError, StackEvent, StackOutputs

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import StackEventTypeDef

__all__ = [
    "NOT_CREATED",
    "StackResource",
    "describe_stack",
    "error_code",
    "failure_cause",
    "failure_hint",
    "read_outputs",
    "stack_events",
    "stack_outputs",
    "stack_parameters",
    "stack_resources",
]

# States in which the stack's resources were never (or are no longer) all there.
NOT_CREATED = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS", "DELETE_FAILED"}


class StackResource(NamedTuple):
    logical_id: str
    resource_type: str
    physical_id: str
    status: str


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def describe_stack(cfn: CloudFormationClient, name: str) -> dict[str, Any] | None:
    """The stack as DescribeStacks shows it, or None if there is no such stack."""
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def stack_parameters(stack: dict[str, Any]) -> dict[str, str]:
    return {
        str(p["ParameterKey"]): str(p.get("ParameterValue", ""))
        for p in stack.get("Parameters", [])
    }


def failure_cause(cfn: CloudFormationClient, stack_id: str) -> str | None:
    """The reason of the stack's latest failed resource event, if any."""
    for event in reversed(stack_events(cfn, stack_id)):
        if event.failed and event.reason and event.resource_type != "AWS::CloudFormation::Stack":
            return f"{event.logical_id}: {event.reason}"
    return None


def failure_hint(stack: dict[str, Any], cause: str | None = None) -> str:
    """What state a stack is stuck in, why, and the command that leaves it."""
    name, status = stack["StackName"], stack["StackStatus"]
    reason = cause or stack.get("StackStatusReason")
    why = f" ({reason.strip()})" if reason else ""
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        return (
            f"stack {name} failed to create: {status}{why}; fix the cause and run "
            "`messaging deploy` again (it deletes the failed stack first), or `messaging destroy`"
        )
    if status == "DELETE_FAILED":
        return (
            f"stack {name} is DELETE_FAILED{why}; run `messaging destroy` to finish deleting it "
            "(add --retain LOGICAL_ID for a resource that cannot be deleted)"
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        return (
            f"stack {name} is UPDATE_ROLLBACK_FAILED{why}; run `messaging deploy "
            "--continue-rollback` (add --skip-resource LOGICAL_ID for a resource that cannot "
            "be rolled back)"
        )
    if status == "REVIEW_IN_PROGRESS":
        return f"stack {name} was never created (REVIEW_IN_PROGRESS); run `messaging deploy`"
    return f"stack {name} is {status}{why}"


def read_outputs(cfn: CloudFormationClient, stack_name: str) -> dict[str, str]:
    stack = describe_stack(cfn, stack_name)
    if stack is None:
        raise StackError(f"stack {stack_name!r} does not exist; run `messaging deploy` first")
    if stack["StackStatus"] in NOT_CREATED:
        raise StackError(failure_hint(stack, failure_cause(cfn, str(stack["StackId"]))))
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}


def stack_outputs(cfn: CloudFormationClient, stack_name: str) -> StackOutputs:
    outputs = read_outputs(cfn, stack_name)
    try:
        return StackOutputs.model_validate(outputs)
    except ValidationError as error:
        missing = sorted(str(e["loc"][0]) for e in error.errors())
        raise StackError(
            f"stack {stack_name!r} lacks outputs {missing}; was it deployed from infra.yaml?"
        ) from error


def stack_events(cfn: CloudFormationClient, stack_id: str) -> list[StackEvent]:
    """All events of a stack, oldest first (the API pages newest first)."""
    collected: list[StackEventTypeDef] = []
    paginator = cfn.get_paginator("describe_stack_events")
    for page in paginator.paginate(StackName=stack_id):
        collected.extend(page["StackEvents"])
    return [
        StackEvent(
            event_id=e["EventId"],
            logical_id=e.get("LogicalResourceId", ""),
            resource_type=e.get("ResourceType", ""),
            status=str(e.get("ResourceStatus", "")),
            reason=e.get("ResourceStatusReason"),
            timestamp=e.get("Timestamp"),
        )
        for e in reversed(collected)
    ]


def stack_resources(cfn: CloudFormationClient, stack_name: str) -> list[StackResource]:
    """Every resource of the stack that still exists."""
    found = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            status = str(summary.get("ResourceStatus", ""))
            if status == "DELETE_COMPLETE" or not summary.get("PhysicalResourceId"):
                continue
            found.append(
                StackResource(
                    str(summary["LogicalResourceId"]),
                    str(summary["ResourceType"]),
                    str(summary["PhysicalResourceId"]),
                    status,
                )
            )
    return found
