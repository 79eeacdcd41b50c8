"""Deploy, destroy and read the stack through CloudFormation, on any endpoint.

Deploys use change sets, as `aws cloudformation deploy` does: the change set shows
what will change, an update with nothing to change is a no-op rather than an error,
and a failed deploy reports the events that say why. Stack outputs are the only way
the rest of the code finds resources.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import StackEventTypeDef
    from mypy_boto3_s3 import S3Client

__all__ = [
    "DeployError",
    "DeployResult",
    "StackError",
    "StackEvent",
    "StackOutputs",
    "default_template_path",
    "deploy",
    "destroy",
    "empty_bucket",
    "parse_parameters",
    "read_outputs",
    "stack_outputs",
    "template_parameters",
]

CAPABILITIES: list[Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]] = [
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
]
TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"}
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class StackError(Exception):
    """Base error of this module: the message says what to do."""


class StackEvent(BaseModel):
    """One line of a stack's history, as a deploy shows it."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status.endswith("FAILED")


class DeployError(StackError):
    def __init__(self, message: str, events: list[StackEvent]) -> None:
        super().__init__(message)
        self.events = events


class StackOutputs(BaseModel):
    """The contract of DESIGN.md: every output the code relies on."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TopicArn: str
    OrdersQueueUrl: str
    PaymentsQueueUrl: str
    OrdersDlqUrl: str
    PaymentsDlqUrl: str
    DeliveryStreamName: str
    LakeBucketName: str
    OrdersTableName: str
    PaymentsTableName: str


@dataclass
class DeployResult:
    stack_name: str
    status: str
    changed: bool
    outputs: dict[str, str] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)


def default_template_path() -> Path:
    """The template shipped inside the package, so a wheel or a pipx install can deploy."""
    return Path(str(resources.files("messaging.infra").joinpath("infra.yaml")))


def template_parameters(template_body: str) -> dict[str, Any]:
    """Declared parameters of a template (YAML or JSON), tolerating CFN short tags."""

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    document = yaml.load(template_body, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    parameters = document.get("Parameters", {}) if isinstance(document, dict) else {}
    return dict(parameters)


def parse_parameters(pairs: list[str], declared: dict[str, Any]) -> dict[str, str]:
    """`KEY=VALUE` pairs checked against the template, so typos fail before deploying."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise StackError(f"parameter {pair!r} is not KEY=VALUE")
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise StackError(f"unknown parameter {key!r}; the template declares: {known}")
        parsed[key] = value
    return parsed


def _stack(cfn: CloudFormationClient, name: str) -> dict[str, Any] | None:
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def read_outputs(cfn: CloudFormationClient, stack_name: str) -> dict[str, str]:
    stack = _stack(cfn, stack_name)
    if stack is None:
        raise StackError(f"stack {stack_name!r} does not exist; run `messaging deploy` first")
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


def _events(cfn: CloudFormationClient, stack_id: str) -> list[StackEvent]:
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
        )
        for e in reversed(collected)
    ]


def _poll_intervals(first: float = 0.2, ceiling: float = 5.0) -> Iterator[float]:
    delay = first
    while True:
        yield delay
        delay = min(ceiling, delay * 1.5)


@dataclass
class _Watcher:
    """Waits for a stack to settle, reporting each new event once."""

    cfn: CloudFormationClient
    stack_id: str
    on_event: Callable[[StackEvent], None]
    sleep: Callable[[float], None]
    seen: set[str] = field(default_factory=set)
    history: list[StackEvent] = field(default_factory=list)

    def mark_seen(self) -> None:
        self.seen.update(e.event_id for e in _events(self.cfn, self.stack_id))

    def wait(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        for delay in _poll_intervals():
            for event in _events(self.cfn, self.stack_id):
                if event.event_id not in self.seen:
                    self.seen.add(event.event_id)
                    self.history.append(event)
                    self.on_event(event)
            stack = _stack(self.cfn, self.stack_id)
            status = str(stack["StackStatus"]) if stack else "DELETE_COMPLETE"
            if not status.endswith("_IN_PROGRESS"):
                return status
            if time.monotonic() > deadline:
                raise StackError(f"stack still {status} after {timeout:.0f}s")
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _wait_change_set(
    cfn: CloudFormationClient, arn: str, sleep: Callable[[float], None], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    for delay in _poll_intervals():
        change_set = dict(cfn.describe_change_set(ChangeSetName=arn))
        if change_set["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return change_set
        if time.monotonic() > deadline:
            raise StackError(f"change set still {change_set['Status']} after {timeout:.0f}s")
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def deploy(
    cfn: CloudFormationClient,
    stack_name: str,
    template_body: str,
    parameters: dict[str, str],
    *,
    on_event: Callable[[StackEvent], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 1800.0,
) -> DeployResult:
    """Create or update the stack through a change set and wait for it to settle."""
    existing = _stack(cfn, stack_name)
    if existing and existing["StackStatus"] in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
        # Neither can be updated; AWS requires deleting them before creating again.
        _delete_and_wait(cfn, existing["StackId"], on_event, sleep, timeout)
        existing = None
    change_set_type: Literal["CREATE", "UPDATE"] = "UPDATE" if existing else "CREATE"
    created = cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName=f"messaging-{int(time.time())}",
        ChangeSetType=change_set_type,
        TemplateBody=template_body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=CAPABILITIES,
    )
    change_set = _wait_change_set(cfn, created["Id"], sleep, timeout)
    if change_set["Status"] == "FAILED":
        reason = str(change_set.get("StatusReason", ""))
        cfn.delete_change_set(ChangeSetName=created["Id"])
        if any(marker in reason for marker in NO_CHANGES):
            return DeployResult(
                stack_name,
                str(existing["StackStatus"]) if existing else "",
                changed=False,
                outputs=read_outputs(cfn, stack_name),
            )
        raise DeployError(f"change set failed: {reason}", [])
    watcher = _Watcher(cfn, created["StackId"], on_event, sleep)
    watcher.mark_seen()
    cfn.execute_change_set(ChangeSetName=created["Id"])
    status = watcher.wait(timeout)
    if status not in TERMINAL_OK:
        failures = [e for e in watcher.history if e.failed and e.reason]
        raise DeployError(f"stack {stack_name} ended in {status}", failures or watcher.history)
    return DeployResult(
        stack_name,
        status,
        changed=True,
        outputs=read_outputs(cfn, stack_name),
        events=watcher.history,
    )


def _delete_and_wait(
    cfn: CloudFormationClient,
    stack_id: str,
    on_event: Callable[[StackEvent], None],
    sleep: Callable[[float], None],
    timeout: float,
) -> str:
    watcher = _Watcher(cfn, stack_id, on_event, sleep)
    watcher.mark_seen()
    cfn.delete_stack(StackName=stack_id)
    status = watcher.wait(timeout)
    if status != "DELETE_COMPLETE":
        failures = [e for e in watcher.history if e.failed and e.reason]
        raise DeployError(f"stack deletion ended in {status}", failures or watcher.history)
    return status


def empty_bucket(s3: S3Client, bucket: str) -> int:
    """Delete every object version and delete marker (a versioned bucket keeps them)."""
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        keys = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})  # type: ignore[typeddict-item]
            deleted += len(chunk)
    return deleted


def destroy(
    cfn: CloudFormationClient,
    s3: S3Client,
    stack_name: str,
    *,
    on_event: Callable[[StackEvent], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 1800.0,
) -> tuple[bool, int]:
    """Empty the stack's buckets, then delete the stack. Returns (existed, objects deleted).

    CloudFormation cannot delete a bucket that holds objects; every output named
    `...BucketName` (the lake, its access logs) is emptied first, and again if a late
    delivery made the deletion fail.
    """
    stack = _stack(cfn, stack_name)
    if stack is None:
        return False, 0
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    # Log buckets last: emptying the others writes access logs into them.
    buckets = sorted(
        (v for k, v in outputs.items() if k.endswith("BucketName") and v),
        key=lambda name: "log" in name,
    )
    deleted = 0
    for attempt in range(1, 4):
        for bucket in buckets:
            deleted += _empty_if_present(s3, bucket)
        try:
            _delete_and_wait(cfn, str(stack["StackId"]), on_event, sleep, timeout)
        except DeployError:
            # Late access-log deliveries can refill a bucket between emptying and
            # deleting it; CloudFormation lets a DELETE_FAILED stack be deleted again.
            if attempt == 3:
                raise
            continue
        return True, deleted
    raise AssertionError("unreachable")  # pragma: no cover


def _empty_if_present(s3: S3Client, bucket: str) -> int:
    try:
        return empty_bucket(s3, bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        return 0
