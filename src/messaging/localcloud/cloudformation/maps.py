"""A stack's resources and outputs that never create anything by being read.

It also masks every NoEcho parameter as `****` in DescribeStacks (moto masked only the
values given, not defaults).

The gap it closes: moto's `ResourceMap` is lazy: reading a resource that is not there
*creates* it. After a failed stack rolled back, `DescribeStacks` evaluated the outputs,
which created the rolled-back resources again (or raised `BucketAlreadyExists`), and
answered HTTP 500 from then on; `DescribeStackResources` did the same.

`GuardedResourceMap` creates a resource only inside `building()`, which the stack
engine opens for exactly the resource it is creating; anywhere else a resource that
does not exist reads as absent. `SafeOutputMap` leaves out an output whose value
refers to a resource that does not exist, as CloudFormation does, instead of
evaluating it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.cloudformation import models as moto_cfn
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.parsing import Export, Output, OutputMap, ResourceMap, clean_json

from messaging.localcloud.cloudformation.resolve import references

__all__ = ["GuardedResourceMap", "SafeOutputMap", "guard_maps", "rebuild_outputs"]

logger = logging.getLogger(__name__)


class GuardedResourceMap(ResourceMap):
    """moto's resource map, minus creation on read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._building = False

    @contextmanager
    def building(self) -> Iterator[None]:
        self._building = True
        try:
            yield
        finally:
            self._building = False

    def load_parameters(self) -> None:
        """moto's, plus NoEcho on defaults: DescribeStacks masks every NoEcho value."""
        super().load_parameters()
        declared = self._template.get("Parameters") or {}
        masked = [n for n, d in declared.items() if str(d.get("NoEcho")).lower() == "true"]
        self.no_echo_parameter_keys = sorted(set(self.no_echo_parameter_keys) | set(masked))

    def __getitem__(self, key: str) -> Any:
        if key in self._parsed_resources or self._building:
            return super().__getitem__(key)
        if key in self._resource_json_map:
            return None  # declared, not created (failed, rolled back, or not yet)
        raise KeyError(key)

    def created(self) -> list[str]:
        """Logical ids of the template's resources that exist now."""
        return [
            key for key in self._resource_json_map if self._parsed_resources.get(key) is not None
        ]

    def __iter__(self) -> Iterator[str]:
        return iter(self.created())

    def __len__(self) -> int:
        return len(self.created())

    def instances(self) -> dict[str, Any]:
        """Where the engine reads and writes the physical resources."""
        return self._parsed_resources

    def switch(self, template: dict[str, Any], parameters: dict[str, Any]) -> None:
        """Evaluate from now on with this template and these parameters."""
        self._template = template
        self.input_parameters = parameters
        self.resolved_parameters = {}
        self.load_mapping()
        self.load_parameters()
        self.load_conditions()
        self._resource_json_map = template.get("Resources", {})

    def build(self, logical_id: str) -> Any:
        with self.building():
            return self[logical_id]


class SafeOutputMap(OutputMap):
    """Outputs of resources that exist; the others are left out, never evaluated."""

    def _evaluable(self, node: Any) -> bool:
        resources: GuardedResourceMap = self._resource_map  # type: ignore[assignment]
        declared = resources._resource_json_map  # noqa: SLF001 - moto keeps the template here
        existing = resources.instances()
        return all(
            name not in declared or existing.get(name) is not None for name in references(node)
        )

    def __getitem__(self, key: str) -> Output | None:
        output_json = self._output_json_map.get(key)
        if not self._evaluable(output_json):
            return None
        try:
            return super().__getitem__(key)
        except (KeyError, ValidationError, UnformattedGetAttTemplateException) as error:
            logger.warning("stack output %s left out: %s", key, error)
            return None

    @property
    def exports(self) -> list[Export]:
        exports = []
        for value in (self._output_json_map or {}).values():
            if value.get("Export") and self._evaluable(value):
                name = clean_json(value["Export"].get("Name"), self._resource_map)
                exported = clean_json(value.get("Value"), self._resource_map)
                exports.append(Export(self._stack_id, name, exported))
        return exports


def rebuild_outputs(stack: moto_cfn.Stack) -> None:
    stack.output_map = SafeOutputMap(stack.resource_map, stack.template_dict, stack.stack_id)


def guard_maps(stack: moto_cfn.Stack) -> GuardedResourceMap:
    """Give a stack guarded maps for its current template and parameters."""
    resources = GuardedResourceMap(
        stack.stack_id,
        stack.name,
        stack.parameters,
        stack.tags,
        region_name=stack.region_name,
        account_id=stack.account_id,
        template=stack.template_dict,
        cross_stack_resources=stack.cross_stack_resources,
    )
    resources.load()
    stack.resource_map = resources
    rebuild_outputs(stack)
    return resources
