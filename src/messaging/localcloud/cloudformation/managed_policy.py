"""AWS::IAM::ManagedPolicy that is updated and deleted with its stack, as on AWS.

The gap it closes: moto's `ManagedPolicy` model creates the policy but cannot delete or
update it, so deleting a stack left the policy behind in IAM, and it ignores properties
it does not know. This model creates the policy through moto's IAM backend and then:

- update: a new `PolicyDocument` becomes a new default version (AWS keeps at most five,
  so the oldest non-default one goes); `Roles`, `Users` and `Groups` are attached and
  detached to match; a new name, path or description replaces the policy, as AWS does;
- delete: detach it from what the resource listed, then delete it.

Ref gives the policy ARN; GetAtt gives `PolicyArn`, `PolicyId` and `DefaultVersionId`,
as on AWS. Any other property or attribute fails the stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.iam.exceptions import NotFoundException
from moto.iam.models import ManagedPolicy, iam_backends
from moto.utilities.utils import get_partition

from messaging.localcloud.cloudformation.resources import only

__all__ = ["StackManagedPolicy"]

_MAX_VERSIONS = 5  # IAM keeps at most five versions of a managed policy
_ATTACHMENTS = ("Roles", "Users", "Groups")


class StackManagedPolicy(CloudFormationModel):
    PROPERTIES: ClassVar = {"Description", "ManagedPolicyName", "Path", "PolicyDocument",
                            *_ATTACHMENTS}  # fmt: skip
    REPLACE_ON_CHANGE: ClassVar = ("Description", "ManagedPolicyName", "Path")

    def __init__(
        self, policy: ManagedPolicy, account_id: str, region: str, properties: dict[str, Any]
    ) -> None:
        self.policy = policy
        self.account_id = account_id
        self.region = region
        self.properties = properties

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::ManagedPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""  # AWS names an unnamed policy after the stack, as moto's parser does

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("PolicyArn", "PolicyId", "DefaultVersionId")

    @property
    def physical_resource_id(self) -> str:
        return str(self.policy.arn)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        values = {
            "PolicyArn": self.policy.arn,
            "PolicyId": self.policy.id,
            "DefaultVersionId": self.policy.default_version_id,
        }
        if attribute_name in values:
            return str(values[attribute_name])
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @property
    def _backend(self) -> Any:
        return iam_backends[self.account_id][get_partition(self.region)]

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> StackManagedPolicy:
        properties = dict(cloudformation_json.get("Properties", {}))
        only(cls.cloudformation_type(), properties, cls.PROPERTIES)
        policy = ManagedPolicy.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name
        )
        return cls(policy, account_id, region_name, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: StackManagedPolicy,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> StackManagedPolicy:
        properties = dict(cloudformation_json.get("Properties", {}))
        only(cls.cloudformation_type(), properties, cls.PROPERTIES)
        old = original_resource.properties
        if any(properties.get(k) != old.get(k) for k in cls.REPLACE_ON_CHANGE):
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            original_resource.delete(account_id, region_name)
            return replacement
        if properties.get("PolicyDocument") != old.get("PolicyDocument"):
            original_resource._new_version(properties["PolicyDocument"])
        for kind in _ATTACHMENTS:
            wanted, had = set(properties.get(kind, [])), set(old.get(kind, []))
            for name in wanted - had:
                original_resource._attachment(kind, attach=True)(original_resource.arn, name)
            original_resource._detach(kind, had - wanted)
        original_resource.properties = properties
        return original_resource

    @property
    def arn(self) -> str:
        return str(self.policy.arn)

    def _new_version(self, document: Any) -> None:
        text = document if isinstance(document, str) else json.dumps(document)
        backend = self._backend
        older = [v for v in self.policy.versions if not v.is_default]
        if len(self.policy.versions) >= _MAX_VERSIONS and older:
            backend.delete_policy_version(self.arn, older[0].version_id)
        backend.create_policy_version(self.arn, text, set_as_default=True)

    def _attachment(self, kind: str, *, attach: bool) -> Callable[[str, str], None]:
        backend = self._backend
        verb = "attach" if attach else "detach"
        method: Callable[[str, str], None] = getattr(backend, f"{verb}_{kind[:-1].lower()}_policy")
        return method

    def _detach(self, kind: str, names: set[str]) -> None:
        detach = self._attachment(kind, attach=False)
        for name in sorted(names):
            try:
                detach(self.arn, name)
            except NotFoundException:  # gone already, with its role, user or group
                continue

    def delete(self, account_id: str, region_name: str) -> None:
        for kind in _ATTACHMENTS:
            self._detach(kind, set(self.properties.get(kind, [])))
        try:
            self._backend.delete_policy(self.arn)
        except NotFoundException:  # deleted out of band: nothing left to delete
            return
