"""Change sets read into typed changes; the outputs contract."""

from __future__ import annotations

import pytest

from messaging.ops import stack


def test_a_resource_change_reads_every_detail_of_the_api() -> None:
    parsed = stack.ResourceChange.from_api(
        {
            "Action": "Modify",
            "LogicalResourceId": "Sub",
            "ResourceType": "AWS::SNS::Subscription",
            "Replacement": "Conditional",
            "Details": [
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": "Endpoint",
                        "RequiresRecreation": "Always",
                    },
                    "Evaluation": "Dynamic",
                    "ChangeSource": "ResourceAttribute",
                    "CausingEntity": "Queue.Arn",
                },
                {
                    "Target": {"Attribute": "DeletionPolicy", "RequiresRecreation": "Never"},
                    "Evaluation": "Static",
                    "ChangeSource": "DirectModification",
                },
            ],
        }
    )
    assert parsed.replacement == "Conditional"
    assert parsed.changed == ["Endpoint", "DeletionPolicy"]
    assert parsed.properties[0].causing_entity == "Queue.Arn"


def test_stack_outputs_names_the_missing_outputs() -> None:
    with pytest.raises(ValueError, match="LakeBucketName"):
        stack.StackOutputs.model_validate({"TopicArn": "arn"})
