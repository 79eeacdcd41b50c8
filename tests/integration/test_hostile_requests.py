"""Malformed requests against the running local cloud: always a 4xx, never a traceback.

hypothesis draws requests that are malformed by construction (bodies that are not JSON
objects, members of the wrong type, unknown operations and actions, bad escapes, bad
signatures, XML that does not parse), sends them over HTTP to a local cloud on
127.0.0.1, and checks that each gets a 4xx (AWS's answer; botocore retries a 5xx), that
the server logs no traceback, and that an ordinary request right after still answers.
Derandomised with a fixed number of examples, so a run is bounded and repeatable.
"""

from __future__ import annotations

import http.client
import json
import logging
import string
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.localcloud.route import service_model
from messaging.localcloud.server import LocalCloud

pytestmark = pytest.mark.integration

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/{}/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
FORM = "application/x-www-form-urlencoded"
JSON_SERVICES = {
    "dynamodb": ("DynamoDB_20120810", "1.0", ["PutItem", "BatchWriteItem", "Query", "Scan"]),
    "sqs": ("AmazonSQS", "1.0", ["SendMessage", "ReceiveMessage", "DeleteMessageBatch"]),
    "firehose": ("Firehose_20150804", "1.1", ["PutRecord", "PutRecordBatch"]),
}
QUERY_SERVICES = {"sns": ["Publish", "PublishBatch", "Subscribe"], "sqs": ["ReceiveMessage"]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
not_an_object = st.binary(max_size=200).filter(lambda b: not _is_object(b)) | json_values.filter(
    lambda v: not isinstance(v, dict)
).map(lambda v: json.dumps(v).encode())


def _is_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


Request = tuple[str, str, dict[str, str], bytes]
NAME_CHARS = string.ascii_letters + string.digits + "._-"


@st.composite
def json_requests(draw: st.DrawFn) -> Request:
    service = draw(st.sampled_from(sorted(JSON_SERVICES)))
    prefix, version, operations = JSON_SERVICES[service]
    headers = {
        "Authorization": SIGNED.format(service),
        "Content-Type": f"application/x-amz-json-{version}",
    }
    kind = draw(st.sampled_from(["not-an-object", "unknown-operation", "wrong-type"]))
    operation = draw(st.sampled_from(operations))
    if kind == "not-an-object":
        body = draw(not_an_object)
    elif kind == "unknown-operation":
        operation = draw(
            st.text(NAME_CHARS, min_size=1, max_size=20).filter(lambda t: t not in operations)
        )
        body = b"{}"
    else:  # a required top-level member of the wrong JSON type
        member = {"dynamodb": "TableName", "sqs": "QueueUrl", "firehose": "DeliveryStreamName"}
        wrong = draw(json_values.filter(lambda v: v is not None and not isinstance(v, str)))
        body = json.dumps({member[service]: wrong}).encode()
    headers["X-Amz-Target"] = f"{prefix}.{operation}"
    return "POST", "/", headers, body


@st.composite
def query_requests(draw: st.DrawFn) -> Request:
    service = draw(st.sampled_from(sorted(QUERY_SERVICES)))
    headers = {
        "Authorization": SIGNED.format(service),
        "Content-Type": FORM,
    }
    kind = draw(st.sampled_from(["unknown-action", "bad-escape", "not-a-number", "no-action"]))
    if kind == "unknown-action":
        action = draw(st.text("ABCDEFGHIJabcdefghij", min_size=1, max_size=12))
        body = f"Action={action}&Version=2010-03-31".encode()
    elif kind == "bad-escape":
        body = b"Action=ListTopics&x=" + draw(st.sampled_from([b"%", b"%Z1", b"%zz", b"a%"]))
    elif kind == "not-a-number" and service == "sqs":
        word = draw(st.text("xyz-!", min_size=1, max_size=8))
        body = f"Action=ReceiveMessage&QueueUrl=http://q/1/q&MaxNumberOfMessages={word}".encode()
    elif kind == "not-a-number":  # SNS takes no numbers: a Publish with no destination
        body = f"Action=Publish&Message={draw(st.text('abc', max_size=5))}".encode()
    else:
        body = b"Version=2010-03-31&" + draw(st.binary(max_size=30)).replace(b"Action", b"")
    return "POST", "/", headers, body


@st.composite
def other_requests(draw: st.DrawFn) -> Request:
    kind = draw(st.sampled_from(["bad-signature", "bad-xml"]))
    if kind == "bad-signature":
        header = draw(st.sampled_from(["AWS4-HMAC-SHA256", "x", "AWS4-HMAC-SHA256,", ",,"]))
        return (
            "POST",
            "/",
            {"Authorization": header, "X-Amz-Target": "DynamoDB_20120810.ListTables"},
            b"{}",
        )
    body = b"<Tagging><TagSet" + draw(st.binary(max_size=20)).replace(b">", b"")
    return "PUT", "/no-such-bucket?tagging", {"Authorization": SIGNED.format("s3")}, body


malformed = json_requests() | query_requests() | other_requests()


def send(cloud: LocalCloud, request: Request) -> tuple[int, bytes]:
    method, path, headers, body = request
    connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class _Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "Traceback" in record.getMessage():
            self.seen.append(f"{record.name}: {record.getMessage()[:300]}")


@pytest.fixture
def tracebacks() -> Iterator[_Tracebacks]:
    handler = _Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@settings(
    max_examples=250,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=malformed)
def test_every_malformed_request_gets_a_4xx_and_no_traceback(
    cloud: LocalCloud, tracebacks: _Tracebacks, request: Request
) -> None:
    status, body = send(cloud, request)
    assert 400 <= status < 500, f"{status} for {request!r}: {body[:300]!r}"
    assert not tracebacks.seen, tracebacks.seen
    # The next ordinary request still answers at once (a 10 s socket timeout otherwise).
    assert send(cloud, _sns(b"Action=ListTopics&Version=2010-03-31"))[0] == 200


def _ddb(target: str, body: bytes) -> Request:
    headers = {
        "Authorization": SIGNED.format("dynamodb"),
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{target}",
    }
    return "POST", "/", headers, body


def _sns(body: bytes) -> Request:
    return "POST", "/", {"Authorization": SIGNED.format("sns"), "Content-Type": FORM}, body


KNOWN: list[tuple[Request, int, str]] = [
    (_ddb("ListTables", b"{not"), 400, "SerializationException"),
    (_ddb("Nope", b"{}"), 400, "UnknownOperationException"),
    (_ddb("PutItem", b'{"Item": {}}'), 400, "ValidationException"),
    (_ddb("Query", b'{"TableName": ""}'), 400, "ValidationException"),
    (_ddb("TransactWriteItems", b'{"TransactItems": [{}]}'), 400, "ValidationException"),
    (_sns(b"Action=Nope"), 400, "InvalidAction"),
    (_sns(b"Version=1"), 400, "MissingAction"),
    (_sns(b"Action=Publish&Message=x"), 400, "InvalidParameter"),
    (_sns(b"Action=ListTopics&a=%Z"), 404, "MalformedQueryString"),
    (
        (
            "GET",
            "/?Action=ListTopics&x=" + "a" * 140_000,
            {"Authorization": SIGNED.format("sns")},
            b"",
        ),
        400,
        "InvalidQueryParameter",
    ),
    (
        ("POST", "/", {"Authorization": "x", "X-Amz-Target": "a.b"}, b"{}"),
        400,
        "IncompleteSignature",
    ),
]


@pytest.mark.parametrize(("request_", "status", "code"), KNOWN)
def test_known_malformations_get_aws_error_codes(
    cloud: LocalCloud, request_: Request, status: int, code: str
) -> None:
    got, body = send(cloud, request_)
    assert got == status, body
    assert code.encode() in body


@st.composite
def near_valid_json_requests(draw: st.DrawFn) -> Request:
    """An operation's own member names with random values: valid or not, never a 5xx."""
    service = draw(st.sampled_from(sorted(JSON_SERVICES)))
    prefix, version, operations = JSON_SERVICES[service]
    operation = draw(st.sampled_from(operations))
    model = service_model(service)
    assert model is not None
    shape = model.operation_model(operation).input_shape
    members = sorted(shape.members) if shape is not None else []
    document = draw(st.dictionaries(st.sampled_from(members), json_values, max_size=4))
    headers = {
        "Authorization": SIGNED.format(service),
        "Content-Type": f"application/x-amz-json-{version}",
        "X-Amz-Target": f"{prefix}.{operation}",
    }
    return "POST", "/", headers, json.dumps(document).encode()


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=near_valid_json_requests())
def test_documents_near_the_model_never_get_a_5xx(
    cloud: LocalCloud, tracebacks: _Tracebacks, request: Request
) -> None:
    status, body = send(cloud, request)
    assert status < 500, f"{status} for {request!r}: {body[:300]!r}"
    assert not tracebacks.seen, tracebacks.seen
