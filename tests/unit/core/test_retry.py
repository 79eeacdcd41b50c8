"""The one retry policy: botocore's classification of what survived its retries, and the
bounded, jittered retry of failed batch entries."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from messaging.core.retry import (
    EntryRetry,
    describe,
    error_code,
    is_fatal,
    is_outage_code,
    is_transient,
    is_transient_code,
)
from messaging.ops.instance import InstanceChangedError


def client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "x"}}
    response["ResponseMetadata"] = {"HTTPStatusCode": status}
    return ClientError(response, "Operation")


@pytest.mark.parametrize(
    "error",
    [
        client_error("Throttling", 400),  # SNS
        client_error("RequestThrottled", 400),  # SQS
        client_error("ProvisionedThroughputExceededException", 400),  # DynamoDB
        client_error("ThrottlingException", 400),
        client_error("SlowDown", 503),  # S3
        client_error("InternalFailure", 500),
        client_error("ServiceUnavailable", 503),
        client_error("RequestTimeout", 400),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_what_botocore_retries_is_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        client_error("NotFound", 404),
        client_error("AuthorizationError", 403),
        client_error("ValidationException", 400),
        client_error("AccessDeniedException", 400),
        NoCredentialsError(),
        TypeError("not an AWS error"),
    ],
)
def test_what_botocore_does_not_retry_is_not(error: Exception) -> None:
    assert not is_transient(error)


def test_codes_and_descriptions_fit_one_line() -> None:
    assert error_code(client_error("Throttling", 400)) == "Throttling"
    assert error_code(TypeError("x")) == "TypeError"
    assert describe(TypeError("a\nb" + "c" * 1000)).startswith("TypeError: a b")
    assert len(describe(TypeError("c" * 1000))) < 400


def test_entries_are_sent_again_only_while_they_fail_and_at_most_attempts_times() -> None:
    sleeps: list[float] = []
    retry = EntryRetry(attempts=4, base=0.5, cap=2.0, sleep=sleeps.append, jitter=lambda: 1.0)
    calls: list[list[int]] = []

    def send(entries: list[int]) -> list[int]:
        calls.append(entries)
        return [e for e in entries if e % 2]  # the odd ones always fail

    assert retry.run(send, [1, 2, 3, 4]) == [1, 3]
    assert calls == [[1, 2, 3, 4], [1, 3], [1, 3], [1, 3]]
    assert sleeps == [0.5, 1.0, 2.0]  # doubling, capped; jitter 1.0 is the ceiling


def test_nothing_failing_means_one_call_and_no_wait() -> None:
    sleeps: list[float] = []
    calls: list[list[str]] = []

    def send(entries: list[str]) -> list[str]:
        calls.append(entries)
        return []

    assert EntryRetry(sleep=sleeps.append).run(send, ["a"]) == []
    assert (calls, sleeps) == ([["a"]], [])


def test_a_whole_call_failure_is_not_retried_here() -> None:
    calls = 0

    def send(entries: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        raise client_error("Throttling", 400)

    with pytest.raises(ClientError):
        EntryRetry(sleep=lambda _: None).run(send, ["a"])
    assert calls == 1  # botocore already made its attempts


def test_full_jitter_stays_under_the_capped_curve() -> None:
    retry = EntryRetry(base=0.1, cap=1.0, jitter=lambda: 0.999)
    assert [round(retry.delay(n), 3) for n in (1, 2, 3, 4, 5, 6)] == [
        0.1,
        0.2,
        0.4,
        0.799,
        0.999,
        0.999,
    ]


@pytest.mark.parametrize(("attempts", "base", "cap"), [(0, 0.1, 1.0), (3, 0.0, 1.0), (3, 2.0, 1.0)])
def test_invalid_policies_are_refused(attempts: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match=r"must be|needs"):
        EntryRetry(attempts=attempts, base=base, cap=cap)


def test_only_an_error_marked_fatal_is_fatal() -> None:
    gone = InstanceChangedError(endpoint="http://127.0.0.1:1", now="b", before="a")
    assert is_fatal(gone)
    assert not is_fatal(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert not is_fatal(ValueError("x"))


@pytest.mark.parametrize(
    ("code", "transient", "outage"),
    [
        # DynamoDB entry codes (BatchStatementError, CancellationReason): no "Exception".
        ("ThrottlingError", True, False),
        ("ProvisionedThroughputExceeded", True, False),  # botocore: ...Exception
        ("RequestLimitExceeded", True, False),
        ("TransactionConflict", True, False),
        ("InternalServerError", True, False),
        ("ValidationError", False, False),
        ("ItemCollectionSizeLimitExceeded", False, False),
        ("DuplicateItem", False, False),
        ("ResourceNotFound", False, True),
        ("AccessDenied", False, True),
    ],
)
def test_a_failed_entry_is_classified_by_its_code(code: str, transient: bool, outage: bool) -> None:
    assert (is_transient_code(code), is_outage_code(code)) == (transient, outage)
