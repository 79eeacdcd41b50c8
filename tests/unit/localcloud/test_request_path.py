"""The cached request path answers exactly as moto's own does."""

from __future__ import annotations

import json

import pytest
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.moto_server.werkzeug_app import create_backend_app
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
