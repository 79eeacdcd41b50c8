"""One retry policy for every AWS call the application makes.

Two kinds of failure, each retried in exactly one place:

- **A whole call fails** (throttled, 5xx, connection lost, timeout): botocore's standard
  retry mode retries it, configured once here (`default_config`, `MAX_ATTEMPTS` attempts,
  exponential back-off with full jitter, and a client-wide retry quota that stops retrying
  when most calls fail). Every client is made with it: `messaging.ops.aws` for the
  commands, the Lambda handler for itself (it imports nothing from `ops`). Nothing
  retries a whole call again on top: a call that still fails is reported to the caller,
  who decides what it means (a producer's batch fails, a consumer backs off as for an
  outage).
- **Some entries of a batch call fail** while the call succeeds (an HTTP 200 naming failed
  entries in PublishBatch or DeleteMessageBatch, or a cancelled DynamoDB transaction naming
  conflicting items): `EntryRetry.run` sends those entries again, after full-jitter
  exponential back-off, at most `attempts` calls in all, and returns what still failed.

So the HTTP requests one batch can cost are bounded by `EntryRetry.attempts` times the
client's `max_attempts` (4 x 5 = 20 with the defaults), and under 100% throttling of the
whole call by the client's `max_attempts` alone (fewer once botocore's retry quota is
spent).

`is_transient` classifies an error that survived botocore with botocore's own rules
(transient codes and statuses, throttling codes, connection errors), so no code list is
kept here for whole calls. A failed *entry* has only a code, and DynamoDB's entry codes
(a transaction's `CancellationReasons`, a PartiQL batch's `BatchStatementError`) drop
the `Exception` suffix botocore knows them by: `is_transient_code` asks botocore's rules
with and without it, and adds the three entry codes botocore has no name for
(`TransactionConflict`, `ThrottlingError`, `InternalServerError`). `is_outage_code`:
an entry that failed because of the store, not the entry (no table, access denied).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)

__all__ = [
    "MAX_ATTEMPTS",
    "EntryRetry",
    "default_config",
    "describe",
    "error_code",
    "is_fatal",
    "is_outage_code",
    "is_transient",
    "is_transient_code",
]

T = TypeVar("T")

MAX_ATTEMPTS = 5  # per call, the first included: botocore's standard retry mode


def default_config(*, max_attempts: int = MAX_ATTEMPTS, pool: int = 32) -> Config:
    """Client settings shared by every service (timeouts above SQS's 20 s long poll);
    the one place whole-call retries are configured.

    `max_attempts` counts every attempt, the first included (botocore's
    `total_max_attempts`; its `max_attempts` would count retries only, one more).
    """
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=pool,
        tcp_keepalive=True,
    )


_CHECKERS = (TransientRetryableChecker(), ThrottledRetryableChecker())
# DynamoDB entry codes botocore's checkers do not know under any spelling.
_TRANSIENT_ENTRY_CODES = frozenset(
    {"TransactionConflict", "ThrottlingError", "InternalServerError"}
)
_OUTAGE_ENTRY_CODES = frozenset({"ResourceNotFound", "AccessDenied"})


@dataclass(frozen=True)
class _Status:
    """The part of an HTTP response botocore's checkers read."""

    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def is_transient(error: BaseException) -> bool:
    """True when botocore's standard mode counts `error` as retryable.

    That is: throttling, a transient code or a 5xx status, or a connection-level failure.
    Such an error that reaches the application means botocore already gave up: the
    service is failing, not the request.
    """
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        context = RetryContext(
            attempt_number=1,
            parsed_response=dict(error.response),
            http_response=_Status(status) if status else None,
        )
    elif isinstance(error, BotoCoreError):
        context = RetryContext(attempt_number=1, caught_exception=error)
    else:
        return False
    return any(checker.is_retryable(context) for checker in _CHECKERS)


def is_transient_code(code: str) -> bool:
    """True when a failed entry's `code` means: send it again (throttled, a conflict,
    a server error), by botocore's rules with and without the `Exception` suffix."""
    if code in _TRANSIENT_ENTRY_CODES:
        return True
    return any(
        checker.is_retryable(
            RetryContext(
                attempt_number=1,
                parsed_response={"Error": {"Code": spelling}},
                http_response=_Status(400),
            )
        )
        for spelling in (code, f"{code}Exception")
        for checker in _CHECKERS
    )


def is_outage_code(code: str) -> bool:
    """True when a failed entry's `code` is the store's failure, not the entry's: any
    entry would fail the same way (its table is missing, access is denied)."""
    return code in _OUTAGE_ENTRY_CODES


def error_code(error: BaseException) -> str:
    """The AWS error code of `error`, or its class name when it has none."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "Unknown")
    return type(error).__name__


@dataclass(frozen=True)
class EntryRetry:
    """Retries the failed entries of a batch call: bounded, with full-jitter back-off."""

    attempts: int = 4  # calls per batch, the first one included
    base: float = 0.05  # seconds: the first retry waits up to this long
    cap: float = 2.0  # no wait is longer than this
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random  # in [0, 1)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts!r}")
        if not 0 < self.base <= self.cap:
            raise ValueError(f"back-off needs 0 < base <= cap, got {self.base!r}, {self.cap!r}")

    def delay(self, retry: int) -> float:
        """Seconds before retry number `retry` (1, 2, ...): full jitter under a capped curve."""
        return min(self.cap, self.base * 2.0 ** (retry - 1)) * self.jitter()

    def run(self, send: Callable[[list[T]], Sequence[T]], entries: Sequence[T]) -> list[T]:
        """Call `send` with `entries`, then again with what it returns, until nothing is
        returned or `attempts` calls were made; return the entries that still failed.

        An exception from `send` (a whole call that failed after botocore's retries)
        propagates at once: whole calls are not retried here.
        """
        pending = list(entries)
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self.sleep(self.delay(attempt - 1))
            pending = list(send(pending))
            if not pending:
                break
        return pending


def is_fatal(error: BaseException) -> bool:
    """True for an error no retry and no back-off can mend: the error's class says so
    with `fatal = True` (the endpoint turned into another, empty local cloud). A
    long-running consumer stops on it instead of retrying for ever."""
    return bool(getattr(error, "fatal", False))


def describe(error: BaseException) -> str:
    """`Code: message`, one line, short: what a log line or a classification shows."""
    text = " ".join(str(error).split())
    return f"{error_code(error)}: {text[:300]}"
