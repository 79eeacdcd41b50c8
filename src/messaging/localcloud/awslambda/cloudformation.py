"""AWS::Lambda::Function, AWS::Lambda::EventSourceMapping and AWS::Logs::LogGroup as
CloudFormation creates and updates them, over the local Lambda backend.

The gap it closes: moto's function model passes only a few properties on (Tags,
LoggingConfig, Architectures... are dropped silently) and updates ZipFile code
without encoding it; its mapping model passes template parameters through as strings
(`BatchSize: !Ref BatchSize` fails on a comparison); its log group drops KmsKeyId and
has no update. Each model here is moto's class listed again as a direct
`CloudFormationModel` subclass (it replaces moto's entry), converts template values
to the API's types, creates through the backend's API (so the same validation runs),
and declares `UPDATABLE`/`REMOVABLE` for the stack engine (`cloudformation.support`).
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from moto.awslambda.models import EventSourceMapping, LambdaFunction, lambda_backends
from moto.core.common_models import CloudFormationModel
from moto.logs.models import LogGroup, logs_backends

from messaging.localcloud.cloudformation.resources import only

__all__ = ["FunctionResource", "LogGroupResource", "MappingResource"]

INTEGERS = ("MemorySize", "Timeout", "ReservedConcurrentExecutions", "BatchSize",
            "MaximumBatchingWindowInSeconds", "RetentionInDays")  # fmt: skip
LATEST = "$LATEST"  # what a stack updates (moto reads "" as a version that does not exist)


def _typed(properties: dict[str, Any]) -> dict[str, Any]:
    """Template values (parameters are strings) as the API's types."""
    spec = dict(properties)
    for name in INTEGERS:
        if name in spec:
            spec[name] = int(spec[name])
    if "Enabled" in spec:
        spec["Enabled"] = str(spec["Enabled"]).lower() == "true"
    scaling = spec.get("ScalingConfig")
    if isinstance(scaling, dict) and "MaximumConcurrency" in scaling:
        spec["ScalingConfig"] = {
            **scaling,
            "MaximumConcurrency": int(scaling["MaximumConcurrency"]),
        }
    if isinstance(spec.get("Tags"), list):
        spec["Tags"] = {tag["Key"]: tag["Value"] for tag in spec["Tags"]}
    return spec


def _code(code: dict[str, Any]) -> dict[str, Any]:
    """Inline ZipFile text becomes a package with `index.py`, as CloudFormation builds it."""
    if "ZipFile" not in code:
        return dict(code)
    package = LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"])  # noqa: SLF001
    return {"ZipFile": base64.b64encode(package)}


class FunctionResource(LambdaFunction, CloudFormationModel):
    """AWS::Lambda::Function through the local backend's CreateFunction."""

    PROPERTIES: ClassVar[set[str]] = {
        "Code", "FunctionName", "Handler", "Role", "Runtime", "Description", "MemorySize",
        "Timeout", "Environment", "ReservedConcurrentExecutions", "Tags", "Architectures",
        "LoggingConfig", "TracingConfig", "EphemeralStorage", "KmsKeyArn", "PackageType",
        "Layers", "VpcConfig", "FileSystemConfigs", "ImageConfig", "SnapStart",
        "CodeSigningConfigArn", "DeadLetterConfig",
    }  # fmt: skip
    CONFIGURATION: ClassVar[frozenset[str]] = frozenset(
        {
            "Handler",
            "Runtime",
            "Description",
            "MemorySize",
            "Timeout",
            "Environment",
            "Role",
            "LoggingConfig",
        }
    )
    UPDATABLE: ClassVar[frozenset[str]] = CONFIGURATION | {"Code", "ReservedConcurrentExecutions"}
    REMOVABLE: ClassVar[frozenset[str]] = frozenset(
        {"Description", "Environment", "ReservedConcurrentExecutions", "LoggingConfig"}
    )

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaFunction:
        properties = cloudformation_json.get("Properties", {})
        only("AWS::Lambda::Function", properties, cls.PROPERTIES)
        spec = _typed(properties)
        spec["FunctionName"] = resource_name
        spec["Code"] = _code(spec["Code"])
        return lambda_backends[account_id][region_name].create_function(spec)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: LambdaFunction,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> LambdaFunction:
        properties = cloudformation_json.get("Properties", {})
        only("AWS::Lambda::Function", properties, cls.PROPERTIES)
        spec = _typed(properties)
        backend = lambda_backends[account_id][region_name]
        name = original_resource.function_name
        configuration = {key: spec[key] for key in cls.CONFIGURATION if key in spec}
        configuration.setdefault("Description", "")
        configuration.setdefault("Environment", {"Variables": {}})
        configuration.setdefault("LoggingConfig", {})
        backend.update_function_configuration(name, LATEST, configuration)
        backend.update_function_code(name, LATEST, _code(spec["Code"]))
        if spec.get("ReservedConcurrentExecutions") is not None:
            backend.put_function_concurrency(name, str(spec["ReservedConcurrentExecutions"]))
        else:
            backend.delete_function_concurrency(name)
        return backend.get_function(name)


class MappingResource(EventSourceMapping, CloudFormationModel):
    """AWS::Lambda::EventSourceMapping through the local backend's API (validated)."""

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 0,
        "Enabled": True,
        "FilterCriteria": {},
        "FunctionResponseTypes": [],
        "ScalingConfig": {},
    }
    UPDATABLE: ClassVar[frozenset[str]] = frozenset({*DEFAULTS, "FunctionName"})
    REMOVABLE: ClassVar[frozenset[str]] = frozenset(DEFAULTS)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> EventSourceMapping:
        properties = _typed(cloudformation_json.get("Properties", {}))
        return lambda_backends[account_id][region_name].create_event_source_mapping(properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: EventSourceMapping,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> EventSourceMapping:
        properties = _typed(cloudformation_json.get("Properties", {}))
        spec = {**cls.DEFAULTS, **{k: v for k, v in properties.items() if k in cls.UPDATABLE}}
        backend = lambda_backends[account_id][region_name]
        updated = backend.update_event_source_mapping(original_resource.uuid, spec)
        return updated or original_resource


class LogGroupResource(LogGroup, CloudFormationModel):
    """AWS::Logs::LogGroup with KmsKeyId kept and RetentionInDays updated in place."""

    PROPERTIES: ClassVar[set[str]] = {"LogGroupName", "RetentionInDays", "KmsKeyId", "Tags"}
    UPDATABLE: ClassVar[frozenset[str]] = frozenset({"RetentionInDays", "KmsKeyId"})
    REMOVABLE: ClassVar[frozenset[str]] = frozenset({"RetentionInDays"})

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LogGroup:
        properties = cloudformation_json.get("Properties", {})
        only("AWS::Logs::LogGroup", properties, cls.PROPERTIES)
        spec = _typed(properties)
        options: dict[str, Any] = {}
        if "RetentionInDays" in spec:
            options["RetentionInDays"] = spec["RetentionInDays"]
        if "KmsKeyId" in spec:
            options["kmsKeyId"] = spec["KmsKeyId"]
        backend = logs_backends[account_id][region_name]
        return backend.create_log_group(resource_name, spec.get("Tags") or {}, **options)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: LogGroup,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> LogGroup:
        properties = _typed(cloudformation_json.get("Properties", {}))
        only("AWS::Logs::LogGroup", properties, cls.PROPERTIES)
        backend = logs_backends[account_id][region_name]
        if "RetentionInDays" in properties:
            backend.put_retention_policy(original_resource.name, properties["RetentionInDays"])
        else:
            backend.delete_retention_policy(original_resource.name)
        original_resource.kms_key_id = properties.get("KmsKeyId")
        return original_resource
