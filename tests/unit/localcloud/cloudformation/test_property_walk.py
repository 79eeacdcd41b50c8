"""Every property infra.yaml declares is reflected by the resource the local cloud describes.

The walk deploys the template in-process, resolves each resource's properties with moto's
own resolver (the values the stack was given), and reads each one back through the
service's API, one reader per (type, property) in `READERS`. A property with no reader
fails the test: a property added to the template later must come with a way to read it
back, so nothing declared can be dropped silently. Adding a resource type is a few rows
in `READERS`, nothing else.

The stack is given a small function artifact in S3 (the functions are created, never
invoked). A resource whose Condition is false (the Lambda side under ServicesHost
external) is not in the stack: the walk leaves it out by name, and a test checks which.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.parsing import clean_json

from messaging.ops.stack import default_template_path
from tests.support.lambdas import package
from tests.support.moto_state import REGION

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

Client = Callable[[str], Any]
# (client, physical id, the declared value resolved, all the resource's resolved properties)
Reader = Callable[[Client, str, Any, dict[str, Any]], None]

# Checked elsewhere because the API shows them only at a later step; each names its test.
DEFERRED: dict[tuple[str, str], str] = {
    ("AWS::KMS::Key", "PendingWindowInDays"): (
        "test_inplace.py::test_a_deleted_key_waits_its_pending_window (applied on deletion)"
    ),
}


def subset(declared: Any, described: Any) -> bool:
    """Whether everything declared is in the description (which may hold more)."""
    if isinstance(declared, dict):
        return isinstance(described, dict) and all(
            key in described and subset(value, described[key]) for key, value in declared.items()
        )
    if isinstance(declared, list):
        return isinstance(described, list) and all(
            any(subset(item, candidate) for candidate in described) for item in declared
        )
    return str(declared).lower() == str(described).lower()


def policy(text: Any) -> Any:
    """A JSON document given or described as text, as an object; anything else as is."""
    if isinstance(text, str) and text.lstrip().startswith(("{", "[")):
        return json.loads(text)
    return text


def queue(attribute: str) -> Reader:
    def read(client: Client, url: str, value: Any, _: dict[str, Any]) -> None:
        got = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[attribute])
        described = got["Attributes"][attribute]
        assert subset(policy(value), policy(described)), (attribute, value, described)

    return read


def subscription(attribute: str) -> Reader:
    def read(client: Client, arn: str, value: Any, _: dict[str, Any]) -> None:
        got = client("sns").get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        assert subset(policy(value), policy(got[attribute])), (attribute, value, got)

    return read


def bucket(call: str, path: Callable[[dict[str, Any]], Any]) -> Reader:
    def read(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
        described = path(getattr(client("s3"), call)(Bucket=name))
        assert subset(value, described), (call, value, described)

    return read


def table(path: Callable[[dict[str, Any]], Any]) -> Reader:
    def read(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
        described = path(client("dynamodb").describe_table(TableName=name)["Table"])
        assert subset(value, described), (value, described)

    return read


def stream(path: Callable[[dict[str, Any]], Any]) -> Reader:
    def read(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
        got = client("firehose").describe_delivery_stream(DeliveryStreamName=name)
        described = path(got["DeliveryStreamDescription"])
        assert subset(value, described), (value, described)

    return read


def topic_policy(client: Client, _: str, value: Any, properties: dict[str, Any]) -> None:
    del value
    for arn in properties["Topics"]:
        got = client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
        assert subset(properties["PolicyDocument"], policy(got["Policy"]))


def queue_policy(client: Client, _: str, value: Any, properties: dict[str, Any]) -> None:
    del value
    for url in properties["Queues"]:
        got = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        assert subset(properties["PolicyDocument"], policy(got["Attributes"]["Policy"]))


def bucket_policy(client: Client, _: str, value: Any, properties: dict[str, Any]) -> None:
    del value
    got = client("s3").get_bucket_policy(Bucket=properties["Bucket"])["Policy"]
    assert subset(properties["PolicyDocument"], policy(got))


def managed_policy(client: Client, arn: str, value: Any, properties: dict[str, Any]) -> None:
    del value
    iam = client("iam")
    described = iam.get_policy(PolicyArn=arn)["Policy"]
    assert described.get("Description") == properties["Description"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=described["DefaultVersionId"])
    assert subset(properties["PolicyDocument"], policy(version["PolicyVersion"]["Document"]))


def role(key: str) -> Reader:
    def read(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
        described = client("iam").get_role(RoleName=name)["Role"]
        assert subset(value, policy(described[key])), (key, value, described)

    return read


def role_policies(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
    iam = client("iam")
    assert sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]) == sorted(
        p["PolicyName"] for p in value
    )
    for declared in value:
        got = iam.get_role_policy(RoleName=name, PolicyName=declared["PolicyName"])
        assert subset(declared["PolicyDocument"], policy(got["PolicyDocument"]))


def key(call: str, path: Callable[[dict[str, Any]], Any], **request: str) -> Reader:
    def read(client: Client, key_id: str, value: Any, _: dict[str, Any]) -> None:
        described = path(getattr(client("kms"), call)(KeyId=key_id, **request))
        assert subset(policy(value), policy(described)), (call, value, described)

    return read


def name_in(text: Callable[[str], str]) -> Reader:
    """The physical id carries the declared name (a URL, an ARN or the name itself)."""

    def read(_: Client, physical: str, value: Any, __: dict[str, Any]) -> None:
        assert text(physical) == value, (physical, value)

    return read


def topic(client: Client, arn: str, value: Any, _: dict[str, Any]) -> None:
    got = client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    assert got["KmsMasterKeyId"] == value


def destination(description: dict[str, Any]) -> Any:
    return description["Destinations"][0]["ExtendedS3DestinationDescription"]


def backups(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
    got = client("dynamodb").describe_continuous_backups(TableName=name)
    status = got["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    enabled = status["PointInTimeRecoveryStatus"] == "ENABLED"
    assert enabled == value["PointInTimeRecoveryEnabled"]


def table_sse(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
    sse = client("dynamodb").describe_table(TableName=name)["Table"]["SSEDescription"]
    assert (sse["Status"], sse["SSEType"]) == ("ENABLED", value["SSEType"])
    assert sse["KMSMasterKeyArn"].endswith(f":key/{value['KMSMasterKeyId']}")


def ignore_name(_: Client, __: str, value: Any, ___: dict[str, Any]) -> None:
    """Read back by the rows that use it (the policy's targets)."""
    assert value


def function(key: str) -> Reader:
    def read(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
        described = client("lambda").get_function_configuration(FunctionName=name)
        assert subset(value, described[key]), (key, value, described)

    return read


def function_code(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
    """Lambda shows a copy of the code, never the bucket: the copy must be that object."""
    got = client("lambda").get_function(FunctionName=name)
    assert got["Code"]["RepositoryType"] == "S3"
    stored = client("s3").get_object(Bucket=value["S3Bucket"], Key=value["S3Key"])
    digest = base64.b64encode(hashlib.sha256(stored["Body"].read()).digest()).decode()
    assert got["Configuration"]["CodeSha256"] == digest, (value, got["Configuration"])


def mapping(key: str, shown: Callable[[Any], Any] = lambda value: value) -> Reader:
    def read(client: Client, uuid: str, value: Any, _: dict[str, Any]) -> None:
        described = client("lambda").get_event_source_mapping(UUID=uuid)
        assert subset(shown(value), described[key]), (key, value, described)

    return read


def mapped_function(client: Client, uuid: str, value: Any, properties: dict[str, Any]) -> None:
    """The mapping names its function by ARN; it is listed under the declared name."""
    lam = client("lambda")
    arn = lam.get_function_configuration(FunctionName=value)["FunctionArn"]
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionArn"] == arn
    listed = lam.list_event_source_mappings(
        FunctionName=value, EventSourceArn=properties["EventSourceArn"]
    )["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid], listed


def log_group(key: str) -> Reader:
    def read(client: Client, name: str, value: Any, _: dict[str, Any]) -> None:
        groups = client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        described = [group for group in groups if group["logGroupName"] == name]
        assert len(described) == 1, (name, groups)
        assert subset(value, described[0][key]), (key, value, described)

    return read


READERS: dict[tuple[str, str], Reader] = {
    ("AWS::SNS::Topic", "TopicName"): name_in(lambda arn: arn.rsplit(":", 1)[1]),
    ("AWS::SNS::Topic", "KmsMasterKeyId"): topic,
    ("AWS::SNS::TopicPolicy", "PolicyDocument"): topic_policy,
    ("AWS::SNS::TopicPolicy", "Topics"): topic_policy,
    ("AWS::IAM::ManagedPolicy", "Description"): managed_policy,
    ("AWS::IAM::ManagedPolicy", "PolicyDocument"): managed_policy,
    ("AWS::SQS::Queue", "QueueName"): name_in(lambda url: url.rsplit("/", 1)[1]),
    ("AWS::SQS::Queue", "MessageRetentionPeriod"): queue("MessageRetentionPeriod"),
    ("AWS::SQS::Queue", "ReceiveMessageWaitTimeSeconds"): queue("ReceiveMessageWaitTimeSeconds"),
    ("AWS::SQS::Queue", "RedrivePolicy"): queue("RedrivePolicy"),
    ("AWS::SQS::Queue", "SqsManagedSseEnabled"): queue("SqsManagedSseEnabled"),
    ("AWS::SQS::Queue", "VisibilityTimeout"): queue("VisibilityTimeout"),
    ("AWS::SQS::QueuePolicy", "PolicyDocument"): queue_policy,
    ("AWS::SQS::QueuePolicy", "Queues"): queue_policy,
    ("AWS::SNS::Subscription", "Endpoint"): subscription("Endpoint"),
    ("AWS::SNS::Subscription", "FilterPolicy"): subscription("FilterPolicy"),
    ("AWS::SNS::Subscription", "FilterPolicyScope"): subscription("FilterPolicyScope"),
    ("AWS::SNS::Subscription", "Protocol"): subscription("Protocol"),
    ("AWS::SNS::Subscription", "RawMessageDelivery"): subscription("RawMessageDelivery"),
    ("AWS::SNS::Subscription", "SubscriptionRoleArn"): subscription("SubscriptionRoleArn"),
    ("AWS::SNS::Subscription", "TopicArn"): subscription("TopicArn"),
    ("AWS::S3::Bucket", "BucketName"): name_in(lambda name: name),
    ("AWS::S3::Bucket", "BucketEncryption"): bucket(
        "get_bucket_encryption",
        lambda got: {
            "ServerSideEncryptionConfiguration": [
                {
                    "ServerSideEncryptionByDefault": rule["ApplyServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": rule["BucketKeyEnabled"],
                }
                for rule in got["ServerSideEncryptionConfiguration"]["Rules"]
            ]
        },
    ),
    ("AWS::S3::Bucket", "LifecycleConfiguration"): bucket(
        "get_bucket_lifecycle_configuration",
        lambda got: {
            "Rules": [{**rule, "Id": rule["ID"], **_expiration(rule)} for rule in got["Rules"]]
        },
    ),
    ("AWS::S3::Bucket", "LoggingConfiguration"): bucket(
        "get_bucket_logging",
        lambda got: {
            "DestinationBucketName": got["LoggingEnabled"]["TargetBucket"],
            "LogFilePrefix": got["LoggingEnabled"]["TargetPrefix"],
        },
    ),
    ("AWS::S3::Bucket", "OwnershipControls"): bucket(
        "get_bucket_ownership_controls", lambda got: got["OwnershipControls"]
    ),
    ("AWS::S3::Bucket", "PublicAccessBlockConfiguration"): bucket(
        "get_public_access_block", lambda got: got["PublicAccessBlockConfiguration"]
    ),
    ("AWS::S3::Bucket", "VersioningConfiguration"): bucket(
        "get_bucket_versioning", lambda got: {"Status": got["Status"]}
    ),
    ("AWS::S3::BucketPolicy", "Bucket"): bucket_policy,
    ("AWS::S3::BucketPolicy", "PolicyDocument"): bucket_policy,
    ("AWS::IAM::Role", "AssumeRolePolicyDocument"): role("AssumeRolePolicyDocument"),
    ("AWS::IAM::Role", "Description"): role("Description"),
    ("AWS::IAM::Role", "Policies"): role_policies,
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamName"): name_in(lambda name: name),
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamType"): stream(
        lambda got: got["DeliveryStreamType"]
    ),
    ("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamEncryptionConfigurationInput"): (
        stream(lambda got: got["DeliveryStreamEncryptionConfiguration"])
    ),
    ("AWS::KinesisFirehose::DeliveryStream", "ExtendedS3DestinationConfiguration"): stream(
        destination
    ),
    ("AWS::KMS::Key", "Description"): key(
        "describe_key", lambda got: got["KeyMetadata"]["Description"]
    ),
    ("AWS::KMS::Key", "EnableKeyRotation"): key(
        "get_key_rotation_status", lambda got: got["KeyRotationEnabled"]
    ),
    ("AWS::KMS::Key", "KeyPolicy"): key(
        "get_key_policy", lambda got: got["Policy"], PolicyName="default"
    ),
    ("AWS::DynamoDB::Table", "TableName"): name_in(lambda name: name),
    ("AWS::DynamoDB::Table", "AttributeDefinitions"): table(lambda t: t["AttributeDefinitions"]),
    ("AWS::DynamoDB::Table", "BillingMode"): table(
        lambda t: t["BillingModeSummary"]["BillingMode"]
    ),
    ("AWS::DynamoDB::Table", "KeySchema"): table(lambda t: t["KeySchema"]),
    ("AWS::DynamoDB::Table", "PointInTimeRecoverySpecification"): backups,
    ("AWS::DynamoDB::Table", "SSESpecification"): table_sse,
    ("AWS::Logs::LogGroup", "LogGroupName"): log_group("logGroupName"),
    ("AWS::Logs::LogGroup", "RetentionInDays"): log_group("retentionInDays"),
    ("AWS::Lambda::Function", "FunctionName"): function("FunctionName"),
    ("AWS::Lambda::Function", "Description"): function("Description"),
    ("AWS::Lambda::Function", "Runtime"): function("Runtime"),
    ("AWS::Lambda::Function", "Architectures"): function("Architectures"),
    ("AWS::Lambda::Function", "Handler"): function("Handler"),
    ("AWS::Lambda::Function", "Code"): function_code,
    ("AWS::Lambda::Function", "Role"): function("Role"),
    ("AWS::Lambda::Function", "Timeout"): function("Timeout"),
    ("AWS::Lambda::Function", "MemorySize"): function("MemorySize"),
    ("AWS::Lambda::Function", "Environment"): function("Environment"),
    ("AWS::Lambda::EventSourceMapping", "EventSourceArn"): mapping("EventSourceArn"),
    ("AWS::Lambda::EventSourceMapping", "FunctionName"): mapped_function,
    ("AWS::Lambda::EventSourceMapping", "Enabled"): mapping(
        "State", lambda enabled: "Enabled" if str(enabled).lower() == "true" else "Disabled"
    ),
    ("AWS::Lambda::EventSourceMapping", "BatchSize"): mapping("BatchSize"),
    ("AWS::Lambda::EventSourceMapping", "MaximumBatchingWindowInSeconds"): mapping(
        "MaximumBatchingWindowInSeconds"
    ),
    ("AWS::Lambda::EventSourceMapping", "FunctionResponseTypes"): mapping("FunctionResponseTypes"),
    ("AWS::Lambda::EventSourceMapping", "ScalingConfig"): mapping("ScalingConfig"),
}


def _expiration(rule: dict[str, Any]) -> dict[str, Any]:
    """S3's lifecycle rule in CloudFormation's words (ExpirationInDays, ...)."""
    words: dict[str, Any] = {}
    if "Days" in rule.get("Expiration", {}):
        words["ExpirationInDays"] = rule["Expiration"]["Days"]
    if "NoncurrentDays" in rule.get("NoncurrentVersionExpiration", {}):
        days = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        words["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
    if "DaysAfterInitiation" in rule.get("AbortIncompleteMultipartUpload", {}):
        words["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    if "Prefix" in rule.get("Filter", {}):
        words["Prefix"] = rule["Filter"]["Prefix"]
    return words


ARTIFACT_BUCKET, ARTIFACT_KEY = "walk-artifacts", "services.zip"


def deploy(cfn: CloudFormationClient, client: Client, **parameters: str) -> dict[str, Any]:
    """infra.yaml deployed in-process; each created resource's type, physical id and
    properties, and None for each resource its Condition leaves out."""
    client("s3").create_bucket(Bucket=ARTIFACT_BUCKET)
    client("s3").put_object(Bucket=ARTIFACT_BUCKET, Key=ARTIFACT_KEY, Body=package())
    given = {"ArtifactBucket": ARTIFACT_BUCKET, "ArtifactKey": ARTIFACT_KEY, **parameters}
    cfn.create_stack(
        StackName="walk",
        TemplateBody=default_template_path().read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    described = cfn.describe_stacks(StackName="walk")["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
    account = described["StackId"].split(":")[4]
    stack = cloudformation_backends[account][REGION].get_stack("walk")
    conditions = stack.resource_map.lazy_condition_map
    listed = cfn.describe_stack_resources(StackName="walk")["StackResources"]
    created = {resource["LogicalResourceId"] for resource in listed}
    resources: dict[str, Any] = {}
    for logical_id, body in stack.template_dict["Resources"].items():
        if "Condition" in body and not conditions[body["Condition"]]:
            assert logical_id not in created, logical_id
            resources[logical_id] = None  # not created: nothing to read back
            continue
        properties = clean_json(body.get("Properties", {}), stack.resource_map)
        physical = getattr(stack.resource_map[logical_id], "physical_resource_id", None)
        assert physical, logical_id
        resources[logical_id] = (body["Type"], physical, properties)
    return resources


@pytest.fixture
def deployed(cfn: CloudFormationClient, client: Client) -> dict[str, Any]:
    """infra.yaml deployed with its defaults (the services on Lambda)."""
    return deploy(cfn, client)


def walk(resources: dict[str, Any], client: Client) -> list[str]:
    """Read every property back; the properties no reader knows, named."""
    unmapped: list[str] = []
    for logical_id, created in resources.items():
        if created is None:  # its Condition is false: the stack has no such resource
            continue
        kind, physical, properties = created
        for name, value in properties.items():
            if (kind, name) in DEFERRED:
                continue
            reader = READERS.get((kind, name))
            if reader is None:
                unmapped.append(f"{logical_id}.{name} ({kind})")
                continue
            reader(client, physical, value, properties)
    return unmapped


def test_every_declared_property_is_read_back(deployed: dict[str, Any], client: Client) -> None:
    unmapped = walk(deployed, client)
    assert unmapped == [], f"no reader in READERS for: {', '.join(unmapped)}"


def test_services_host_external_leaves_the_lambda_resources_out_of_stack_and_walk(
    cfn: CloudFormationClient, client: Client
) -> None:
    deployed = deploy(cfn, client, ServicesHost="external")
    left_out = {logical_id for logical_id, created in deployed.items() if created is None}
    assert left_out == {
        f"{service}{resource}"
        for service in ("Orders", "Payments")
        for resource in ("FunctionLogGroup", "FunctionRole", "Function", "EventSourceMapping")
    }
    assert client("lambda").list_functions()["Functions"] == []
    assert walk(deployed, client) == []


def test_a_property_without_a_reader_fails_the_walk(client: Client) -> None:
    later = {"Later": ("AWS::Lambda::Function", "fn", {"ReservedConcurrentExecutions": 2})}
    assert walk(later, client) == ["Later.ReservedConcurrentExecutions (AWS::Lambda::Function)"]
