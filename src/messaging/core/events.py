"""The event contract: the envelope, `consumer.created` v1, and their codec.

Every message on the topic is one JSON object, UTF-8:

    {"event_id": uuid4, "event_type": "consumer.created", "event_version": 1,
     "occurred_at": RFC 3339 UTC, "data": {"consumer_id", "name", "email", "phone",
     "address": {...}, "created_at"}}

`decode` never lets bad input escape as anything but a `DecodeError` subclass that says
what is wrong (not UTF-8, too large, not JSON, unknown type, unsupported version, wrong
schema), because a worker must classify a poison message, not crash on it. Unknown
fields are ignored (a tolerant reader: producers may add fields within a version).

Text hygiene: no text field may hold a control character (C0 U+0000-U+001F, DEL, C1
U+0080-U+009F) or a bidirectional embedding, override or isolate (U+202A-U+202E,
U+2066-U+2069). Every field is one line of a name, an address, a phone or an email, where
none of them means anything; NUL truncates strings in C code and logs, C1 and DEL drive
terminals, and a right-to-left override makes stored text display as something else.
No exception is made (not even TAB or LF): the check runs after surrounding whitespace is
stripped, so only characters that would be stored count. A message with one fails as
`SchemaError`, so it goes to the DLQ. Marks that only hint direction (U+200E, U+200F,
U+061C) are kept: right-to-left names need them and they cannot reorder text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
)

from messaging.core import email_domains
from messaging.errors import MessagingError

__all__ = [
    "EVENT_TYPE",
    "EVENT_VERSION",
    "MAX_BODY_BYTES",
    "Address",
    "Consumer",
    "ConsumerCreated",
    "DecodeError",
    "InvalidJsonError",
    "NotUtf8Error",
    "OversizeError",
    "SchemaError",
    "UnknownEventTypeError",
    "UnsupportedVersionError",
    "decode",
    "encode",
]

# Every process that validates an event (the producer, each service) checks a run's few
# email domains once each, not once per address (`email_domains`).
email_domains.remember()

EVENT_TYPE: Final = "consumer.created"
EVENT_VERSION: Final = 1
# SNS and SQS both cap a message at 256 KiB; anything larger cannot have come from us.
MAX_BODY_BYTES: Final = 256 * 1024


# RFC 3339 section 5.6 date-time: "T" (or "t") between date and time, seconds
# required, an offset or "Z" required.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def _rfc3339(value: Any) -> Any:
    """The contract says RFC 3339; pydantic alone also reads numbers and numeric strings
    ("1") as epoch seconds, and accepts date-times with no seconds. (A `datetime` is what
    Python code builds events from; only the wire form is text.)"""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time string")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC form
        raise ValueError("date-time out of range in UTC") from None


_HIDDEN_CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# Unicode's White_Space property: what surrounds a value and is stripped. Python's
# `str.strip` also strips U+001C-U+001F, which are controls, not spaces.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _no_hidden_controls(value: Any) -> Any:
    """Strip Unicode white space at the edges, then refuse the characters of the module
    docstring's text hygiene, saying which and where.

    It runs before pydantic's own stripping, which would remove a control in
    U+001C-U+001F at an edge unseen.
    """
    if not isinstance(value, str):
        return value  # pydantic's own type check says what is wrong
    value = value.strip(_WHITE_SPACE)
    found = _HIDDEN_CONTROLS.search(value)
    if found is not None:
        code = ord(found.group())
        kind = "a bidirectional control" if code >= 0x202A else "a control character"
        raise ValueError(f"contains {kind} (U+{code:04X}) at index {found.start()}")
    return value


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]
Text = Annotated[str, Field(min_length=1, max_length=512), BeforeValidator(_no_hidden_controls)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


class Address(_Model):
    street: Text
    city: Text
    state: Text | None = None
    postal_code: Text
    country: Annotated[  # ISO 3166-1 alpha-2
        str, Field(min_length=2, max_length=2), BeforeValidator(_no_hidden_controls)
    ]


class Consumer(_Model):
    consumer_id: UUID
    name: Text
    email: Annotated[EmailStr, BeforeValidator(_no_hidden_controls)]
    phone: Text
    address: Address
    created_at: UtcDatetime


class ConsumerCreated(_Model):
    """A consumer (customer) was created: the only event on the topic today."""

    event_id: UUID
    event_type: Literal["consumer.created"] = EVENT_TYPE
    event_version: Literal[1] = EVENT_VERSION
    occurred_at: UtcDatetime
    data: Consumer


class DecodeError(MessagingError):
    """A message body that is not a valid event; it must never be acknowledged."""

    reason: str = "invalid"


class NotUtf8Error(DecodeError):
    reason = "not-utf8"


class OversizeError(DecodeError):
    reason = "oversize"


class InvalidJsonError(DecodeError):
    reason = "invalid-json"


class UnknownEventTypeError(DecodeError):
    reason = "unknown-event-type"


class UnsupportedVersionError(DecodeError):
    reason = "unsupported-version"


class SchemaError(DecodeError):
    reason = "schema"


def encode(event: ConsumerCreated) -> str:
    """Compact JSON, ids and times as strings; `decode(encode(e)) == e`."""
    return event.model_dump_json()


def _parse_json(body: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidJsonError(f"body is not JSON: {str(error)[:200]}") from None
    if not isinstance(document, dict):
        raise InvalidJsonError(f"body is JSON {type(document).__name__}, not an object")
    return document


def decode(body: str | bytes) -> ConsumerCreated:
    """Parse and validate one message body, or raise the `DecodeError` that says why."""
    if isinstance(body, str):
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as error:  # lone surrogates: no UTF-8 form exists
            raise NotUtf8Error(f"body is not UTF-8: {error.reason} at {error.start}") from None
    else:
        raw = body
    if len(raw) > MAX_BODY_BYTES:
        raise OversizeError(f"body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8Error(f"body is not UTF-8: {error.reason} at byte {error.start}") from None
    document = _parse_json(text)
    event_type = document.get("event_type")
    if event_type != EVENT_TYPE:
        raise UnknownEventTypeError(f"unknown event_type {str(event_type)[:100]!r}")
    version = document.get("event_version")
    if type(version) is not int or version != EVENT_VERSION:  # not True, not 1.0
        raise UnsupportedVersionError(
            f"{EVENT_TYPE} version {str(version)[:20]!r} is not supported "
            f"(supported: {EVENT_VERSION})"
        )
    try:
        return ConsumerCreated.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg'][:200]}"
            for e in error.errors()[:5]
        )
        raise SchemaError(f"{EVENT_TYPE} does not match the schema: {problems}") from None
