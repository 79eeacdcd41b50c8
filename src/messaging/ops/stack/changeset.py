"""Change set calls that survive a lost answer.

botocore retries a call whose connection dropped, and a call can be served before the
connection drops: the retry is then a second request for something already done. Each
call of the deploy path either is idempotent or has its retry recognised:

- CreateChangeSet carries a ClientToken, so CloudFormation answers a retry with the
  same change set; a server that ignores tokens answers AlreadyExistsException for the
  name (unique per deploy), and then the change set is looked up by name: it is ours;
- ExecuteChangeSet on a change set that already runs answers InvalidChangeSetStatus;
  if the change set shows that it is executing or executed, that was our first call,
  and the deploy goes on to watch it;
- DeleteChangeSet answered ChangeSetNotFound is done;
- everything else is a read.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from messaging.ops.stack.model import StackError
from messaging.ops.stack.read import error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef

__all__ = [
    "CAPABILITIES",
    "change_set_name",
    "create_change_set",
    "delete_change_set",
    "execute_change_set",
]

CAPABILITIES: list[Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]] = [
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
]
EXECUTING = ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED")


def change_set_name() -> str:
    """Unique per deploy: the time for people, random bits so two deploys never collide."""
    return f"messaging-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


def create_change_set(
    cfn: CloudFormationClient,
    stack_name: str,
    name: str,
    template_body: str,
    parameters: list[ParameterTypeDef],
    change_set_type: Literal["CREATE", "UPDATE"],
) -> tuple[str, str]:
    """(change set id, stack id), also when an earlier attempt was served but not answered."""
    try:
        created = cfn.create_change_set(
            StackName=stack_name,
            ChangeSetName=name,
            ChangeSetType=change_set_type,
            TemplateBody=template_body,
            Parameters=parameters,
            Capabilities=CAPABILITIES,
            ClientToken=name,
            Description="messaging deploy",
        )
    except ClientError as error:
        if error_code(error) != "AlreadyExistsException":
            raise
        described = cfn.describe_change_set(ChangeSetName=name, StackName=stack_name)
        return str(described["ChangeSetId"]), str(described["StackId"])
    return str(created["Id"]), str(created["StackId"])


def execute_change_set(cfn: CloudFormationClient, change_set_id: str) -> str | None:
    """Start the change set; a note when an earlier, unanswered call had already started it."""
    try:
        cfn.execute_change_set(ChangeSetName=change_set_id)
    except ClientError as error:
        if error_code(error) != "InvalidChangeSetStatus":
            raise
        status = str(cfn.describe_change_set(ChangeSetName=change_set_id)["ExecutionStatus"])
        if status not in EXECUTING:
            raise StackError(
                f"the change set cannot be executed ({status}): {error}; deploy again"
            ) from error
        return (
            "the answer to ExecuteChangeSet was lost and the retry was refused "
            f"(InvalidChangeSetStatus): the change set was already {status}, so it ran once"
        )
    return None


def delete_change_set(cfn: CloudFormationClient, change_set_id: str) -> None:
    try:
        cfn.delete_change_set(ChangeSetName=change_set_id)
    except ClientError as error:
        if error_code(error) not in ("ChangeSetNotFound", "ChangeSetNotFoundException"):
            raise
