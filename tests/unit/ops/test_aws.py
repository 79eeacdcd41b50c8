"""Sessions and clients: one endpoint, counted requests, validation where it pays."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ParamValidationError

from messaging.ops.aws import MAX_ATTEMPTS, Aws, default_config
from messaging.ops.settings import Settings


def session() -> Aws:
    # Port 9 on loopback refuses at once; one attempt, so nothing waits on back-off.
    settings = Settings(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    return Aws(settings, default_config(max_attempts=1), placeholder_credentials=("t", "t"))


def test_dynamodb_and_the_producer_leave_validation_to_the_service_the_others_validate() -> None:
    aws = session()
    bad_entries: Any = [{"Id": 1, "Message": "m"}]  # an Id must be a string
    # A wrong type goes out to DynamoDB (which would answer ValidationException) ...
    with pytest.raises(EndpointConnectionError):
        aws.dynamodb().list_tables(Limit="ten")  # type: ignore[arg-type]
    # ... and so does the producer's SNS client (SNS answers InvalidParameter) ...
    with pytest.raises(EndpointConnectionError):
        aws.publisher().publish_batch(TopicArn="t", PublishBatchRequestEntries=bad_entries)
    # ... while the other clients refuse it before sending.
    with pytest.raises(ParamValidationError):
        aws.sqs().delete_message_batch(QueueUrl="q", Entries="not a list")  # type: ignore[arg-type]
    with pytest.raises(ParamValidationError):
        aws.sns().publish_batch(TopicArn="t", PublishBatchRequestEntries=bad_entries)


def test_clients_share_the_endpoint_and_region() -> None:
    aws = session()
    for client in (aws.dynamodb(), aws.sqs(), aws.sns()):
        assert client.meta.endpoint_url == "http://127.0.0.1:9"
        assert client.meta.region_name == "us-east-1"


def test_a_call_makes_max_attempts_in_all_and_each_is_counted() -> None:
    # The one place retries are configured: MAX_ATTEMPTS counts the first attempt too.
    settings = Settings(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    aws = Aws(settings, placeholder_credentials=("t", "t"))
    with pytest.raises(EndpointConnectionError):
        aws.sqs().list_queues()
    assert aws.requests.snapshot() == {"sqs:ListQueues": MAX_ATTEMPTS}


def test_a_client_is_made_once_per_service_and_shared_across_threads() -> None:
    aws = session()
    made: list[object] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda _: aws.sqs(), range(32)))
    assert all(client is made[0] for client in made)
    assert aws.dynamodb() is aws.dynamodb()
    assert aws.dynamodb() is not aws.client("dynamodb")  # validation differs: its own client
    with pytest.raises(EndpointConnectionError):
        aws.sqs().list_queues()
    with pytest.raises(EndpointConnectionError):
        aws.sqs().list_queues()
    assert aws.requests.snapshot() == {"sqs:ListQueues": 2}  # the shared client is counted
