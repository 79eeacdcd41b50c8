"""Which changes put data at risk: replacing or removing a resource that holds data.

Resources that hold data are recognised by type, so the rule holds for any template:
tables (their items), buckets (the lake's objects, the access logs) and queues
(messages waiting or parked in a DLQ). A change set puts one at risk when it removes
it, or modifies it with Replacement True or Conditional (AWS cannot always tell in
advance; "might be replaced" is reason enough to stop and ask). With
UpdateReplacePolicy Retain the old resource and its data stay behind, but the stack
then uses a new, empty one, which is a surprise of its own: it is still refused.
"""

from __future__ import annotations

from messaging.ops.stack.model import DataRisk, ResourceChange

__all__ = ["DATA_TYPES", "data_risks"]

DATA_TYPES = {
    "AWS::DynamoDB::Table": "its items",
    "AWS::S3::Bucket": "its objects",
    "AWS::SQS::Queue": "its messages",
}


def _why(change: ResourceChange, data: str) -> str | None:
    if change.action == "Remove":
        kept = change.policy_action == "Retain"
        fate = "kept outside the stack (DeletionPolicy)" if kept else "deleted"
        return f"removed from the template; it and {data} would be {fate}"
    if change.action != "Modify" or change.replacement not in ("True", "Conditional"):
        return None
    causes = [
        p.name or p.attribute
        for p in change.properties
        if p.requires_recreation in ("Always", "Conditionally")
    ]
    verb = "replaced" if change.replacement == "True" else "possibly replaced (Conditional)"
    because = f" because {', '.join(dict.fromkeys(causes))} changes" if causes else ""
    if change.policy_action == "ReplaceAndRetain":
        fate = f"the old one keeps {data} outside the stack, the stack gets a new, empty one"
    else:
        fate = f"the old one is deleted with {data}"
    return f"{verb}{because}: {fate}"


def data_risks(changes: list[ResourceChange]) -> list[DataRisk]:
    """The changes that would replace or remove a resource holding data, with why."""
    risks = []
    for change in changes:
        data = DATA_TYPES.get(change.resource_type)
        why = _why(change, data) if data else None
        if why:
            risks.append(
                DataRisk(
                    logical_id=change.logical_id,
                    resource_type=change.resource_type,
                    physical_id=change.physical_id,
                    why=why,
                )
            )
    return risks
