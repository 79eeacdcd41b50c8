"""The CloudFormation API requests moto reads incompletely, read in full.

The gap it closes: moto's `CreateChangeSet` ignores `ClientToken` and answers HTTP 500
for `UsePreviousValue` on a parameter the stack does not have; `ListChangeSets` lists
every stack's change sets; `DeleteStack` drops `RetainResources`; there is no
`ContinueUpdateRollback`. This subclass of moto's
response class reads those parameters and passes them to the backend (`stacks`); the
backend's `_url_module` routes CloudFormation requests here.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult, EmptyResult

from messaging.localcloud.cloudformation.changes import parameter_values
from messaging.localcloud.cloudformation.stacks import LocalCloudFormationBackend

__all__ = ["LocalCloudFormationResponse"]


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class LocalCloudFormationResponse(CloudFormationResponse):
    @property
    def backend(self) -> LocalCloudFormationBackend:
        backend = self.cloudformation_backend
        if not isinstance(backend, LocalCloudFormationBackend):  # installed by `stacks.install`
            raise TypeError("the local cloud's CloudFormation backend is not installed")
        return backend

    def _given_parameters(
        self, items: list[dict[str, Any]], previous: dict[str, Any]
    ) -> dict[str, str]:
        """Parameter values of a request; UsePreviousValue reads the stack's current one."""
        given: dict[str, str] = {}
        for item in items:
            key = str(item["ParameterKey"])
            if not _true(item.get("UsePreviousValue", False)):
                given[key] = str(item.get("ParameterValue", ""))
                continue
            if item.get("ParameterValue"):
                raise ValidationError(
                    message=f"Invalid input for parameter key {key}. Cannot specify "
                    "usePreviousValue as true and non empty value for a parameter"
                )
            if key not in previous:
                raise ValidationError(
                    message=f"Invalid input for parameter key {key}. Cannot specify "
                    "usePreviousValue as true for a parameter key not in the previous template"
                )
            value = previous[key]
            given[key] = ",".join(value) if isinstance(value, list) else str(value)
        return given

    def create_change_set(self) -> ActionResult:
        stack_name = self._get_param("StackName")
        change_set_type = self._get_param("ChangeSetType", "CREATE")
        body = self._get_param("TemplateBody")
        template_url = self._get_param("TemplateURL")
        self.validate_template_and_stack_body()
        previous: dict[str, Any] = {}
        if change_set_type == "UPDATE":
            stack = self.cloudformation_backend.get_stack(stack_name)
            previous = parameter_values(stack.template_dict, stack.parameters)
            if self._get_bool_param("UsePreviousTemplate", False):
                body = stack.template
        if template_url:
            body = self._get_stack_from_s3_url(template_url)
        change_set_id, stack_id = self.backend.create_change_set(
            stack_name=stack_name,
            change_set_name=self._get_param("ChangeSetName"),
            template=body,
            parameters=self._given_parameters(self._get_param("Parameters", []), previous),
            description=self._get_param("Description"),
            notification_arns=self._get_param("NotificationARNs", []),
            tags={item["Key"]: item["Value"] for item in self._get_param("Tags", [])},
            role_arn=self._get_param("RoleARN"),
            change_set_type=change_set_type,
            client_token=self._get_param("ClientToken"),
        )
        return ActionResult({"Id": change_set_id, "StackId": stack_id})

    @classmethod
    def cfnresponse(cls, *args: Any, **kwargs: Any) -> Any:
        """A custom resource provider's answer, served by this class (moto's used its own)."""
        request, full_url, headers = args
        response = cls()
        response.automated_parameter_parsing = False
        return response._dispatch(
            request=request, full_url=full_url + "&Action=ProcessCfnResponse", headers=headers
        )

    def process_cfn_response(self) -> tuple[int, dict[str, int], str]:
        fields = ("Status", "Reason", "StackId", "LogicalResourceId", "PhysicalResourceId", "Data")
        self.backend.custom_resource_answered({name: self._get_param(name) for name in fields})
        return 200, {"status": 200}, json.dumps("{}")

    def list_change_sets(self) -> ActionResult:
        """The change sets of the stack asked for (moto listed every stack's)."""
        summaries = self.backend.list_change_sets_of(self._get_param("StackName"))
        return ActionResult({"Summaries": summaries})

    def delete_stack(self) -> ActionResult:
        self.backend.delete_stack(
            self._get_param("StackName"), retain_resources=self._get_param("RetainResources", [])
        )
        return EmptyResult()

    def continue_update_rollback(self) -> ActionResult:
        self.backend.continue_update_rollback(
            self._get_param("StackName"), self._get_param("ResourcesToSkip", [])
        )
        return EmptyResult()
