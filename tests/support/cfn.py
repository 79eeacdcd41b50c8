"""CloudFormation steps the stack tests repeat: change sets end to end, and what they did."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

_names = itertools.count(1)


def change_set(
    cfn: CloudFormationClient,
    stack_name: str,
    body: str,
    parameters: dict[str, str] | None = None,
    *,
    previous: tuple[str, ...] = (),
    kind: str | None = None,
) -> dict[str, Any]:
    """Create a change set (CREATE when the stack does not exist) and describe it."""
    if kind is None:
        existing = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == stack_name]
        alive = [s for s in existing if s["StackStatus"] not in ("DELETE_COMPLETE",)]
        kind = "UPDATE" if alive and alive[0]["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
    listed: list[Any] = [
        {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
    ]
    listed += [{"ParameterKey": k, "UsePreviousValue": True} for k in previous]
    created = cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName=f"cs-{next(_names)}",
        ChangeSetType=kind,  # type: ignore[arg-type]
        TemplateBody=body,
        Parameters=listed,
        Capabilities=["CAPABILITY_IAM"],
    )
    return dict(cfn.describe_change_set(ChangeSetName=created["Id"]))


def apply(
    cfn: CloudFormationClient,
    stack_name: str,
    body: str,
    parameters: dict[str, str] | None = None,
    *,
    previous: tuple[str, ...] = (),
) -> str:
    """Create and execute a change set; the stack's status afterwards."""
    described = change_set(cfn, stack_name, body, parameters, previous=previous)
    cfn.execute_change_set(ChangeSetName=described["ChangeSetId"])
    return str(cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"])


def changes(described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> ResourceChange of a described change set."""
    return {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]
    }


def resource_statuses(cfn: CloudFormationClient, stack_name: str) -> list[tuple[str, str]]:
    """(logical id, status) of every event, oldest first."""
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]
