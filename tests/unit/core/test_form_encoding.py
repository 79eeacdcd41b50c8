"""A form body is `urlencode`'s text exactly, and a client sends what it sent before.

Responses are served by a `before-send` hook, so botocore's whole request path runs
(serialiser, signer, preparer) and each test sees the body that would go on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_plus as stdlib_quote_plus
from urllib.parse import urlencode

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from hypothesis import given
from hypothesis import strategies as st

from messaging.core import form_encoding
from messaging.core.form_encoding import encode_form, quote_bytes, quote_plus

# All of Unicode that has a UTF-8 form (no lone surrogates), JSON's characters often.
TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from('{}":, %+~')))


def botocore_urlencode(parameters: dict[str, str]) -> str:
    """What botocore's preparer writes for a dict body (`AWSRequestPreparer._prepare_body`)."""
    pairs = [(key.encode("utf-8"), value.encode("utf-8")) for key, value in parameters.items()]
    return urlencode(pairs, doseq=True)


@given(st.dictionaries(TEXT, TEXT, max_size=8))
def test_a_form_is_urlencodes_text(parameters: dict[str, str]) -> None:
    assert encode_form(parameters) == botocore_urlencode(parameters)


@given(TEXT)
def test_text_is_quoted_as_its_utf8_bytes_are(text: str) -> None:
    assert quote_plus(text) == stdlib_quote_plus(text.encode("utf-8"))


@given(st.binary())
def test_bytes_are_quoted_as_quote_plus_quotes_them(data: bytes) -> None:
    assert quote_bytes(data) == stdlib_quote_plus(data)


def test_every_ascii_character_alone_and_together() -> None:
    every = "".join(map(chr, range(128)))
    for text in [*every, every, every[::-1], "% %25+ +", "%%  ++"]:
        assert quote_plus(text) == stdlib_quote_plus(text.encode("ascii")), repr(text)


def test_text_without_utf8_form_raises_as_botocore_would() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_form({"Message": "lone \ud800 surrogate"})


@pytest.mark.parametrize(
    "body",
    [
        {"Action": "Publish", "MaxItems": 10},  # a number: urlencode's own rules
        {"Action": "Publish", "Message": "lone \ud800 surrogate"},  # botocore raises it
        "Action=Publish",  # already text
        b"",
        None,
    ],
)
def test_what_is_not_a_dict_of_text_is_left_to_botocore(body: Any) -> None:
    request = SimpleNamespace(data=body)
    form_encoding._encode_body(request=request)  # the handler itself
    assert request.data is body


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self.body


def sns_client(encoded: bool, sent: list[str], signed: list[type]) -> Any:
    """An SNS client whose answers come from a hook; it notes each body sent, and the type
    of the body the signer found."""
    client = boto3.Session(
        aws_access_key_id="AKID", aws_secret_access_key="secret", region_name="us-east-1"
    ).client("sns", endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1}))
    if encoded:
        form_encoding.register(client)

    def before_sign(request: Any, **_: Any) -> None:
        signed.append(type(request.data))

    def respond(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        answer = b"<PublishBatchResponse><PublishBatchResult/></PublishBatchResponse>"
        return AWSResponse(request.url, 200, HTTPHeaders(), _Raw(answer))

    hooks: Any = (before_sign, respond)
    client.meta.events.register("before-sign", hooks[0])
    client.meta.events.register("before-send", hooks[1])
    return client


def test_a_client_sends_the_same_body_and_signs_it_encoded() -> None:
    entries: Any = [
        {
            "Id": str(n),
            "Message": f'{{"event_type": "consumer.created", "name": "Zoë Ünal", "n": {n}}}',
            "MessageAttributes": {
                "event_type": {"DataType": "String", "StringValue": "consumer.created"}
            },
        }
        for n in range(10)
    ]
    bodies: dict[bool, list[str]] = {}
    signed: dict[bool, list[type]] = {}
    for encoded in (False, True):
        bodies[encoded], signed[encoded] = [], []
        client = sns_client(encoded, bodies[encoded], signed[encoded])
        client.publish_batch(
            TopicArn="arn:aws:sns:us-east-1:1:t", PublishBatchRequestEntries=entries
        )
    assert bodies[True] == bodies[False]
    assert "Message=%7B%22event_type%22" in bodies[True][0]
    # The signer found the body encoded: it did not urlencode it once more to hash it.
    assert signed == {False: [dict], True: [str]}
