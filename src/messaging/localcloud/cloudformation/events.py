"""Stack and resource events, recorded the way CloudFormation records them.

moto records stack-level events only; a deploy tool needs one event per resource and
step, with the reason when it fails. Written once here for creation, update, rollback
and deletion.
"""

from __future__ import annotations

from moto.cloudformation import models as moto_cfn

__all__ = ["failure_reason", "resource_event", "stack_event"]


def resource_event(
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


def stack_event(stack: moto_cfn.Stack, status: str, reason: str | None = None) -> None:
    """The stack's own status line (moto's helper also notifies the stack's SNS topics)."""
    stack.status = status
    # DescribeStacks' StackStatusReason: moto's serializer reads this attribute when set.
    stack.stack_status_reason = reason  # type: ignore[attr-defined]
    stack._add_stack_event(status, resource_status_reason=reason)  # noqa: SLF001 - moto's own


def failure_reason(error: Exception) -> str:
    """What a failed resource event says: the error's type and AWS-style message."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {message}"
