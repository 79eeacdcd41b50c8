from __future__ import annotations

import json
from typing import Any

import pytest
from moto.awslambda.exceptions import InvalidParameterValueException

from messaging.localcloud.awslambda.mappings import (
    MappingStats,
    RecordFilter,
    check_mapping,
    effective_concurrency,
)
from messaging.localcloud.awslambda.poller import failed_items


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"BatchSize": 11}, "Maximum batch window in seconds must be greater than 0"),
        ({"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1}, "BatchSize must be between"),
        ({"BatchSize": 0}, "BatchSize must be between"),
        ({"MaximumBatchingWindowInSeconds": 301}, "between 0 and 300"),
        ({"FunctionResponseTypes": ["Other"]}, "ReportBatchItemFailures"),
        ({"ScalingConfig": {"MaximumConcurrency": 1}}, "between 2 and 1000"),
        ({"StartingPosition": "LATEST"}, "Unsupported StartingPosition parameter"),
        ({"MaximumRetryAttempts": 2}, "Unsupported MaximumRetryAttempts"),
        ({"MetricsConfig": {"Metrics": ["EventCount"]}}, "not supported by the local cloud"),
        ({"FilterCriteria": {"Filters": [{"Pattern": "{not json"}]}}, "Invalid filter pattern"),
        ({"FilterCriteria": {"Filters": [{"Pattern": "{}"}] * 6}}, "at most 5 filters"),
    ],
)
def test_lambda_refuses_what_it_refuses_for_sqs(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterValueException, match=message):
        check_mapping(spec)


def test_a_large_batch_with_a_window_is_accepted_and_updates_keep_current_values() -> None:
    check_mapping({"BatchSize": 10000, "MaximumBatchingWindowInSeconds": 5})
    current = {"BatchSize": 100, "MaximumBatchingWindowInSeconds": 5}
    check_mapping({"Enabled": False}, current)  # the window is kept: still valid
    with pytest.raises(InvalidParameterValueException):
        check_mapping({"MaximumBatchingWindowInSeconds": 0}, current)


def test_concurrency_is_the_smallest_of_the_limits() -> None:
    assert effective_concurrency({"MaximumConcurrency": 2}, 10) == 2
    assert effective_concurrency(None, 10) == 10
    assert effective_concurrency({"MaximumConcurrency": 50}, 3) == 3
    assert effective_concurrency({}, 0) == 1  # a poller is kept; invocations wait for a slot


def _record(body: str) -> dict[str, Any]:
    return {"messageId": "m", "body": body, "attributes": {}, "messageAttributes": {}}


def test_filters_match_the_body_as_json_and_any_pattern_passes() -> None:
    criteria = {
        "Filters": [
            {"Pattern": json.dumps({"body": {"event_type": ["consumer.created"]}})},
            {"Pattern": json.dumps({"body": {"priority": [{"numeric": [">", 5]}]}})},
        ]
    }
    selected = RecordFilter.parse(criteria)
    assert selected.matches(_record('{"event_type": "consumer.created"}'))
    assert selected.matches(_record('{"priority": 9}'))
    assert not selected.matches(_record('{"event_type": "consumer.deleted", "priority": 1}'))
    assert not selected.matches(_record("not json at all"))
    assert RecordFilter.parse(None).matches(_record("anything"))
    assert not RecordFilter.parse(None)


def test_a_plain_string_pattern_matches_a_plain_body() -> None:
    selected = RecordFilter.parse({"Filters": [{"Pattern": json.dumps({"body": ["ping"]})}]})
    assert selected.matches(_record("ping"))
    assert not selected.matches(_record("pong"))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, set()),
        ("null", set()),
        ('""', set()),
        ("{}", set()),
        ('{"batchItemFailures": null}', set()),
        ('{"batchItemFailures": []}', set()),
        ('{"batchItemFailures": [{"itemIdentifier": "a"}]}', {"a"}),
        ('{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        ('{"batchItemFailures": [{"itemIdentifier": null}]}', None),
        ('{"batchItemFailures": [{"id": "a"}]}', None),
        ('{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', None),
        ('{"batchItemFailures": "a"}', None),
        ('"ok"', None),
        ("[1]", None),
        ("{not json", None),
    ],
)
def test_partial_batch_responses_are_read_as_lambda_reads_them(
    payload: str | None, expected: set[str] | None
) -> None:
    assert failed_items(payload, {"a", "b"}) == expected


def test_statistics_pickle_without_their_lock_and_without_live_counts() -> None:
    import pickle

    stats = MappingStats()
    stats.add(invocations=3)
    stats.running(+2)
    stats.request("ReceiveMessage", 4)
    restored = pickle.loads(pickle.dumps(stats))  # noqa: S301 - our own bytes
    document = restored.document()
    assert document["Invocations"] == 3
    assert document["Concurrency"] == 0  # nothing runs after a restore
    assert document["PeakConcurrency"] == 2
    assert document["SqsRequests"] == {"ReceiveMessage": 4}
