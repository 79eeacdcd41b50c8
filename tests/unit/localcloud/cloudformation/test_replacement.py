"""What a property change requires, as the CloudFormation resource reference says."""

from __future__ import annotations

import pytest

from messaging.localcloud.cloudformation.replacement import (
    replacement_forced,
    requires_recreation,
)

TABLE, QUEUE, TOPIC = "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic"
BUCKET, STREAM = "AWS::S3::Bucket", "AWS::KinesisFirehose::DeliveryStream"


@pytest.mark.parametrize(
    ("resource_type", "name", "expected"),
    [
        (TABLE, "TableName", "Always"),
        (TABLE, "KeySchema", "Always"),
        (TABLE, "AttributeDefinitions", "Conditionally"),
        (TABLE, "PointInTimeRecoverySpecification", "Never"),
        (QUEUE, "QueueName", "Always"),
        (QUEUE, "FifoQueue", "Always"),
        (QUEUE, "RedrivePolicy", "Never"),
        (BUCKET, "BucketName", "Always"),
        (BUCKET, "LoggingConfiguration", "Never"),
        (TOPIC, "TopicName", "Always"),
        (TOPIC, "KmsMasterKeyId", "Never"),
        (STREAM, "DeliveryStreamName", "Always"),
        (STREAM, "DeliveryStreamType", "Always"),
        ("AWS::SNS::Subscription", "Endpoint", "Always"),
        ("AWS::S3::BucketPolicy", "Bucket", "Always"),
        ("AWS::IAM::Role", "RoleName", "Always"),
        ("AWS::KMS::Key", "Description", "Never"),
        ("AWS::Unknown::Thing", "Name", "Never"),
    ],
)
def test_each_property_requires_what_the_reference_says(
    resource_type: str, name: str, expected: str
) -> None:
    assert requires_recreation(resource_type, name, "old", "new") == expected


def test_a_destination_changed_within_its_type_is_in_place_a_new_type_is_conditional() -> None:
    same = requires_recreation(STREAM, "ExtendedS3DestinationConfiguration", {"a": 1}, {"a": 2})
    assert same == "Never"
    assert requires_recreation(STREAM, "HttpEndpointDestinationConfiguration", new={}) == (
        "Conditionally"
    )


def test_editing_an_attribute_definition_replaces_adding_one_does_not() -> None:
    key = [{"AttributeName": "id", "AttributeType": "S"}]
    added = [*key, {"AttributeName": "gsi", "AttributeType": "N"}]
    edited = [{"AttributeName": "id", "AttributeType": "N"}]
    assert (
        replacement_forced(TABLE, {"AttributeDefinitions": key}, {"AttributeDefinitions": added})
        == []
    )
    assert replacement_forced(
        TABLE, {"AttributeDefinitions": key}, {"AttributeDefinitions": edited}
    ) == ["AttributeDefinitions"]


def test_only_replacing_properties_force_a_new_resource() -> None:
    old = {"QueueName": "q", "VisibilityTimeout": 30}
    assert replacement_forced(QUEUE, old, {**old, "VisibilityTimeout": 60}) == []
    assert replacement_forced(QUEUE, old, {**old, "QueueName": "q2"}) == ["QueueName"]
    changed_type: dict[str, object] = {"S3DestinationConfiguration": {}}
    assert (
        replacement_forced(STREAM, {"ExtendedS3DestinationConfiguration": {}}, changed_type) == []
    )
