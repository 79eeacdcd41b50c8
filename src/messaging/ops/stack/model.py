"""What the stack operations report: errors, events, changes, risks, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DataLossRefusedError",
    "DataRisk",
    "DeployError",
    "DeployResult",
    "Preview",
    "PropertyChange",
    "ResourceChange",
    "StackError",
    "StackEvent",
    "StackOutputs",
]


class StackError(Exception):
    """Base error of the stack operations: the message says what to do next."""


class StackEvent(BaseModel):
    """One line of a stack's history, as a deploy shows it."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str | None = None
    timestamp: datetime | None = None

    @property
    def failed(self) -> bool:
        return self.status.endswith("FAILED")


class DeployError(StackError):
    """A stack operation ended in a failed state; `events` say why."""

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
    # Only when the stack runs the services as Lambda functions (ServicesHost lambda).
    OrdersFunctionName: str | None = None
    PaymentsFunctionName: str | None = None


class PropertyChange(BaseModel):
    """One `Details` entry of a change set: what changes in a resource, and why."""

    model_config = ConfigDict(frozen=True)

    attribute: str  # Properties, DeletionPolicy, UpdateReplacePolicy, Metadata, Tags...
    name: str | None  # the property, for Attribute == Properties
    requires_recreation: str | None  # Never | Conditionally | Always
    evaluation: str | None  # Static | Dynamic
    change_source: str | None  # DirectModification, ParameterReference, ...
    causing_entity: str | None


class ResourceChange(BaseModel):
    """One resource of a change set: action, identity, Replacement and what changes."""

    model_config = ConfigDict(frozen=True)

    action: str  # Add | Modify | Remove | ...
    logical_id: str
    resource_type: str
    physical_id: str | None = None
    replacement: str | None = None  # True | Conditional | False, for Modify
    policy_action: str | None = None  # Delete, Retain, ReplaceAndRetain, ...
    properties: list[PropertyChange] = []

    @property
    def changed(self) -> list[str]:
        """Names of what changes: properties, or attributes such as DeletionPolicy."""
        names = [p.name or p.attribute for p in self.properties]
        return list(dict.fromkeys(names))

    @classmethod
    def from_api(cls, change: dict[str, Any]) -> ResourceChange:
        """From DescribeChangeSet's `ResourceChange`."""
        return cls(
            action=str(change.get("Action", "")),
            logical_id=str(change.get("LogicalResourceId", "")),
            resource_type=str(change.get("ResourceType", "")),
            physical_id=change.get("PhysicalResourceId"),
            replacement=change.get("Replacement"),
            policy_action=change.get("PolicyAction"),
            properties=[
                PropertyChange(
                    attribute=str(d.get("Target", {}).get("Attribute", "Properties")),
                    name=d.get("Target", {}).get("Name"),
                    requires_recreation=d.get("Target", {}).get("RequiresRecreation"),
                    evaluation=d.get("Evaluation"),
                    change_source=d.get("ChangeSource"),
                    causing_entity=d.get("CausingEntity"),
                )
                for d in change.get("Details", [])
            ],
        )


class DataRisk(BaseModel):
    """A resource that holds data and that a change would replace or remove."""

    model_config = ConfigDict(frozen=True)

    logical_id: str
    resource_type: str
    physical_id: str | None
    why: str

    def describe(self) -> str:
        physical = (self.physical_id or "").rstrip("/").rsplit("/", 1)[-1]  # a queue's URL
        name = f" {physical}" if physical else ""
        return f"{self.logical_id} ({self.resource_type}{name}): {self.why}"


class DataLossRefusedError(StackError):
    """The update would replace or remove resources that hold data; nothing was changed."""

    def __init__(self, stack_name: str, risks: list[DataRisk]) -> None:
        names = "; ".join(risk.describe() for risk in risks)
        super().__init__(
            f"deploy of {stack_name} refused, nothing changed: it would replace or remove "
            f"{len(risks)} resource(s) that hold data: {names}. Preview it with --dry-run; "
            "keep those properties, or pass --allow-data-loss if that is what you want"
        )
        self.risks = risks


class Preview(BaseModel):
    """What a deploy would do, read from a change set that was then deleted."""

    stack_name: str
    change_set_type: str  # CREATE | UPDATE
    status: str | None  # the stack's status before, None if it does not exist
    parameters: dict[str, str]  # what the deploy would pass (given values)
    kept: list[str]  # parameters that keep their current values (UsePreviousValue)
    changes: list[ResourceChange]
    risks: list[DataRisk]
    replaces_failed_stack: bool = False
    no_changes: bool = False


@dataclass
class DeployResult:
    stack_name: str
    status: str
    changed: bool
    outputs: dict[str, str] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)
    changes: list[ResourceChange] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # retries recognised, recoveries made
