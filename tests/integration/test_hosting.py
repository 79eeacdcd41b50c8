"""infra.yaml with the services on Lambda, deployed as `messaging deploy` does it (ops/hosting).

One stack on Lambda is deployed once per module and read by the tests that only look at
it (the deploy is most of their time); the external one is its own.
"""

from __future__ import annotations

import ast
import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest

from messaging.localcloud.server import LocalCloud
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.hosting import ArtifactSource, HostingError, HostingPlan, prepare
from messaging.ops.settings import Settings
from messaging.ops.stack.template import template_resources

pytestmark = pytest.mark.integration

INFRA = stack.default_template_path().read_text()


def deploy(aws: Aws, name: str, given: dict[str, str], artifacts: ArtifactSource) -> Any:
    """What `messaging deploy` does: hosting first (build, upload), then the change set."""
    cfn = aws.cloudformation()
    plan = prepare(
        aws.s3(),
        aws.client("sts"),
        aws.region,
        INFRA,
        given,
        stack.describe_stack(cfn, name),
        source=artifacts,
    )
    result = stack.deploy(cfn, name, INFRA, {**given, **plan.parameters}, sleep=lambda _: None)
    return plan, result


@dataclass(frozen=True)
class Deployed:
    aws: Aws
    name: str
    prefix: str
    plan: HostingPlan
    result: Any


@pytest.fixture(scope="module")
def on_lambda(cloud: LocalCloud, artifacts: ArtifactSource) -> Deployed:
    """One stack with the services on Lambda (the template's defaults)."""
    settings = Settings(endpoint_url=cloud.endpoint_url, region=cloud.region)
    aws = Aws(settings, placeholder_credentials=cloud.placeholder_credentials)
    prefix = "hosting-"
    plan, result = deploy(aws, f"{prefix}fn", {"NamePrefix": prefix}, artifacts)
    return Deployed(aws, f"{prefix}fn", prefix, plan, result)


def test_the_functions_get_the_uploaded_code_their_config_and_their_mappings(
    on_lambda: Deployed,
) -> None:
    aws, name_prefix, plan, result = (
        on_lambda.aws,
        on_lambda.prefix,
        on_lambda.plan,
        on_lambda.result,
    )
    assert result.status == "CREATE_COMPLETE"
    assert plan.host == "lambda"
    assert plan.published is not None
    assert plan.artifact is not None
    outputs = stack.StackOutputs.model_validate(result.outputs)
    assert outputs.OrdersFunctionName == f"{name_prefix}orders-service"
    assert outputs.PaymentsFunctionName == f"{name_prefix}payments-service"

    lam = aws.client("lambda")
    for service, table in (("orders", outputs.OrdersTableName), ("payments", "")):
        function = lam.get_function(FunctionName=f"{name_prefix}{service}-service")
        config = function["Configuration"]
        # The function holds the very zip that was built: Lambda's CodeSha256 is its hash.
        assert base64.b64decode(config["CodeSha256"]).hex() == plan.artifact.sha256
        assert config["Runtime"] == "python3.13"
        assert config["Handler"] == "messaging.consumer.lambda_handler.handler"
        assert (config["Timeout"], config["MemorySize"]) == (5, 256)
        variables = config["Environment"]["Variables"]
        assert variables["MESSAGING_SERVICE"] == service
        assert variables["MESSAGING_TABLE_NAME"] == (table or outputs.PaymentsTableName)
        assert set(variables) == {"MESSAGING_SERVICE", "MESSAGING_TABLE_NAME"}  # no secret

    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    ours = {m["EventSourceArn"].rsplit(":", 1)[-1]: m for m in mappings}
    orders = ours[f"{name_prefix}api-orders-created-consumer"]
    assert orders["FunctionArn"].endswith(f":{name_prefix}orders-service")
    assert orders["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert orders["BatchSize"] == 50
    assert orders["MaximumBatchingWindowInSeconds"] == 1
    assert orders["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert f"{name_prefix}api-payment-created-consumer" in ours

    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
    assert retention[f"/aws/lambda/{name_prefix}orders-service"] == 30

    # Each function's role: its own queue, its own table's puts, the key through
    # DynamoDB, its own log group, and nothing else.
    iam = aws.client("iam")
    role_name = config["Role"].rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        # moto answers an inline policy made by CloudFormation as a Python repr, not the
        # URL-encoded JSON AWS sends (a gap of the local cloud's IAM, noted, not this
        # test's subject): read either.
        document = ast.literal_eval(document) if document.startswith("{'") else json.loads(document)
    actions = {s["Sid"]: s["Action"] for s in document["Statement"]}
    assert actions == {
        "ConsumePaymentsQueue": [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
        ],
        "CreateItemsInPaymentsTable": ["dynamodb:PartiQLInsert", "dynamodb:PutItem"],
        "UseTablesKeyThroughDynamoDb": [
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ],
        "WriteOwnLogGroup": ["logs:CreateLogStream", "logs:PutLogEvents"],
    }
    resources = json.dumps(document)
    assert "orders" not in resources  # the payments role reaches nothing of orders
    assert '"*"' not in resources


def test_an_unchanged_build_uploads_nothing_and_changes_nothing(
    on_lambda: Deployed, artifacts: ArtifactSource
) -> None:
    first = on_lambda.plan
    again, updated = deploy(on_lambda.aws, on_lambda.name, {}, artifacts)
    assert again.parameters == first.parameters  # the same key
    assert again.published is not None
    assert not again.published.uploaded
    assert not updated.changed  # "No changes": no function was touched
    assert updated.kept == [n for n in stack.template_parameters(INFRA) if "Artifact" not in n]


def test_external_leaves_compute_out_and_lambda_needs_the_visibility_guidance(
    aws: Aws, name_prefix: str, artifacts: ArtifactSource
) -> None:
    name = f"{name_prefix}ext"
    given = {"NamePrefix": name_prefix, "ServicesHost": "external"}
    plan, result = deploy(aws, name, given, artifacts)
    assert plan.parameters == {}  # nothing built, nothing uploaded
    assert "OrdersFunctionName" not in result.outputs
    types = set(template_resources(INFRA).values())
    deployed = {
        r["ResourceType"]
        for r in aws.cloudformation().describe_stack_resources(StackName=name)["StackResources"]
    }
    assert deployed == types - {
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Logs::LogGroup",
    }
    # Moving it to Lambda with a visibility timeout under 6 x the function timeout is
    # refused before anything is sent.
    with pytest.raises(HostingError, match="under 6 x FunctionTimeoutSeconds 5 = 30"):
        deploy(aws, name, {"ServicesHost": "lambda", "VisibilityTimeoutSeconds": "20"}, artifacts)
    unchanged = stack.describe_stack(aws.cloudformation(), name)
    assert unchanged is not None
    assert unchanged["StackStatus"] == "CREATE_COMPLETE"
