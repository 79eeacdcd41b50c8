"""Malformed requests and their AWS error codes, decided before moto parses."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.localcloud.aws_errors import RefusalError
from messaging.localcloud.route import route_of
from messaging.localcloud.wire import check_json, check_query, check_signature, decoded_pairs
from tests.support import wsgi


def json_route(target: str, document: Any, service: str = "dynamodb") -> Any:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return route_of(wsgi.environ(service=service, target=target, body=body))


def refusal(check: Any, route: Any) -> RefusalError:
    with pytest.raises(RefusalError) as caught:
        check(route)
    return caught.value


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"null", b"[" * 5000])
def test_a_body_that_is_not_a_json_object_is_a_serialization_exception(body: bytes) -> None:
    error = refusal(check_json, json_route("DynamoDB_20120810.ListTables", body))
    assert (error.status, error.code) == (400, "com.amazon.coral.service#SerializationException")


def test_an_empty_body_is_an_empty_object() -> None:
    check_json(json_route("DynamoDB_20120810.ListTables", b""))


@pytest.mark.parametrize("target", ["DynamoDB_20120810.Nope", "Other_1.ListTables", "ListTables"])
def test_an_unknown_target_is_an_unknown_operation(target: str) -> None:
    error = refusal(check_json, json_route(target, {}))
    assert error.code.endswith("#UnknownOperationException")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"TableName": 5}, "Expected a string at 'tableName'"),
        ({"TableName": "t", "Limit": "10"}, "Expected an integer at 'limit'"),
        ({"TableName": "t", "Limit": True}, "Expected an integer at 'limit'"),
        ({"TableName": "t", "ConsistentRead": 1}, "Expected a boolean at 'consistentRead'"),
        ({"TableName": "t", "ExclusiveStartKey": []}, "Expected a map at 'exclusiveStartKey'"),
        ({"TableName": "t", "AttributesToGet": "a"}, "Expected a list at 'attributesToGet'"),
    ],
)
def test_a_member_of_the_wrong_type_is_a_serialization_exception(
    document: dict[str, Any], fragment: str
) -> None:
    error = refusal(check_json, json_route("DynamoDB_20120810.Scan", document))
    assert error.code.endswith("#SerializationException")
    assert fragment in error.message


def test_missing_members_and_bounds_are_validation_exceptions_with_coral_messages() -> None:
    error = refusal(check_json, json_route("DynamoDB_20120810.PutItem", {"Item": {}}))
    assert error.code == "com.amazon.coral.validate#ValidationException"
    assert error.message == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null"
    )
    items = [{"Put": {"TableName": "t", "Item": {}}}] * 101
    error = refusal(
        check_json, json_route("DynamoDB_20120810.TransactWriteItems", {"TransactItems": items})
    )
    assert "'transactItems' failed to satisfy constraint" in error.message
    assert "Member must have length less than or equal to 100" in error.message
    error = refusal(check_json, json_route("DynamoDB_20120810.Scan", {"TableName": "", "Limit": 0}))
    assert error.message.startswith("2 validation errors detected")


def test_firehose_blobs_must_be_base64_within_the_model_size() -> None:
    target = "Firehose_20150804.PutRecordBatch"
    bad = {"DeliveryStreamName": "s", "Records": [{"Data": "not base64!"}]}
    assert refusal(check_json, json_route(target, bad, "firehose")).code.endswith(
        "SerializationException"
    )
    huge = base64.b64encode(b"x" * 1_024_001).decode()
    error = refusal(
        check_json,
        json_route(target, {"DeliveryStreamName": "s", "Records": [{"Data": huge}]}, "firehose"),
    )
    assert "less than or equal to 1024000" in error.message
    records = [{"Data": "eA=="}] * 501
    error = refusal(
        check_json, json_route(target, {"DeliveryStreamName": "s", "Records": records}, "firehose")
    )
    assert (
        "'records' failed to satisfy constraint: Member must have length less than or equal to 500"
        in error.message
    )


def test_null_entries_of_lists_and_maps_are_refused_but_null_members_are_absent() -> None:
    error = refusal(
        check_json, json_route("DynamoDB_20120810.BatchWriteItem", {"RequestItems": {"t": None}})
    )
    assert "Value null at 'requestItems.member'" in error.message
    check_json(json_route("DynamoDB_20120810.ListTables", {"Limit": None}))


def test_sqs_errors_also_carry_their_query_code() -> None:
    error = refusal(check_json, json_route("AmazonSQS.Nope", {}, "sqs"))
    assert error.query_code == "UnknownOperationException"


def test_unknown_members_are_ignored_as_aws_json_services_ignore_them() -> None:
    check_json(json_route("DynamoDB_20120810.ListTables", {"Limit": 5, "NewFeature": [1]}))


def query_route(body: bytes, service: str = "sns", query: str = "") -> Any:
    return route_of(wsgi.environ(service=service, body=body, query=query))


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"Action=ListTopics&x=%Z1", 404, "MalformedQueryString"),
        (b"Action=ListTopics&x=%", 404, "MalformedQueryString"),
        (b"Action=ListTopics&x=%FF", 404, "MalformedQueryString"),  # not UTF-8
        (b"Version=2010-03-31", 400, "MissingAction"),
        (b"Action=", 400, "MissingAction"),
        (b"Action=Nope", 400, "InvalidAction"),
        (b"Action=Subscribe&TopicArn=a", 400, "MissingParameter"),  # no Protocol
        (b"Action=Publish&Message=m", 400, "InvalidParameter"),  # no destination
    ],
)
def test_query_requests_are_refused_with_common_error_codes(
    body: bytes, status: int, code: str
) -> None:
    error = refusal(check_query, query_route(body))
    assert (error.status, error.code) == (status, code)


def test_a_good_query_request_passes_and_keeps_its_decoded_parameters() -> None:
    route = query_route(b"Action=Publish&TopicArn=arn&Message=h%C3%A9+llo")
    check_query(route)
    assert ("Message", "hé llo") in (route.params or [])
    assert route.operation == "Publish"


def test_percent_decoding_is_strict_utf8() -> None:
    assert decoded_pairs(b"a=%E2%80%AE&b=+") == [("a", "\u202e"), ("b", " ")]


# ASCII fields of names, values, separators and escapes, some of them bad UTF-8
_ESCAPE = st.integers(0, 255).map(lambda byte: f"%{byte:02{'X' if byte % 2 else 'x'}}")
_FIELD_TEXT = st.lists(
    st.sampled_from(["=", "&", "+", ";", " ", "\\", "=3D", "%25", "a"])
    | st.characters(max_codepoint=127)
    | _ESCAPE
    | st.just("%C3%A9")
    | st.just("%F0%9F%98%80"),
    max_size=30,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(text=_FIELD_TEXT)
def test_decoded_pairs_are_parse_qsl_s_strict_ones(text: str) -> None:
    body = text.encode("ascii")
    try:
        expected: Any = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeError:
        expected = "refused"
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        expected = "refused"  # a bad escape, refused before decoding
    if expected == "refused":
        with pytest.raises(RefusalError, match="MalformedQueryString"):
            decoded_pairs(body)
    else:
        assert decoded_pairs(body) == expected


def test_a_query_that_is_not_ascii_is_refused() -> None:
    with pytest.raises(RefusalError, match="MalformedQueryString"):
        decoded_pairs("a=é".encode())


@pytest.mark.parametrize(
    "header", ["x", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=a/b", ","]
)
def test_a_malformed_authorization_header_is_an_incomplete_signature(header: str) -> None:
    with pytest.raises(RefusalError, match="IncompleteSignature"):
        check_signature(header)


def test_well_formed_and_absent_authorization_headers_pass() -> None:
    check_signature(None)
    check_signature(wsgi.signed("sqs"))
    check_signature("AWS AKIDEXAMPLE:signature")  # SigV2 (S3): moto reads it
