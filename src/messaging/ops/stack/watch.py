"""Waiting for a stack or a change set to settle, showing each new event once.

Every call here is a read, so a retried call (botocore retries throttles, 5xx and
dropped connections) changes nothing. Polling backs off from 0.2 s to 5 s and gives up
at a deadline with a message that says what state the stack was left in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from messaging.ops.stack.model import DeployError, StackError, StackEvent
from messaging.ops.stack.read import describe_stack, failure_hint, stack_events

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

__all__ = ["Watcher", "delete_and_wait", "poll_intervals", "wait_change_set"]

Sleep = Callable[[float], None]


def poll_intervals(first: float = 0.2, ceiling: float = 5.0) -> Iterator[float]:
    delay = first
    while True:
        yield delay
        delay = min(ceiling, delay * 1.5)


@dataclass
class Watcher:
    """Waits for a stack to settle, reporting each event it has not reported before."""

    cfn: CloudFormationClient
    stack_id: str
    on_event: Callable[[StackEvent], None]
    sleep: Sleep
    since: datetime | None = None  # events at or before this are not news
    seen: set[str] = field(default_factory=set)
    history: list[StackEvent] = field(default_factory=list)

    def mark_seen(self) -> None:
        """Everything that happened so far is not news (one DescribeStackEvents)."""
        self.seen.update(e.event_id for e in stack_events(self.cfn, self.stack_id))

    def _report_new(self) -> None:
        for event in stack_events(self.cfn, self.stack_id):
            old = self.since and event.timestamp and event.timestamp <= self.since
            if event.event_id not in self.seen and not old:
                self.seen.add(event.event_id)
                self.history.append(event)
                self.on_event(event)

    def wait(self, timeout: float) -> dict[str, Any]:
        """The stack once no longer *_IN_PROGRESS (a deleted stack reads DELETE_COMPLETE)."""
        deadline = time.monotonic() + timeout
        for delay in poll_intervals():
            self._report_new()
            stack = describe_stack(self.cfn, self.stack_id) or {
                "StackId": self.stack_id,
                "StackStatus": "DELETE_COMPLETE",
            }
            status = str(stack["StackStatus"])
            if not status.endswith("_IN_PROGRESS"):
                return stack
            if time.monotonic() > deadline:
                raise StackError(
                    f"stack still {status} after {timeout:.0f}s; it carries on without us: "
                    "check it with `messaging outputs` or the console, and deploy again once it "
                    "has settled"
                )
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def failures(self) -> list[StackEvent]:
        return [e for e in self.history if e.failed and e.reason] or self.history


def wait_change_set(
    cfn: CloudFormationClient, change_set_id: str, sleep: Sleep, timeout: float
) -> dict[str, Any]:
    """DescribeChangeSet until CREATE_COMPLETE or FAILED; every page of changes included."""
    deadline = time.monotonic() + timeout
    for delay in poll_intervals():
        described: dict[str, Any] = dict(cfn.describe_change_set(ChangeSetName=change_set_id))
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            changes = list(described.get("Changes", []))
            token: str | None = described.get("NextToken")
            while token:
                page = cfn.describe_change_set(ChangeSetName=change_set_id, NextToken=token)
                changes += page.get("Changes", [])
                token = page.get("NextToken")
            described["Changes"] = changes
            return described
        if time.monotonic() > deadline:
            raise StackError(
                f"change set still {described['Status']} after {timeout:.0f}s; try again later"
            )
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def delete_and_wait(
    cfn: CloudFormationClient,
    stack_id: str,
    on_event: Callable[[StackEvent], None],
    sleep: Sleep,
    timeout: float,
    retain: list[str] | None = None,
) -> dict[str, Any]:
    """DeleteStack (idempotent: a retry of a served call deletes nothing twice), then wait.

    Raises DeployError naming the resources that could not be deleted.
    """
    watcher = Watcher(cfn, stack_id, on_event, sleep)
    watcher.mark_seen()
    if retain:
        cfn.delete_stack(StackName=stack_id, RetainResources=retain)
    else:
        cfn.delete_stack(StackName=stack_id)
    stack = watcher.wait(timeout)
    if stack["StackStatus"] != "DELETE_COMPLETE":
        raise DeployError(failure_hint(stack), watcher.failures())
    return stack
