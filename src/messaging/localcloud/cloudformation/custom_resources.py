"""Custom resources that complete when their provider answers, as on AWS.

The gap it closes: moto marked a stack with a custom resource complete before the
provider answered, and created the resources that depend on it with no data; a FAILED
answer was ignored. Here creation stops at the custom resource (`lifecycle`); the
provider's answer on the response URL (`responses.process_cfn_response`) lands here:
SUCCESS stores its Data and PhysicalResourceId and creation goes on, FAILED fails the
resource with the provider's Reason and rolls the stack back.

Known limits: only creation waits; an update or deletion of a custom resource does not
call its provider (moto's behaviour); there is no one-hour timeout.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from moto.cloudformation import models as moto_cfn
from moto.cloudformation.exceptions import ValidationError

from messaging.localcloud.cloudformation.lifecycle import resume_creation

__all__ = ["CustomResourceAnswers"]


class _Backend(Protocol):
    change_sets: dict[str, moto_cfn.ChangeSet]

    def get_stack(self, name_or_stack_id: str) -> moto_cfn.Stack: ...

    def _complete(self, stack: moto_cfn.Stack) -> None: ...


class CustomResourceAnswers:
    """Backend mixin (before moto's CloudFormationBackend): providers' answers."""

    def custom_resource_answered(self, answer: dict[str, Any]) -> None:
        """A provider's answer on the response URL: the resource completes or fails."""
        backend = cast("_Backend", self)
        stack = backend.get_stack(str(answer.get("StackId")))
        logical_id = str(answer.get("LogicalResourceId"))
        try:
            resource = stack.get_custom_resource(logical_id)
        except KeyError:
            raise ValidationError(
                message=f"Stack {stack.name} has no custom resource {logical_id}"
            ) from None
        status = answer.get("Status")
        failure: str | None = None
        if status == "SUCCESS":
            resource.set_data(answer.get("Data") or {})
            if answer.get("PhysicalResourceId"):
                resource.resource_name = str(answer["PhysicalResourceId"])
        elif status == "FAILED":
            failure = (
                "Received response status [FAILED] from custom resource. Message returned: "
                f"{answer.get('Reason') or 'See the details in CloudWatch Log Stream'}"
            )
        else:
            raise ValidationError(message=f"Status must be SUCCESS or FAILED, not {status}")
        outcome = resume_creation(stack, logical_id, failure)
        if outcome == "complete":
            backend._complete(stack)  # noqa: SLF001 - the backend's own step
        if outcome != "waiting":
            for change_set in backend.change_sets.values():
                if (change_set.stack_id, change_set.execution_status) == (
                    stack.stack_id,
                    "EXECUTE_IN_PROGRESS",
                ):
                    change_set.execution_status = (
                        "EXECUTE_COMPLETE" if outcome == "complete" else "EXECUTE_FAILED"
                    )
