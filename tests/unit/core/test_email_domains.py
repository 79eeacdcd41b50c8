"""email-validator's domain check, remembered: the same answers and errors, fewer checks."""

from __future__ import annotations

import importlib
from typing import Any

import email_validator
import pytest
from email_validator import EmailNotValidError
from email_validator import syntax as email_syntax

from messaging.core import email_domains
from messaging.core.events import Consumer

MODULE: Any = importlib.import_module("email_validator.validate_email")
ORIGINAL = email_syntax.validate_email_domain_name

ADDRESSES = [
    "ann@gmail.com",
    "Ann.B+tag@Example.COM",
    "zoë@bücher.de",
    "x@xn--bcher-kva.de",
    "a@sub.domain-with-dash.co.uk",
]
INVALID = ["a@-bad.com", "a@bad..com", "a@.com", "a@com", "a@exa mple.com", "a@localhost"]


def _answer(address: str) -> Any:
    try:
        found = email_validator.validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        return type(error), str(error)
    return found.normalized, found.domain, found.ascii_domain, found.ascii_email


def test_installed_by_the_event_contract() -> None:
    installed = MODULE.validate_email_domain_name
    assert installed is not ORIGINAL
    assert installed.__wrapped__ is ORIGINAL
    assert email_domains.remember()  # idempotent
    assert MODULE.validate_email_domain_name is installed


@pytest.mark.parametrize("address", ADDRESSES + INVALID)
def test_the_same_answers_and_errors_as_email_validator(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = [_answer(address), _answer(address)]  # the second from the cache, when valid
    monkeypatch.setattr(MODULE, "validate_email_domain_name", ORIGINAL)
    assert ours == [_answer(address)] * 2


def test_a_domain_is_checked_once() -> None:
    installed = MODULE.validate_email_domain_name
    before = installed.cache_info()
    for n in range(50):
        Consumer.model_validate(
            {
                "consumer_id": "6f1c2a4e-8f0b-4c1e-9d7a-2b5e8c9d0a1f",
                "name": "Ann",
                "email": f"user{n}@once-checked.example.org",
                "phone": "1",
                "address": {"street": "s", "city": "c", "postal_code": "p", "country": "US"},
                "created_at": "2026-12-01T00:00:00Z",
            }
        )
    after = installed.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 49


def test_no_caller_can_change_a_remembered_answer() -> None:
    installed = MODULE.validate_email_domain_name
    first = installed("copies.example.org")
    first["domain"] = "changed"
    assert installed("copies.example.org")["domain"] == "copies.example.org"


def test_left_alone_when_email_validator_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    def other(domain: str, **_: Any) -> dict[str, str]:
        return {"domain": domain, "ascii_domain": domain}

    monkeypatch.setattr(MODULE, "validate_email_domain_name", other)
    assert not email_domains.remember()
    assert MODULE.validate_email_domain_name is other
