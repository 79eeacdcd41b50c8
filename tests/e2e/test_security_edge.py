"""The issue's attacks and AWS's limits, sent to `messaging up` as a browser or a tester would.

One `messaging up --cors-origin https://app.example` serves the whole module (with the
stack deployed); the reset test runs last because it empties everything.
"""

from __future__ import annotations

import base64
import http.client
import json
import resource
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
from botocore.config import Config

from tests.support.processes import BIN, Cloud, start_cloud
from tests.support.wsgi import signed

pytestmark = pytest.mark.e2e

APP = "https://app.example"
EVIL = "http://evil.example"
FORM = "application/x-www-form-urlencoded"
Call = tuple[bytes, dict[str, str]]


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    started = start_cloud("--cors-origin", APP)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def outputs(cloud: Cloud) -> dict[str, str]:
    return cloud.outputs()


def send(
    cloud: Cloud,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    address = urlsplit(cloud.endpoint)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith("access-control-")}


def json_call(service: str, target: str, document: Any) -> Call:
    """The body and headers of a JSON-protocol call, as an SDK sends them."""
    version = "1.1" if service == "firehose" else "1.0"
    headers = {
        "Authorization": signed(service),
        "X-Amz-Target": target,
        "Content-Type": f"application/x-amz-json-{version}",
    }
    return json.dumps(document).encode(), headers


# --- the attacks of the issue -----------------------------------------------------------


def test_the_issue_reset_repro_is_refused_and_the_stack_survives(
    cloud: Cloud, outputs: dict[str, str]
) -> None:
    # curl -s -X POST -H 'Origin: http://evil.example' -H 'Content-Type: text/plain' \
    #   http://127.0.0.1:4566/moto-api/reset
    request = {"Origin": EVIL, "Content-Type": "text/plain"}
    status, headers, body = send(cloud, "POST", "/moto-api/reset", headers=request)
    assert status == 403
    assert cors_headers(headers) == {}
    assert b"evil.example" in body
    assert cloud.outputs() == outputs  # nothing was wiped


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/moto-api/data.json"),
        ("GET", "/moto-api/"),
        ("POST", "/moto-api/recorder/start-recording"),
        ("POST", "/moto-api/recorder/upload-recording"),
        ("GET", "/moto-api/recorder/download-recording"),
        ("POST", "/moto-api/seed?a=42"),
    ],
)
def test_moto_api_is_closed_even_to_the_user(cloud: Cloud, method: str, path: str) -> None:
    before = set(Path.cwd().iterdir())
    status, _, body = send(cloud, method, path, body=b"recorded" if method == "POST" else b"")
    assert status == 404
    assert b"only /moto-api/reset and /_localcloud/health" in body
    assert set(Path.cwd().iterdir()) == before  # the recorder wrote no file


def test_a_foreign_page_cannot_read_tables_queues_or_the_lake(
    cloud: Cloud, outputs: dict[str, str]
) -> None:
    table = {"TableName": outputs["OrdersTableName"]}
    queue = {"QueueUrl": outputs["OrdersQueueUrl"], "WaitTimeSeconds": 0}
    reads: list[tuple[str, str, Call]] = [
        ("POST", "/", json_call("dynamodb", "DynamoDB_20120810.Scan", table)),
        ("POST", "/", json_call("sqs", "AmazonSQS.ReceiveMessage", queue)),
        (
            "GET",
            f"/{outputs['LakeBucketName']}?list-type=2",
            (b"", {"Authorization": signed("s3")}),
        ),
    ]
    pages = [{"Origin": EVIL}, {"Referer": f"{EVIL}/x.html"}, {"Sec-Fetch-Site": "cross-site"}]
    for method, path, (body, headers) in reads:
        assert send(cloud, method, path, body, headers)[0] == 200  # the user's own client
        for page in pages:
            status, answered, _ = send(cloud, method, path, body, {**headers, **page})
            assert status == 403, (path, page)
            assert cors_headers(answered) == {}


def test_dns_rebinding_is_refused_by_its_host(cloud: Cloud) -> None:
    status, _, body = send(cloud, "GET", "/_localcloud/health", headers={"Host": "evil.example"})
    assert status == 403
    assert b"--allow-host" in body


def test_preflights_get_cors_headers_for_the_allowed_origin_only(cloud: Cloud) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,authorization",
    }
    status, headers, _ = send(cloud, "OPTIONS", "/", headers={"Origin": EVIL, **preflight})
    assert status == 403
    assert cors_headers(headers) == {}
    status, headers, _ = send(cloud, "OPTIONS", "/", headers={"Origin": APP, **preflight})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == APP
    assert "x-amz-target" in headers["Access-Control-Allow-Headers"]
    body, request = json_call("sqs", "AmazonSQS.ListQueues", {})
    status, headers, _ = send(cloud, "POST", "/", body, {**request, "Origin": APP})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == APP


def test_health_reports_every_service_ready(cloud: Cloud) -> None:
    status, _, body = send(cloud, "GET", "/_localcloud/health")
    report = json.loads(body)
    assert status == 200
    assert report["status"] == "ready"
    expected = {"sqs", "sns", "firehose", "dynamodb", "s3", "cloudformation"}
    assert expected <= set(report["services"])


# --- AWS's limits -----------------------------------------------------------------------


def publish_batch(topic: str, entries: int, message: str = "m") -> bytes:
    params = [("Action", "PublishBatch"), ("TopicArn", topic)]
    for n in range(1, entries + 1):
        params += [
            (f"PublishBatchRequestEntries.member.{n}.Id", str(n)),
            (f"PublishBatchRequestEntries.member.{n}.Message", message),
        ]
    return urlencode(params).encode()


def test_each_limit_is_refused_with_aws_error(cloud: Cloud, outputs: dict[str, str]) -> None:
    topic, queue = outputs["TopicArn"], outputs["OrdersQueueUrl"]
    table, stream = outputs["OrdersTableName"], outputs["DeliveryStreamName"]
    sns = {"Authorization": signed("sns"), "Content-Type": FORM}
    entries = [
        {"Id": str(n), "ReceiptHandle": "h", "VisibilityTimeout": 0, "MessageBody": "b"}
        for n in range(11)
    ]
    puts = [{"PutRequest": {"Item": {"consumer_id": {"S": str(n)}}}} for n in range(26)]
    check = {"ConditionCheck": {"TableName": table, "Key": {}, "ConditionExpression": "x"}}
    # 4 MiB of data and a little more: within the body cap, so the exact check answers.
    sizes = [1_000_000] * 4 + [200_000]
    records = [{"Data": base64.b64encode(b"x" * size).decode()} for size in sizes]

    def sqs_batch(operation: str) -> Call:
        return json_call("sqs", f"AmazonSQS.{operation}", {"QueueUrl": queue, "Entries": entries})

    def dynamodb(operation: str, document: Any) -> Call:
        return json_call("dynamodb", f"DynamoDB_20120810.{operation}", document)

    def firehose(batch: list[dict[str, str]]) -> Call:
        document = {"DeliveryStreamName": stream, "Records": batch}
        return json_call("firehose", "Firehose_20150804.PutRecordBatch", document)

    euros = urlencode({"Action": "Publish", "TopicArn": topic, "Message": "\u20ac" * 90_000})
    cases: list[tuple[Call, int, str]] = [
        ((publish_batch(topic, 11), sns), 400, "TooManyEntriesInBatchRequest"),
        ((publish_batch(topic, 10, "x" * 26_300), sns), 400, "BatchRequestTooLong"),
        ((euros.encode(), sns), 400, "InvalidParameter"),  # 270,000 bytes, 90,000 characters
        (sqs_batch("ChangeMessageVisibilityBatch"), 400, "TooManyEntriesInBatchRequest"),
        (sqs_batch("DeleteMessageBatch"), 400, "TooManyEntriesInBatchRequest"),
        (sqs_batch("SendMessageBatch"), 400, "TooManyEntriesInBatchRequest"),
        (dynamodb("BatchWriteItem", {"RequestItems": {table: puts}}), 400, "ValidationException"),
        (dynamodb("TransactWriteItems", {"TransactItems": [check] * 101}), 400,
         "ValidationException"),
        (firehose([{"Data": "eA=="}] * 501), 400, "ValidationException"),
        (firehose(records), 400, "InvalidArgumentException"),
    ]  # fmt: skip
    for (body, headers), status, code in cases:
        got, answer_headers, answer = send(cloud, "POST", "/", body, headers)
        assert got == status, (code, answer[:300])
        assert code in answer.decode() or code in answer_headers.get("x-amzn-query-error", "")


def test_an_oversized_body_is_refused_before_it_is_sent(cloud: Cloud) -> None:
    """20 MiB announced to DynamoDB (16 MiB at most): answered with no byte of the body."""
    address = urlsplit(cloud.endpoint)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(
            (
                "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: {signed('dynamodb')}\r\n"
                "X-Amz-Target: DynamoDB_20120810.BatchWriteItem\r\n"
                f"Content-Length: {20 * 1024 * 1024}\r\n\r\n"
            ).encode()
        )
        answer = b""
        while chunk := connection.recv(65536):  # the server answers, then closes
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"RequestEntityTooLarge" in answer


def test_a_thousand_half_open_connections_do_not_lock_anyone_out(cloud: Cloud) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 1200:  # this test process needs them too
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1200, hard), hard))
    address = urlsplit(cloud.endpoint)
    hoarded = []
    try:
        for n in range(1000):
            connection = socket.create_connection((address.hostname, address.port), timeout=10)
            if n % 2:  # half of them start a request and never finish it
                connection.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            hoarded.append(connection)
        fresh = boto3.client(
            "sqs",
            endpoint_url=cloud.endpoint,
            region_name="us-east-1",
            aws_access_key_id="e2e",
            aws_secret_access_key="e2e",
            config=Config(connect_timeout=5, read_timeout=5, retries={"total_max_attempts": 1}),
        )
        assert fresh.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        for connection in hoarded:
            connection.close()


@pytest.mark.parametrize("origin", ["*", "null", "https://app.example/path"])
def test_up_refuses_an_origin_that_is_not_one_in_one_line(origin: str) -> None:
    done = subprocess.run(
        [str(BIN / "messaging"), "up", "--port", "0", "--no-deploy", "--cors-origin", origin],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: --cors-origin:")
    assert "Traceback" not in done.stdout + done.stderr


# --- last: reset empties everything ------------------------------------------------------


def test_reset_by_the_user_empties_everything_and_the_cloud_stays_ready(cloud: Cloud) -> None:
    status, _, body = send(cloud, "POST", "/moto-api/reset")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert cloud.client("cloudformation").describe_stacks()["Stacks"] == []
    assert cloud.client("sqs").list_queues().get("QueueUrls", []) == []
    assert send(cloud, "GET", "/_localcloud/health")[0] == 200
