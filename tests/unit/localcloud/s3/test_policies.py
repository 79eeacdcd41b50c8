"""Bucket policies evaluated with AWS's rules, for loopback requests of the account."""

from __future__ import annotations

from typing import Any

import pytest
from moto.iam.access_control import PermissionResult

from messaging.localcloud.s3.policies import evaluate

BUCKET = "arn:aws:s3:::lake"
OBJECT = "arn:aws:s3:::lake/landing_date=2026-11-28/x"

TLS_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
LOGGING_SERVICE = {
    "Effect": "Allow",
    "Principal": {"Service": "logging.s3.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": f"{BUCKET}/lake/*",
    "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::source"}},
}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_a_tls_only_deny_does_not_apply_to_loopback_requests() -> None:
    assert evaluate(policy(TLS_ONLY), "s3:GetObject", OBJECT) is PermissionResult.NEUTRAL


def test_the_same_deny_applies_to_plain_transport() -> None:
    plain = {"aws:SecureTransport": "false"}
    assert evaluate(policy(TLS_ONLY), "s3:GetObject", OBJECT, plain) is PermissionResult.DENIED


def test_a_statement_for_a_service_says_nothing_about_the_caller() -> None:
    # moto would count the unmet condition of this Allow as a denial.
    assert (
        evaluate(policy(LOGGING_SERVICE), "s3:PutObject", f"{BUCKET}/lake/log")
        is PermissionResult.NEUTRAL
    )


def test_an_unconditional_deny_for_everyone_denies_matching_actions_only() -> None:
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:DeleteObject"],
        "Resource": f"{BUCKET}/*",
    }
    assert evaluate(policy(deny), "s3:DeleteObject", OBJECT) is PermissionResult.DENIED
    assert evaluate(policy(deny), "s3:GetObject", OBJECT) is PermissionResult.NEUTRAL
    assert evaluate(policy(deny), "s3:DeleteObject", "arn:aws:s3:::other/x") is (
        PermissionResult.NEUTRAL
    )


def test_deny_wins_over_allow() -> None:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:Get*", "Resource": "*"}
    assert evaluate(policy(allow), "s3:GetObject", OBJECT) is PermissionResult.PERMITTED
    assert evaluate(policy(allow, deny), "s3:GetObject", OBJECT) is PermissionResult.DENIED


@pytest.mark.parametrize(
    ("condition", "applies"),
    [
        ({"StringEquals": {"aws:SecureTransport": "true"}}, True),
        ({"StringNotEquals": {"aws:SecureTransport": "true"}}, False),
        ({"StringEquals": {"aws:SourceAccount": "1"}}, False),  # key absent: does not hold
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, True),
        ({"StringNotEquals": {"aws:SourceAccount": "1"}}, True),  # negated, absent: holds
        ({"NumericLessThan": {"aws:SecureTransport": "1"}}, False),  # not modelled
    ],
)
def test_conditions(condition: dict[str, Any], applies: bool) -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": condition,
    }
    expected = PermissionResult.DENIED if applies else PermissionResult.NEUTRAL
    assert evaluate(policy(deny), "s3:GetObject", OBJECT) is expected
