"""email-validator's check of an address's domain, remembered per domain.

The gap it closes: pydantic's `EmailStr` runs email-validator on every address, and
email-validator checks the domain part afresh each time, character by character against
IDNA's tables: 43 of an address's 72 µs of CPU. Every event's email is validated three
times (by the producer, orders and payments), and a run's addresses share a handful of
domains (Faker's free mail providers: three). So at saturation the machine spent about
3.5% of its CPU per event checking the same three domains again (issue #21).

The check is a function of its arguments alone (the domain and two flags), except for
email-validator's module-level `SPECIAL_USE_DOMAIN_NAMES`, which this project never
changes. `remember()` rebinds the name that email-validator's `validate_email` calls
to a bounded cache of the check's answers. Each caller gets its own copy of an answer,
so none can change a remembered one. An invalid domain raises as before and is never
remembered. If email-validator's internals move, `remember()` leaves them as they are
and answers False: only speed depends on it, never an answer.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Final

__all__ = ["CACHED_DOMAINS", "remember"]

CACHED_DOMAINS: Final = 1024  # distinct (domain, flags) remembered, least recent dropped
_MODULE: Final = "email_validator.validate_email"  # the module, not the function of that name
_NAME: Final = "validate_email_domain_name"


def remember() -> bool:
    """Remember domain checks from now on; True once installed (idempotent)."""
    try:
        module = importlib.import_module(_MODULE)
        syntax = importlib.import_module("email_validator.syntax")
    except ImportError:
        return False
    original: Any = getattr(syntax, _NAME, None)
    current: Any = getattr(module, _NAME, None)
    if original is None:
        return False
    if getattr(current, "__wrapped__", None) is original:
        return True  # already ours
    if current is not original:
        return False  # not the function this was written against: leave it
    cached = functools.lru_cache(maxsize=CACHED_DOMAINS)(original)

    @functools.wraps(original)
    def checked(domain: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return dict(cached(domain, *args, **kwargs))

    checked.cache_info = cached.cache_info  # type: ignore[attr-defined]
    setattr(module, _NAME, checked)
    return True
