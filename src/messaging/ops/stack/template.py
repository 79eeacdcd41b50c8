"""The template and its parameters, checked before anything reaches CloudFormation."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from messaging.ops.stack.model import StackError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef

__all__ = [
    "default_template_path",
    "parameter_list",
    "parse_parameters",
    "parse_template",
    "template_parameters",
    "template_resources",
]


def default_template_path() -> Path:
    """The template shipped inside the package, so a wheel or a pipx install can deploy."""
    return Path(str(resources.files("messaging.infra").joinpath("infra.yaml")))


def parse_template(template_body: str) -> dict[str, Any]:
    """A template (YAML or JSON) as data; short tags (`!Ref`, `!Sub`...) read as None."""

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    document = yaml.load(template_body, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    return document if isinstance(document, dict) else {}


def template_parameters(template_body: str) -> dict[str, Any]:
    """Declared parameters of a template (YAML or JSON), tolerating CFN short tags."""
    return dict(parse_template(template_body).get("Parameters") or {})


def template_resources(template_body: str) -> dict[str, str]:
    """Logical id -> type of every resource the template declares."""
    declared = parse_template(template_body).get("Resources") or {}
    return {name: str(body.get("Type", "")) for name, body in declared.items()}


def parse_parameters(pairs: list[str], declared: dict[str, Any]) -> dict[str, str]:
    """`KEY=VALUE` pairs checked against the template, so typos fail before deploying."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise StackError(f"parameter {pair!r} is not KEY=VALUE; write it as -p KEY=VALUE")
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise StackError(f"unknown parameter {key!r}; the template declares: {known}")
        parsed[key] = value
    return parsed


def parameter_list(
    declared: dict[str, Any],
    given: dict[str, str],
    current: dict[str, str] | None,
    *,
    reset: bool = False,
) -> tuple[list[ParameterTypeDef], list[str]]:
    """The Parameters of a change set, and the names that keep their current value.

    As `aws cloudformation deploy` does: on an update, a declared parameter that is not
    given keeps the stack's current value (UsePreviousValue), so leaving NamePrefix out
    never renames (replaces) everything. `reset` sends only what is given, which puts
    every other parameter back to its default. A first create uses the defaults.
    """
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise StackError(f"unknown parameters {unknown}; the template declares: {sorted(declared)}")
    parameters: list[ParameterTypeDef] = [
        {"ParameterKey": key, "ParameterValue": value} for key, value in given.items()
    ]
    if current is None or reset:
        return parameters, []
    kept = [name for name in declared if name not in given and name in current]
    parameters += [{"ParameterKey": name, "UsePreviousValue": True} for name in kept]
    return parameters, kept
