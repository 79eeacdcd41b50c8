"""A form body decoded once: werkzeug's form, from the precheck's pairs when they apply."""

from __future__ import annotations

import gc
import weakref
from typing import Any
from unittest.mock import patch
from urllib.parse import urlencode

import flask
from moto.moto_server.werkzeug_app import BackendRequest
from werkzeug.test import EnvironBuilder

from messaging.localcloud import wire
from messaging.localcloud.form_body import DecodedOnceRequest
from messaging.localcloud.route import route_of
from messaging.localcloud.server import backend_app

SNS_SCOPE = "AWS4-HMAC-SHA256 Credential=k/20261130/us-east-1/sns/aws4_request, Signature=x"
MESSAGE = '{"event_type": "consumer.created", "name": "Zoë + Ana", "note": "100% & more"}'


def environ(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> Any:
    return EnvironBuilder(
        method="POST",
        path="/",
        data=body,
        headers=[("Authorization", SNS_SCOPE), ("Content-Type", content_type)],
    ).get_environ()


def publish_body() -> bytes:
    pairs = {"Action": "PublishBatch", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}
    for n in (1, 2):
        pairs[f"PublishBatchRequestEntries.member.{n}.Id"] = str(n)
        pairs[f"PublishBatchRequestEntries.member.{n}.Message"] = MESSAGE
    pairs["Empty"] = ""
    return urlencode(pairs).encode()


def checked(body: bytes) -> Any:
    """The environ after the precheck decoded its form (as `precheck.check` does)."""
    env = environ(body)
    wire.check_query(route_of(env))
    return env


def test_the_form_is_werkzeug_s_own_without_decoding_the_body_again() -> None:
    body = publish_body()
    with patch("werkzeug.formparser.parse_qsl") as werkzeug_decode:
        ours = DecodedOnceRequest(checked(body))
        form = ours.form.to_dict(flat=False)
    werkzeug_decode.assert_not_called()
    theirs = BackendRequest(environ(body))
    assert list(ours.form.items(multi=True)) == list(theirs.form.items(multi=True))
    assert form["PublishBatchRequestEntries.member.2.Message"] == [MESSAGE]
    assert form["Empty"] == [""]
    assert ours.data == theirs.data == b""  # the stream is consumed, as werkzeug leaves it
    assert ours.files.to_dict() == theirs.files.to_dict() == {}


def test_a_body_that_is_not_the_one_the_precheck_saw_is_decoded_by_werkzeug() -> None:
    env = checked(publish_body())
    other = urlencode({"Action": "Publish", "Message": "other"}).encode()
    env["wsgi.input"].seek(0)
    env["wsgi.input"].write(other)
    env["wsgi.input"].truncate()
    env["wsgi.input"].seek(0)
    env["CONTENT_LENGTH"] = str(len(other))
    assert DecodedOnceRequest(env).form.to_dict() == {"Action": "Publish", "Message": "other"}


def test_without_a_precheck_or_a_form_the_request_is_moto_s() -> None:
    body = publish_body()
    assert DecodedOnceRequest(environ(body)).form == BackendRequest(environ(body)).form
    json_body = b'{"QueueName": "q"}'
    request = DecodedOnceRequest(environ(json_body, "application/x-amz-json-1.0"))
    assert request.form.to_dict() == {}
    assert request.data == json_body


def test_the_server_s_backend_apps_build_their_requests_with_it() -> None:
    assert backend_app("sns").request_class is DecodedOnceRequest


def served_request_is_freed_at_once(request_class: type[Any]) -> bool:
    """Serve one request as moto's apps do (debug on, the form read); is it freed by refcount?"""
    app = flask.Flask("moto-like")
    app.debug = True  # as moto's `create_backend_app` sets it
    app.request_class = request_class
    seen: list[weakref.ref[Any]] = []

    @app.route("/", methods=["POST"])
    def view() -> str:
        request = flask.request._get_current_object()  # type: ignore[attr-defined]
        seen.append(weakref.ref(request))
        return str(len(request.values))  # moto's parse reads the form this way

    collecting = gc.isenabled()
    gc.disable()  # only reference counting may free it
    try:
        with app.test_client() as client:
            assert client.post("/", data=publish_body()).status_code == 200
        return seen[0]() is None
    finally:
        if collecting:
            gc.enable()


def test_a_served_request_leaves_no_reference_cycle_for_the_collector() -> None:
    assert served_request_is_freed_at_once(DecodedOnceRequest)
    # moto's class, in Flask's debug mode: the request's `files` got a class of its own
    # whose closure holds the request, so only the cycle collector frees it
    assert not served_request_is_freed_at_once(BackendRequest)
