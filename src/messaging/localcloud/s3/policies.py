"""S3 bucket policies evaluated as AWS does, for the requests the local cloud can see.

The gap it closes: moto evaluates a bucket policy on every object request, but a
statement whose `Condition` it cannot check counts as a *denial*, even an `Allow`, and
it ignores whom a statement names. A hardened bucket (a TLS-only `Deny` on
`aws:SecureTransport`, an `Allow` for the S3 logging service) therefore refused every
read and write, which AWS never does.

Here a bucket's policy is evaluated with AWS's rules: an explicit `Deny` that applies
wins, an `Allow` that applies permits, and a statement applies only if its principal,
action, resource and every condition match. The request context the local cloud
offers is loopback traffic from the account itself:

- `aws:SecureTransport` is "true": the local cloud stands in for AWS's TLS endpoint, and
  plain HTTP on 127.0.0.1 never leaves the machine;
- only statements for everyone (`"*"` or `{"AWS": "*"}`) can match: the local cloud does
  not authenticate callers, so a statement for a service or an account says nothing
  about the caller;
- a condition on a key the context lacks does not hold (its `...IfExists` form does).

Known limits: no IAM identity policies, no ACL evaluation beyond moto's, conditions
limited to the operators below (an unknown operator does not hold).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from moto.iam.access_control import PermissionResult
from moto.s3 import models as moto_s3

from messaging.localcloud.seams import moto_urls, use_backend

__all__ = ["LOCAL_CONTEXT", "LocalBucket", "LocalS3Backend", "evaluate", "install"]

LOCAL_CONTEXT: Final[Mapping[str, str]] = {"aws:SecureTransport": "true"}


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


_OPERATORS: Final[dict[str, Callable[[str, str], bool]]] = {
    "Bool": lambda want, have: have.lower() == want.lower(),
    "StringEquals": lambda want, have: have == want,
    "StringEqualsIgnoreCase": lambda want, have: have.lower() == want.lower(),
    "StringLike": _like,
    "ArnEquals": lambda want, have: have == want,
    "ArnLike": _like,
}
_NEGATED: Final = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if key not in context:
        return if_exists or base in _NEGATED
    negated = base in _NEGATED
    test = _OPERATORS.get(_NEGATED.get(base, base))
    if test is None:
        return False  # an operator we do not model never makes the statement apply
    matched = any(test(want, context[key]) for want in _values(wanted))
    return not matched if negated else matched


def _applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    if "Action" in statement:
        if not any(_like(a, action, case=False) for a in _values(statement["Action"])):
            return False
    elif any(_like(a, action, case=False) for a in _values(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(_like(r, resource) for r in _values(statement["Resource"])):
            return False
    elif any(_like(r, resource) for r in _values(statement.get("NotResource", []))):
        return False
    conditions: Mapping[str, Mapping[str, Any]] = statement.get("Condition", {})
    return all(
        _condition_holds(operator, key, wanted, context)
        for operator, pairs in conditions.items()
        for key, wanted in pairs.items()
    )


def evaluate(
    policy: Mapping[str, Any],
    action: str,
    resource: str,
    context: Mapping[str, str] = LOCAL_CONTEXT,
) -> PermissionResult:
    """AWS's order: an applicable Deny wins, then an applicable Allow, else neutral."""
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    effects = {s.get("Effect") for s in statements if _applies(s, action, resource, context)}
    if "Deny" in effects:
        return PermissionResult.DENIED
    return PermissionResult.PERMITTED if "Allow" in effects else PermissionResult.NEUTRAL


class LocalBucket(moto_s3.FakeBucket):
    """moto's bucket, with its policy evaluated by `evaluate`."""

    def get_permission(self, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return evaluate(json.loads(self.policy), action, resource)


class LocalS3Backend(moto_s3.S3Backend):
    _url_module = moto_urls("s3")

    def create_bucket(
        self, bucket_name: str, region_name: str, bucket_namespace: str | None = None
    ) -> moto_s3.FakeBucket:
        bucket = super().create_bucket(bucket_name, region_name, bucket_namespace)
        # Same object, same state: only the policy evaluation changes. moto builds the
        # bucket inline, so this is the one place a bucket can take our class.
        bucket.__class__ = LocalBucket  # type: ignore[type-abstract]  # concrete at runtime
        return bucket


def install() -> None:
    """Make moto's S3 BackendDict build our backend (idempotent)."""
    use_backend(moto_s3.s3_backends, LocalS3Backend)
