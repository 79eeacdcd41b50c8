"""Template parameters validated as CloudFormation validates them, before anything exists.

The gap it closes: moto checks only that a parameter without a default was given. It
took `NamePrefix=UPPER` (a bucket name S3 refuses), `BufferSizeMB=0` and
`VisibilityTimeoutSeconds=99999`, and `BufferIntervalSeconds=abc` failed late, inside
resource creation, leaving a failed stack behind. CloudFormation refuses all of these
synchronously, with a `ValidationError` (HTTP 400), on CreateStack, UpdateStack and
CreateChangeSet, and creates nothing.

What is checked, per the Parameters section of the CloudFormation template reference:

- names: a given parameter the template does not declare (`Parameters: [X] do not
  exist in the template`), a declared one with neither a value nor a default
  (`Parameters: [X] must have values`);
- Type: `Number` and `List<Number>` members must be numbers; AWS-specific types
  (`AWS::EC2::VPC::Id`, `List<AWS::EC2::Subnet::Id>`, ...) by the shape of their ids
  (existence is not checked);
- AllowedValues (every member of a list type), AllowedPattern (the whole value must
  match, every member of a list type; String types), MinLength/MaxLength (String),
  MinValue/MaxValue (Number, List<Number>);
- a ConstraintDescription replaces the reason of a violated constraint
  (`Parameter 'X' <description>`), as the reference describes;
- defaults are values like any other and are checked too.

`NoEcho` values are masked as `****` by DescribeStacks (`maps.GuardedResourceMap`).

Known limits: AllowedPattern is a Java regular expression on AWS and a Python one here
(the same for the common subset: classes, quantifiers, anchors, groups); an
AWS-specific value of the right shape is accepted whether or not the resource exists;
`AWS::SSM::Parameter::Value<...>` values are resolved by moto, not checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moto.cloudformation.exceptions import ValidationError

__all__ = ["AWS_ID_SHAPES", "validate_parameters"]

# Shapes of the AWS-specific parameter types' values (ids as the services issue them).
AWS_ID_SHAPES: dict[str, str] = {
    "AWS::EC2::AvailabilityZone::Name": r"[a-z]{2}(-[a-z]+)+-\d+[a-z]",
    "AWS::EC2::Image::Id": r"ami-[0-9a-f]{8,17}",
    "AWS::EC2::Instance::Id": r"i-[0-9a-f]{8,17}",
    "AWS::EC2::KeyPair::KeyName": r".{1,255}",
    "AWS::EC2::SecurityGroup::GroupName": r".{1,255}",
    "AWS::EC2::SecurityGroup::Id": r"sg-[0-9a-f]{8,17}",
    "AWS::EC2::Subnet::Id": r"subnet-[0-9a-f]{8,17}",
    "AWS::EC2::Volume::Id": r"vol-[0-9a-f]{8,17}",
    "AWS::EC2::VPC::Id": r"vpc-[0-9a-f]{8,17}",
    "AWS::Route53::HostedZone::Id": r"Z[0-9A-Z]{1,32}",
    "AWS::SSM::Parameter::Name": r"[a-zA-Z0-9_.\-/]{1,2048}",
}
PLAIN_TYPES = ("String", "Number", "List<Number>", "CommaDelimitedList")


def validate_parameters(template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """Raise CloudFormation's ValidationError for the first parameter that fails."""
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValidationError(
            message=f"Parameters: [{', '.join(unknown)}] do not exist in the template"
        )
    missing = sorted(n for n, d in declared.items() if n not in given and "Default" not in d)
    if missing:
        raise ValidationError(message=f"Parameters: [{', '.join(missing)}] must have values")
    for name, declaration in declared.items():
        value = given.get(name, declaration.get("Default"))
        message = _violation(name, declaration, _text(value))
        if message is not None:
            raise ValidationError(message=message)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(_text, value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _violation(name: str, declaration: Mapping[str, Any], value: str) -> str | None:
    """Why `value` does not fit the declaration, in CloudFormation's words; None if it fits."""
    kind = str(declaration.get("Type", "String"))
    if kind.startswith("AWS::SSM::Parameter::Value<"):
        return None  # resolved from SSM by moto; the stored value is what is checked there
    is_list = kind.startswith("List<") or kind == "CommaDelimitedList"
    element = kind[5:-1] if kind.startswith("List<") else kind
    if element not in PLAIN_TYPES and element not in AWS_ID_SHAPES:
        return f"Template format error: Unrecognized parameter type: {kind}"
    members = value.split(",") if is_list else [value]
    reason = _type_error(element, members, value)
    if reason is None:
        reason = _constraint_error(element, declaration, members, value)
        description = declaration.get("ConstraintDescription")
        if reason is not None and description:
            reason = " ".join(str(description).split())
    return None if reason is None else f"Parameter '{name}' {reason}"


def _type_error(element: str, members: list[str], value: str) -> str | None:
    if element == "Number":
        if not all(_number(member) is not None for member in members):
            return "must be a number" if len(members) == 1 else "must be a list of numbers"
        return None
    shape = AWS_ID_SHAPES.get(element)
    if shape is not None:
        wrong = [m.strip() for m in members if not re.fullmatch(shape, m.strip())]
        if wrong:
            return f"value '{wrong[0]}' is not a valid {element} (parameter value {value})"
    return None


def _constraint_error(  # noqa: PLR0911 - one answer per constraint, in AWS's order
    element: str, declaration: Mapping[str, Any], members: list[str], value: str
) -> str | None:
    allowed = declaration.get("AllowedValues")
    if allowed is not None and any(m not in [_text(a) for a in allowed] for m in members):
        return "must be one of AllowedValues"
    pattern = declaration.get("AllowedPattern")
    if pattern is not None and element != "Number":
        try:
            if not all(re.fullmatch(str(pattern), member) for member in members):
                return f"must match pattern {pattern}"
        except re.error:
            return f"has an AllowedPattern that is not a valid regular expression: {pattern}"
    if element == "String":
        if "MinLength" in declaration and len(value) < int(declaration["MinLength"]):
            return f"must contain at least {declaration['MinLength']} characters"
        if "MaxLength" in declaration and len(value) > int(declaration["MaxLength"]):
            return f"must contain at most {declaration['MaxLength']} characters"
    if element == "Number":
        numbers = [float(member) for member in members]  # checked by _type_error
        if "MinValue" in declaration and min(numbers) < float(declaration["MinValue"]):
            return f"must be a number not less than {declaration['MinValue']}"
        if "MaxValue" in declaration and max(numbers) > float(declaration["MaxValue"]):
            return f"must be a number not greater than {declaration['MaxValue']}"
    return None


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(text: str) -> float | None:
    """A number as CloudFormation reads one: an integer or a float, nothing else."""
    stripped = text.strip()
    return float(stripped) if _NUMBER.fullmatch(stripped) else None
