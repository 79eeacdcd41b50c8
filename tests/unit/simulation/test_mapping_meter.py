"""The mappings' SQS requests, read from ListEventSourceMappings' raw answer."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders

from messaging.simulation.mapping_meter import lambda_api_meter, mapping_requests

SQS = "arn:aws:sqs:eu-west-1:123456789012:orders"


def answer(*mappings: dict[str, Any]) -> bytes:
    return json.dumps({"EventSourceMappings": list(mappings)}).encode()


def test_the_local_clouds_statistics_are_summed_over_the_functions_sqs_mappings() -> None:
    body = answer(
        {
            "EventSourceArn": SQS,
            "LocalCloudStatistics": {"SqsRequests": {"ReceiveMessage": 7, "DeleteMessageBatch": 3}},
        },
        {
            "EventSourceArn": SQS + "-2",
            "LocalCloudStatistics": {"SqsRequests": {"ReceiveMessage": 2}},
        },
        {
            "EventSourceArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
            "LocalCloudStatistics": {"SqsRequests": {"ReceiveMessage": 100}},
        },
    )
    assert mapping_requests(body) == {"ReceiveMessage": 9, "DeleteMessageBatch": 3}


def test_an_answer_without_statistics_is_not_a_count_of_zero() -> None:
    # AWS's own answer: the polling happened, nobody counted it.
    assert mapping_requests(answer({"EventSourceArn": SQS, "BatchSize": 10})) is None
    assert mapping_requests(answer()) is None


def test_the_meter_reads_the_raw_answer_the_sdk_would_drop() -> None:
    client = boto3.client(
        "lambda", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    sent: list[str] = []
    bodies = [
        answer(
            {"EventSourceArn": SQS, "LocalCloudStatistics": {"SqsRequests": {"ReceiveMessage": 4}}}
        ),
        answer({"EventSourceArn": SQS}),
    ]

    def endpoint(request: Any, **_: Any) -> AWSResponse:
        # An endpoint's answer, without a network (botocore takes it from before-send).
        sent.append(request.url)
        raw = bodies.pop(0)
        return AWSResponse(request.url, 200, _headers(), _Raw(raw))

    client.meta.events.register("before-send.lambda.ListEventSourceMappings", endpoint)
    meter = lambda_api_meter(client)
    # The SDK's own answer has no such member: only the raw body holds it.
    assert meter("orders-service") == {"ReceiveMessage": 4}
    assert meter("orders-service") is None  # the next answer has none: not counted, not 0
    assert all("FunctionName=orders-service" in url for url in sent)


def _headers() -> HTTPHeaders:
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/json"
    return headers


class _Raw:
    """The part of urllib3's response botocore reads."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self.body
