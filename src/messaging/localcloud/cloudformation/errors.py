"""CloudFormation errors moto does not raise, with AWS's codes (the model sets the status)."""

from __future__ import annotations

from moto.cloudformation.exceptions import CloudFormationError

__all__ = ["ChangeSetNotFoundError", "CustomResourceFailedError", "InvalidChangeSetStatusError"]


class InvalidChangeSetStatusError(CloudFormationError):
    """ExecuteChangeSet on a change set that is not AVAILABLE (e.g. already executed)."""

    code = "InvalidChangeSetStatus"

    def __init__(self, change_set_id: str, status: str) -> None:
        super().__init__(
            f"ChangeSet [{change_set_id}] cannot be executed in its current execution "
            f"status of [{status}]"
        )


class ChangeSetNotFoundError(CloudFormationError):
    code = "ChangeSetNotFound"

    def __init__(self, name: str) -> None:
        super().__init__(f"ChangeSet [{name}] does not exist")


class CustomResourceFailedError(CloudFormationError):
    """A custom resource's provider answered FAILED: the resource fails with its reason."""

    code = "CustomResourceFailed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
