"""The cached request path answers exactly as moto's own does."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

import pytest
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.core.base_backend import BackendDict
from moto.moto_server.werkzeug_app import create_backend_app
from moto.sqs.models import sqs_backends
from moto.sqs.responses import SQSResponse
from werkzeug.test import Client

from messaging.localcloud import request_path
from messaging.localcloud.server import _Dispatcher

HEADERS = {
    "Host": "localhost:4566",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=localcloud/20261128/us-east-1/sqs/aws4_request",
}


def test_cached_answers_match_moto() -> None:
    request_path.install()
    names = getattr(moto_responses, "method_names_from_class")(SQSResponse)  # noqa: B009
    assert set(names) == set(moto_utils.method_names_from_class(SQSResponse))
    assert "receive_message" in names
    for action in ("ReceiveMessage", "DeleteMessageBatch", "GetQueueURL", "ListQueues"):
        expected = moto_utils.camelcase_to_underscores(action)
        snake_case = getattr(moto_responses, "camelcase_to_underscores")  # noqa: B009
        assert snake_case(action) == expected


def test_known_and_unimplemented_actions_behave_as_before() -> None:
    # DescribeContributorInsights is in the DynamoDB model but not in moto: the member
    # check refuses it. (SQS's move tasks were the example until the local cloud added them.)
    client = Client(_Dispatcher(create_backend_app))

    def call(action: str, body: dict[str, str]) -> tuple[int, bytes]:
        headers = {**HEADERS, "X-Amz-Target": f"AmazonSQS.{action}"}
        response = client.post("/", data=json.dumps(body), headers=headers)
        return response.status_code, response.get_data()

    def unimplemented() -> None:
        headers = {
            **HEADERS,
            "X-Amz-Target": "DynamoDB_20120810.DescribeContributorInsights",
            "Authorization": HEADERS["Authorization"].replace("/sqs/", "/dynamodb/"),
        }
        client.post("/", data=json.dumps({"TableName": "t"}), headers=headers)

    request_path.uninstall()
    moto_created = call("CreateQueue", {"QueueName": "before"})
    with pytest.raises(NotImplementedError) as moto_refusal:
        unimplemented()
    request_path.install()
    created = call("CreateQueue", {"QueueName": "after"})
    with pytest.raises(NotImplementedError) as refusal:
        unimplemented()
    assert moto_created[0] == created[0] == 200
    assert json.loads(created[1])["QueueUrl"].endswith("/after")
    assert str(refusal.value) == str(moto_refusal.value)


def test_a_request_with_no_action_is_404_as_with_moto() -> None:
    # The cache wrapped None in str(), which made the action "None": a 500 instead of 404.
    client = Client(_Dispatcher(create_backend_app))
    headers = {
        "Host": "localhost:4566",
        "Authorization": HEADERS["Authorization"].replace("/sqs/", "/sns/"),
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def status() -> int:
        return client.post("/", data="Version=2010-03-31", headers=headers).status_code

    request_path.uninstall()
    stock = status()
    request_path.install()
    assert status() == stock == 404
    snake_case = getattr(moto_responses, "camelcase_to_underscores")  # noqa: B009
    assert snake_case(None) is None
    assert snake_case("") == ""


def lookups_under_moto_s_lock(backends: BackendDict[Any], account: str, times: int) -> int:
    """How many of `times` lookups of `account` went through moto's locked path."""
    locked = 0
    original = BackendDict._create_account_specific_backend

    def counting(self: BackendDict[Any], account_id: str) -> None:
        nonlocal locked
        locked += 1
        original(self, account_id)

    with patch.object(BackendDict, "_create_account_specific_backend", counting):
        for _ in range(times):
            backends[account]
    return locked


def test_a_settled_backend_lookup_skips_moto_s_lock_until_a_reset() -> None:
    request_path.install()
    account = "123456789012"
    BackendDict.reset()
    assert lookups_under_moto_s_lock(sqs_backends, account, 5) == 1  # the first registers
    assert sqs_backends in BackendDict._instances  # type: ignore[misc]
    queue = sqs_backends[account]["us-east-1"].create_queue("settled")
    assert sqs_backends[account]["us-east-1"].get_queue("settled") is queue
    BackendDict.reset()  # clears every backend and the registry: moto's path again
    assert sqs_backends not in BackendDict._instances  # type: ignore[misc]
    assert lookups_under_moto_s_lock(sqs_backends, account, 3) == 1
    assert sqs_backends in BackendDict._instances  # type: ignore[misc]
    assert "settled" not in sqs_backends[account]["us-east-1"].queues


def test_an_account_removed_from_a_backend_is_looked_up_by_moto_again() -> None:
    request_path.install()
    account = "210987654321"
    sqs_backends[account]
    del sqs_backends[account]
    assert lookups_under_moto_s_lock(sqs_backends, account, 2) == 1
    assert account in sqs_backends


def test_uninstall_restores_moto_s_lookup_and_reset() -> None:
    request_path.uninstall()
    try:
        assert BackendDict.__getitem__ is request_path._MOTO_LOOKUP
        assert lookups_under_moto_s_lock(sqs_backends, "123456789012", 3) == 3
    finally:
        request_path.install()
