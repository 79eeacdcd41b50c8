"""Which changes put data at risk, and how the refusal says so."""

from __future__ import annotations

from typing import Any

from messaging.ops import stack


def change(**fields: Any) -> stack.ResourceChange:
    details = fields.pop("details", [])
    return stack.ResourceChange.from_api(
        {
            "Action": "Modify",
            "LogicalResourceId": "Table",
            "ResourceType": "AWS::DynamoDB::Table",
            "PhysicalResourceId": "orders",
            "Details": [
                {
                    "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": kind},
                    "Evaluation": "Static",
                    "ChangeSource": "ParameterReference",
                    "CausingEntity": "NamePrefix",
                }
                for name, kind in details
            ],
            **fields,
        }
    )


def test_a_replaced_table_is_a_risk_saying_why_and_what_happens_to_the_old_one() -> None:
    [risk] = stack.data_risks(
        [
            change(
                Replacement="True",
                PolicyAction="ReplaceAndRetain",
                details=[("TableName", "Always")],
            )
        ]
    )
    assert risk.describe() == (
        "Table (AWS::DynamoDB::Table orders): replaced because TableName changes: the old one "
        "keeps its items outside the stack, the stack gets a new, empty one"
    )


def test_a_possibly_replaced_queue_and_a_removed_bucket_are_risks_too() -> None:
    queue = change(
        LogicalResourceId="Queue",
        ResourceType="AWS::SQS::Queue",
        PhysicalResourceId="https://sqs/123/orders-q",
        Replacement="Conditional",
        PolicyAction="ReplaceAndDelete",
        details=[("QueueName", "Always")],
    )
    bucket = change(
        Action="Remove",
        LogicalResourceId="Lake",
        ResourceType="AWS::S3::Bucket",
        PhysicalResourceId="lake",
        PolicyAction="Delete",
    )
    risks = stack.data_risks([queue, bucket])
    assert [r.describe() for r in risks] == [
        "Queue (AWS::SQS::Queue orders-q): possibly replaced (Conditional) because QueueName "
        "changes: the old one is deleted with its messages",
        "Lake (AWS::S3::Bucket lake): removed from the template; it and its objects would be "
        "deleted",
    ]


def test_changes_that_keep_the_data_in_place_are_no_risk() -> None:
    in_place = change(Replacement="False", details=[("PointInTimeRecoverySpecification", "Never")])
    added = change(Action="Add", Replacement=None)
    replaced_role = change(ResourceType="AWS::IAM::Role", Replacement="True")
    assert stack.data_risks([in_place, added, replaced_role]) == []


def test_the_refusal_names_every_resource_and_what_to_do() -> None:
    risks = stack.data_risks(
        [
            change(Replacement="True", details=[("TableName", "Always")]),
            change(
                LogicalResourceId="Other", Replacement="True", details=[("TableName", "Always")]
            ),
        ]
    )
    message = str(stack.DataLossRefusedError("fc", risks))
    assert message.startswith("deploy of fc refused, nothing changed: it would replace or remove 2")
    assert "Table (AWS::DynamoDB::Table orders)" in message
    assert "Other (AWS::DynamoDB::Table orders)" in message
    assert message.endswith("pass --allow-data-loss if that is what you want")
    assert "\n" not in message
