"""moto's Stack, described as CloudFormation describes it.

The gap it closes: moto's DescribeStacks meant to mask NoEcho parameters as `****` but
compared each parameter's *value* with the NoEcho parameter *names*, so a NoEcho value
was shown in clear (unless it happened to equal a parameter name). Here the names are
compared, and every NoEcho parameter is masked, given or defaulted
(`maps.GuardedResourceMap.load_parameters` lists the defaulted ones).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models as moto_cfn

__all__ = ["MASK", "Stack"]

MASK = "****"


class Stack(moto_cfn.Stack):
    """A stack whose NoEcho parameters DescribeStacks masks.

    Named `Stack` on purpose: moto's serializer finds `StackName`, `StackStatus`, ... by
    stripping the class name from the key, so another name would lose those fields.
    """

    @property
    def parameter_list(self) -> list[dict[str, Any]]:
        masked = set(self.resource_map.no_echo_parameter_keys)
        return [
            {"ParameterKey": key, "ParameterValue": MASK if key in masked else value}
            for key, value in self.resource_map.resolved_parameters.items()
        ]
