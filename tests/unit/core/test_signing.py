"""Requests are signed until the endpoint says it checks no signature, and only then not.

Responses are served by a `before-send` hook, so botocore's whole signing path runs
(its choosers, its SigV4 signer) and each test sees the Authorization header sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

from messaging.core.signing import PLACEHOLDER_SIGNATURE, SIGNATURES_HEADER, UNCHECKED
from messaging.ops.aws import Aws, default_config
from messaging.ops.settings import Settings

SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, SignedHeaders=[^,]+, Signature=(?P<signature>[0-9a-f]{64})"
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self.body


def serving(*unchecked: bool, region: str = "eu-west-1") -> tuple[Aws, list[str]]:
    """An `Aws` whose SQS and S3 calls are answered in turn, with the header or without;
    and the Authorization header of each request sent."""
    settings = Settings(endpoint_url="http://127.0.0.1:9", region=region)
    aws = Aws(settings, default_config(max_attempts=1), placeholder_credentials=("AKID", "s"))
    answers, sent = list(unchecked), []

    def respond(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.headers["Authorization"].decode())
        headers = HTTPHeaders()
        if answers.pop(0):
            headers[SIGNATURES_HEADER] = UNCHECKED
        if "X-Amz-Target" not in request.headers:  # S3 (REST), not a JSON protocol call
            body = b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>"
            return AWSResponse(request.url, 200, headers, _Raw(body))
        headers["Content-Type"] = "application/x-amz-json-1.0"
        return AWSResponse(request.url, 200, headers, _Raw(b'{"QueueUrls": []}'))

    handler: Any = respond  # a before-send hook may answer in place of the network
    aws.session.events.register("before-send", handler)
    return aws, sent


def parts(authorization: str) -> dict[str, str]:
    found = SIGV4.fullmatch(authorization)
    assert found is not None, authorization
    return found.groupdict()


def test_the_first_request_is_signed_and_later_ones_carry_the_placeholder() -> None:
    aws, sent = serving(True, True, True)
    for _ in range(3):
        aws.sqs().list_queues()
    first, *later = (parts(header) for header in sent)
    assert first["signature"] != PLACEHOLDER_SIGNATURE
    for each in later:
        # What the endpoint reads from a signature is kept: the key, the region, the service.
        assert each == {
            "key": "AKID",
            "region": "eu-west-1",
            "service": "sqs",
            "signature": PLACEHOLDER_SIGNATURE,
        }


def test_an_endpoint_without_the_header_gets_every_request_signed() -> None:
    aws, sent = serving(False, False, False)
    for _ in range(3):
        aws.sqs().list_queues()
    assert all(parts(header)["signature"] != PLACEHOLDER_SIGNATURE for header in sent)


def test_the_waiver_belongs_to_the_client_that_read_the_header() -> None:
    aws, sent = serving(True, True, False)
    aws.sqs().list_queues()
    aws.sqs().list_queues()
    aws.dynamodb().list_tables()  # another client: it has not read the header yet
    assert [parts(header)["signature"] == PLACEHOLDER_SIGNATURE for header in sent] == [
        False,
        True,
        False,
    ]


def test_s3_stays_signed_whatever_the_endpoint_says() -> None:
    aws, sent = serving(True, True, True)
    for _ in range(3):
        aws.s3().list_buckets()
    assert all(parts(header)["signature"] != PLACEHOLDER_SIGNATURE for header in sent)
