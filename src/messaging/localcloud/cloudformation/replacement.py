"""Which property changes make CloudFormation replace a resource, as data.

The gap it closes: moto's change sets carry no `Replacement` at all, so a preview could
not say that renaming a table creates a new, empty one. This table is what a change set
reports in `Details[].Target.RequiresRecreation` and, summed per resource, in
`Replacement` (True / Conditional / False).

Source: the CloudFormation resource reference ("Update requires: Replacement" or
"Conditional" on each property), cross-checked with the resource provider schemas
(`createOnlyProperties`, `conditionalCreateOnlyProperties`) that cfn-lint ships for
us-east-1. Where the two disagree the reference page wins, because that is what a
change set shows: DynamoDB's KeySchema is "Replacement" there (only conditional in the
schema). Two entries are conditions rather than flags:

- DynamoDB AttributeDefinitions: "Some interruptions. Replacement if you edit an
  existing AttributeDefinition" (adding one for a new index is an in-place update);
- Firehose destinations (`*DestinationConfiguration`): "Conditional" when the
  destination type changes; a change inside the same destination type is in place.

Any property not listed is "Never" (updated in place, maybe with interruption).
Known limit: only the resource types of infra.yaml and the ones this project's tests
use are listed; for any other type the local cloud reports "Never".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

__all__ = [
    "ALWAYS",
    "CONDITIONALLY",
    "MISSING",
    "NEVER",
    "RequiresRecreation",
    "replacement_forced",
    "requires_recreation",
]

RequiresRecreation = Literal["Never", "Conditionally", "Always"]
NEVER: RequiresRecreation = "Never"
CONDITIONALLY: RequiresRecreation = "Conditionally"
ALWAYS: RequiresRecreation = "Always"

# (resource type, property) -> what a change to that property requires.
REQUIRES_RECREATION: dict[tuple[str, str], RequiresRecreation] = {
    ("AWS::DynamoDB::Table", "TableName"): ALWAYS,
    ("AWS::DynamoDB::Table", "KeySchema"): ALWAYS,
    ("AWS::DynamoDB::Table", "LocalSecondaryIndexes"): ALWAYS,
    ("AWS::DynamoDB::Table", "ImportSourceSpecification"): ALWAYS,
    ("AWS::DynamoDB::Table", "AttributeDefinitions"): CONDITIONALLY,
    ("AWS::SQS::Queue", "QueueName"): ALWAYS,
    ("AWS::SQS::Queue", "FifoQueue"): ALWAYS,
    ("AWS::SNS::Topic", "TopicName"): ALWAYS,
    ("AWS::SNS::Topic", "FifoTopic"): ALWAYS,
    ("AWS::SNS::Subscription", "Endpoint"): ALWAYS,
    ("AWS::SNS::Subscription", "Protocol"): ALWAYS,
    ("AWS::SNS::Subscription", "TopicArn"): ALWAYS,
    ("AWS::SNS::Subscription", "Region"): CONDITIONALLY,
    ("AWS::S3::Bucket", "BucketName"): ALWAYS,
    ("AWS::S3::Bucket", "BucketNamePrefix"): ALWAYS,
    ("AWS::S3::Bucket", "BucketNamespace"): ALWAYS,
    ("AWS::S3::BucketPolicy", "Bucket"): ALWAYS,
    ("AWS::IAM::Role", "RoleName"): ALWAYS,
    ("AWS::IAM::Role", "Path"): ALWAYS,
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamName"): ALWAYS,
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamType"): ALWAYS,
    ("AWS::KinesisFirehose::DeliveryStream", "KinesisStreamSourceConfiguration"): ALWAYS,
    ("AWS::KinesisFirehose::DeliveryStream", "MSKSourceConfiguration"): ALWAYS,
    ("AWS::KinesisFirehose::DeliveryStream", "DatabaseSourceConfiguration"): ALWAYS,
    ("AWS::KinesisFirehose::DeliveryStream", "DirectPutSourceConfiguration"): ALWAYS,
    ("AWS::Lambda::Function", "FunctionName"): ALWAYS,
    ("AWS::Lambda::Function", "PackageType"): ALWAYS,
    ("AWS::Lambda::EventSourceMapping", "EventSourceArn"): ALWAYS,
    ("AWS::Lambda::EventSourceMapping", "StartingPosition"): ALWAYS,
    ("AWS::Lambda::EventSourceMapping", "StartingPositionTimestamp"): ALWAYS,
    ("AWS::Lambda::EventSourceMapping", "SelfManagedEventSource"): ALWAYS,
    ("AWS::Lambda::EventSourceMapping", "Topics"): ALWAYS,
    ("AWS::Lambda::EventSourceMapping", "Queues"): ALWAYS,
    ("AWS::Logs::LogGroup", "LogGroupName"): ALWAYS,
    ("AWS::Logs::LogGroup", "LogGroupClass"): ALWAYS,
    # Outside infra.yaml, used by moto's own CloudFormation tests.
    ("AWS::EC2::VPC", "CidrBlock"): ALWAYS,
}

MISSING: Any = object()  # a property that is not set (before or after)


def _edits_an_attribute_definition(old: Any, new: Any) -> bool:
    """True when an attribute defined before is now defined with another type."""
    if not isinstance(old, list) or not isinstance(new, list):
        return True
    before = {d.get("AttributeName"): d.get("AttributeType") for d in old if isinstance(d, dict)}
    after = {d.get("AttributeName"): d.get("AttributeType") for d in new if isinstance(d, dict)}
    return any(name in after and after[name] != kind for name, kind in before.items())


def _is_destination(resource_type: str, name: str) -> bool:
    return resource_type == "AWS::KinesisFirehose::DeliveryStream" and name.endswith(
        "DestinationConfiguration"
    )


# Conditional entries: given the old and new value, does this change replace?
CONDITIONS: dict[tuple[str, str], Callable[[Any, Any], bool]] = {
    ("AWS::DynamoDB::Table", "AttributeDefinitions"): _edits_an_attribute_definition,
    # A subscription's Region only matters when it names another region than before.
    ("AWS::SNS::Subscription", "Region"): lambda old, new: old != new,
}


def requires_recreation(
    resource_type: str, name: str, old: Any = MISSING, new: Any = MISSING
) -> RequiresRecreation:
    """What a change set reports for a change of property `name`."""
    if _is_destination(resource_type, name):
        # Present before and after: same destination type, changed in place.
        return NEVER if old is not MISSING and new is not MISSING else CONDITIONALLY
    return REQUIRES_RECREATION.get((resource_type, name), NEVER)


def replacement_forced(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Properties whose concrete change forces a new physical resource (apply time).

    A "Conditionally" entry replaces only when its condition holds for these values;
    a Firehose destination type change is applied in place (the update interrupts
    delivery, it does not create a new stream).
    """
    forced = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, MISSING), new.get(name, MISSING)
        if before == after or _is_destination(resource_type, name):
            continue
        kind = REQUIRES_RECREATION.get((resource_type, name), NEVER)
        condition = CONDITIONS.get((resource_type, name))
        if kind == ALWAYS or (
            kind == CONDITIONALLY and condition is not None and condition(before, after)
        ):
            forced.append(name)
    return forced
