"""Reading a request the way AWS routes it: service, protocol, operation, body once."""

from __future__ import annotations

from messaging.localcloud.route import Route, route_of, service_model
from tests.support import wsgi


def test_json_requests_name_the_service_and_operation() -> None:
    env = wsgi.environ(service="dynamodb", target="DynamoDB_20120810.PutItem", body=b"{}")
    route = route_of(env)
    assert (route.service, route.region, route.protocol, route.operation) == (
        "dynamodb",
        "us-east-1",
        "json",
        "PutItem",
    )
    assert route.model is service_model("dynamodb")
    assert route.label == "dynamodb:PutItem"


def test_the_body_is_read_once_and_put_back() -> None:
    env = wsgi.environ(service="sns", body=b"Action=ListTopics")
    route = route_of(env)
    assert route.body == env["wsgi.input"].read() == b"Action=ListTopics"
    assert route_of(env) is route  # cached in the environ


def test_query_requests_take_the_action_from_the_form_or_the_query_string() -> None:
    assert route_of(wsgi.environ(service="sns", body=b"Version=1&Action=Publish")).operation == (
        "Publish"
    )
    got = route_of(wsgi.environ(service="sqs", method="GET", query="Action=ListQueues"))
    assert (got.protocol, got.operation) == ("query", "ListQueues")


def test_a_form_without_action_is_still_the_query_protocol_even_for_sqs() -> None:
    route = route_of(wsgi.environ(service="sqs", body=b"Version=2012-11-05"))
    assert (route.protocol, route.operation) == ("query", None)


def test_s3_is_rest_and_presigned_urls_name_their_service() -> None:
    assert route_of(wsgi.environ(service="s3", method="GET", path="/b/k")).protocol == "rest-xml"
    presigned = "X-Amz-Credential=AKID%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Expires=60"
    route = route_of(wsgi.environ(method="GET", path="/b/k", query=presigned))
    assert (route.service, route.region, route.protocol) == ("s3", "eu-west-1", "rest-xml")


def test_unsigned_and_unknown_services_have_no_model() -> None:
    assert route_of(wsgi.environ(method="GET")).model is None
    assert route_of(wsgi.environ(service="nosuchservice", body=b"x=1")).model is None
    assert isinstance(route_of(wsgi.environ(method="GET")), Route)
