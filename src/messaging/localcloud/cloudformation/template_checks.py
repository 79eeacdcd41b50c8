"""The template errors CloudFormation reports synchronously, before a stack exists.

The gap it closes: the stack engine (`lifecycle`) turns every failure while creating
into a failed, rolled-back stack, as AWS does for a resource that fails. But AWS
validates the template first and answers CreateStack, UpdateStack and CreateChangeSet
with a `ValidationError` (HTTP 400), creating nothing, when:

- a `Ref`, a `${Name}` in `Fn::Sub` or a `DependsOn` names nothing the template
  declares (`Template format error: Unresolved resource dependencies [X] in the
  Resources block of the template`; `Outputs block` for outputs);
- `Fn::GetAtt` (or `${X.Attr}`) names an undeclared resource (`Template error:
  instance of Fn::GetAtt references undefined resource X`);
- `Fn::ImportValue` names an export no stack has (`No export named X found.`);
- an output refers to a resource whose Condition is false (`Unresolved resource
  dependencies [X] in the Outputs block of the template`).

Known limits: an `Fn::ImportValue` name is checked when it is text, a parameter or an
`Fn::Sub` of parameters and pseudo parameters; other forms are left to creation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.utils import generate_stack_id

from messaging.localcloud.cloudformation.changes import parameter_values
from messaging.localcloud.cloudformation.parameters import validate_parameters
from messaging.localcloud.cloudformation.resolve import Scope, references, resolve

__all__ = ["check_template", "pseudo_for", "validate_request"]


def validate_request(
    template: dict[str, Any], given: dict[str, Any], pseudo: dict[str, Any], exports: dict[str, Any]
) -> None:
    """What CloudFormation refuses synchronously: parameters first, then the template."""
    validate_parameters(template, given)
    check_template(template, parameter_values(template, given), pseudo, exports)


def pseudo_for(name: str, region: str, account_id: str) -> dict[str, Any]:
    """Pseudo parameters of a stack about to be created (its id is not issued yet)."""
    return {
        "AWS::AccountId": account_id,
        "AWS::Region": region,
        "AWS::StackId": generate_stack_id(name, region, account_id),
        "AWS::StackName": name,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::Partition": "aws",
    }


_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


def check_template(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    pseudo: Mapping[str, Any],
    exports: Mapping[str, Any],
) -> None:
    """Raise the ValidationError CloudFormation answers for this template, if any."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    declared = set(resources) | set(template.get("Parameters") or {})
    for block in ("Resources", "Outputs"):
        unresolved: list[str] = []
        for body in (template.get(block) or {}).values():
            _walk(body, resources, declared, unresolved)
            if block == "Resources":
                depends = body.get("DependsOn", []) if isinstance(body, dict) else []
                names = [depends] if isinstance(depends, str) else list(depends)
                unresolved += [name for name in names if name not in resources]
        if unresolved:
            listed = ", ".join(dict.fromkeys(unresolved))
            raise ValidationError(
                message=f"Template format error: Unresolved resource dependencies [{listed}] "
                f"in the {block} block of the template"
            )
    scope = Scope(
        parameters=dict(parameters),
        pseudo=dict(pseudo),
        reference=lambda name: name,
        attribute=lambda name, attribute: f"{name}.{attribute}",
        conditions=template.get("Conditions") or {},
        mappings=template.get("Mappings") or {},
    )
    _check_imports(template, scope, exports)
    _check_conditional_outputs(template, scope)


def _walk(node: Any, resources: Mapping[str, Any], declared: set[str], out: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, resources, declared, out)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            if value not in declared and not value.startswith("AWS::"):
                out.append(value)
        elif key == "Fn::GetAtt":
            target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
            _require_resource(str(target), resources)
        elif key == "Fn::Sub":
            _walk_sub(value, resources, declared, out)
        else:
            _walk(value, resources, declared, out)


def _walk_sub(value: Any, resources: Mapping[str, Any], declared: set[str], out: list[str]) -> None:
    text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
    for name in _SUB_NAME.findall(str(text)):
        if name in (variables or {}) or name.startswith("AWS::"):
            continue
        if "." in name:
            _require_resource(name.split(".", 1)[0], resources)
        elif name not in declared:
            out.append(name)
    _walk(variables, resources, declared, out)


def _require_resource(name: str, resources: Mapping[str, Any]) -> None:
    if name not in resources:
        raise ValidationError(
            message=f"Template error: instance of Fn::GetAtt references undefined resource {name}"
        )


def _imports(node: Any) -> list[Any]:
    if isinstance(node, list):
        return [found for item in node for found in _imports(item)]
    if not isinstance(node, dict):
        return []
    found: list[Any] = []
    for key, value in node.items():
        found += [value] if key == "Fn::ImportValue" else _imports(value)
    return found


def _check_imports(template: Mapping[str, Any], scope: Scope, exports: Mapping[str, Any]) -> None:
    resources = set(template.get("Resources") or {})
    for name_node in _imports([template.get("Resources"), template.get("Outputs")]):
        if references(name_node) & resources:
            continue  # named after a resource: known only once it exists
        try:
            name = resolve(name_node, scope)
        except (KeyError, IndexError, TypeError, ValueError, ValidationError):
            continue  # not knowable before creation: left to the resource that imports it
        if isinstance(name, str) and name not in exports:
            raise ValidationError(message=f"No export named {name} found.")


def _live_references(node: Any, scope: Scope) -> set[str]:
    """What a value refers to once its Fn::If conditions are decided."""
    if isinstance(node, list):
        return {name for item in node for name in _live_references(item, scope)}
    if not isinstance(node, dict):
        return set()
    if len(node) == 1 and "Fn::If" in node and isinstance(node["Fn::If"], list):
        condition, when_true, when_false = node["Fn::If"]
        return _live_references(when_true if scope.condition(condition) else when_false, scope)
    found = references({key: value for key, value in node.items() if not isinstance(value, dict)})
    for value in node.values():
        if isinstance(value, dict | list):
            found |= _live_references(value, scope)
    return found


def _check_conditional_outputs(template: Mapping[str, Any], scope: Scope) -> None:
    resources: Mapping[str, Any] = template.get("Resources") or {}
    for output in (template.get("Outputs") or {}).values():
        if not isinstance(output, dict):
            continue
        if "Condition" in output and not scope.condition(str(output["Condition"])):
            continue
        absent = sorted(
            name
            for name in _live_references(output.get("Value"), scope)
            if isinstance(resources.get(name), dict)
            and "Condition" in resources[name]
            and not scope.condition(str(resources[name]["Condition"]))
        )
        if absent:
            raise ValidationError(
                message=f"Unresolved resource dependencies [{', '.join(absent)}] in the "
                "Outputs block of the template"
            )
