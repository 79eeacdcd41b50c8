"""The codec: valid events round-trip; every other body is a `DecodeError` that says why.

A worker must classify a poison message, never crash on it. So every body fed to `decode`
here must end as a valid `ConsumerCreated` or a `DecodeError` subclass with a short message
(logs stay readable); anything else escapes `outcome` and fails the test. Where the input
determines the reason, the test asserts the specific subclass.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeAlias

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from messaging.core.events import (
    MAX_BODY_BYTES,
    ConsumerCreated,
    DecodeError,
    InvalidJsonError,
    NotUtf8Error,
    OversizeError,
    SchemaError,
    UnknownEventTypeError,
    UnsupportedVersionError,
    decode,
    encode,
)
from messaging.producer.fakes import ConsumerFactory

Json: TypeAlias = Any  # what json.loads returns
Outcome: TypeAlias = ConsumerCreated | DecodeError

MAX_MESSAGE = 1000
INSTANT = datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=UTC)
LOCALES = ("en_US", "pt_BR", "de_DE", "fr_FR", "ja_JP")
VALID = ConsumerFactory(seed=0, clock=lambda: INSTANT).event()

STRING_FIELDS = (
    "data.name",
    "data.email",
    "data.phone",
    "data.address.street",
    "data.address.city",
    "data.address.state",
    "data.address.postal_code",
    "data.address.country",
)
ID_FIELDS = ("event_id", "data.consumer_id")
TIME_FIELDS = ("occurred_at", "data.created_at")
OBJECT_FIELDS = ("data", "data.address")
ENVELOPE_FIELDS = ("event_type", "event_version")
ALL_FIELDS = ENVELOPE_FIELDS + ID_FIELDS + TIME_FIELDS + OBJECT_FIELDS + STRING_FIELDS
# Fields whose valid value is a JSON string: where odd Unicode can go.
TEXT_FIELDS = ("event_type", *ID_FIELDS, *TIME_FIELDS, *STRING_FIELDS)
FIELD_NAMES = sorted({path.rpartition(".")[2] for path in ALL_FIELDS})
REQUIRED_FIELDS = tuple(f for f in ID_FIELDS + TIME_FIELDS + OBJECT_FIELDS + STRING_FIELDS
                        if f != "data.address.state")  # fmt: skip

ODD_UNICODE = (
    "\ud800",  # lone surrogates: no UTF-8 form
    "\udfff",
    "\x00",
    "\x1c",  # a separator Python's str.strip() removes but Unicode does not call space
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u2028",  # line separator: valid JSON, not valid JavaScript
    "\ufeff",  # byte order mark
    "\ufffe",  # noncharacter
    "\U0010ffff",
    "\U0001f984",  # emoji
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # zero-width-joined emoji
    "e\u0301",  # combining accent
    "\u3000",  # ideographic space
)


def document() -> dict[str, Json]:
    """A fresh JSON document of a valid event, to break."""
    loaded: dict[str, Json] = json.loads(encode(VALID))
    return loaded


def outcome(body: str | bytes) -> Outcome:
    """`decode`'s result or its `DecodeError`; any other exception fails the test."""
    try:
        result: Outcome = decode(body)
    except DecodeError as error:
        result = error
    if isinstance(result, DecodeError):
        message = str(result)
        assert len(message) < MAX_MESSAGE, f"{len(message)} chars: {message[:300]}"
    return result


def rejects(body: str | bytes, kind: type[DecodeError]) -> DecodeError:
    result = outcome(body)
    assert isinstance(result, kind), f"expected {kind.__name__}, got {result!r:.300}"
    return result


def expected_kind(document: Json) -> type[DecodeError]:
    """The error the contract names for a parsed body; `SchemaError` may also be a valid event.

    Checked in the documented order: an object, of a known type, of a supported version.
    """
    if not isinstance(document, dict):
        return InvalidJsonError
    if document.get("event_type") != "consumer.created":
        return UnknownEventTypeError
    version = document.get("event_version")
    if type(version) is not int or version != 1:
        return UnsupportedVersionError
    return SchemaError


def conforms(result: Outcome, document: Json) -> None:
    """`result` is what the contract allows for `document`.

    An accepted body is checked against the contract itself, not against the decoder:
    every required field is there with the JSON type the contract names, and the event
    holds the document's values (`holds_the_documents_values`); it also round-trips.
    """
    kind = expected_kind(document)
    if isinstance(result, ConsumerCreated):
        assert kind is SchemaError, f"accepted a body that must fail with {kind.__name__}"
        holds_the_documents_values(result, document)
        assert decode(encode(result)) == result
    else:
        assert isinstance(result, kind), f"expected {kind.__name__}, got {result!r:.300}"


def holds_the_documents_values(event: ConsumerCreated, document: dict[str, Json]) -> None:
    """An oracle independent of the decoder, for a document it accepted."""
    document = json.loads(json.dumps(document))  # as the decoder read it: pairs joined
    for path in REQUIRED_FIELDS:
        value = get_field(document, path)  # a KeyError: accepted with a field missing
        if path in OBJECT_FIELDS:
            assert isinstance(value, dict), f"{path}: accepted {value!r:.100}"
        else:
            assert isinstance(value, str), f"{path}: accepted {value!r:.100}"
            assert value.strip(WHITE_SPACE), f"{path}: accepted a blank value"
    state = document["data"]["address"].get("state")
    assert state is None or isinstance(state, str), f"state: accepted {state!r:.100}"
    fields = event.model_dump()
    written = event.model_dump(mode="json")
    for path in ID_FIELDS:
        assert get_field(fields, path) == uuid.UUID(get_field(document, path))
    for path in TIME_FIELDS:
        instant = datetime.fromisoformat(get_field(document, path))
        assert instant.tzinfo is not None, f"{path}: accepted a time with no offset"
        assert get_field(fields, path) - instant == timedelta(0)
    for path in STRING_FIELDS:
        sent: str | None = state if path == "data.address.state" else get_field(document, path)
        kept: str | None = get_field(written, path)
        if sent is None or kept is None:
            assert sent is kept is None
        elif path == "data.email":  # normalised: the domain lower-cased, Unicode NFC
            assert nfc(kept).casefold() == nfc(sent.strip(WHITE_SPACE)).casefold()
        else:
            assert kept == sent.strip(WHITE_SPACE), f"{path}: {kept!r:.100} for {sent!r:.100}"
    assert len(get_field(written, "data.address.country")) == 2


# Unicode's White_Space, what the schema strips (str.strip() also strips U+001C..U+001F).
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def set_field(document: dict[str, Json], path: str, value: Json) -> None:
    """Set a dotted path; a no-op when a parent is gone or no longer an object."""
    *parents, leaf = path.split(".")
    node: Json = document
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node[leaf] = copy.deepcopy(value)  # hypothesis may share one value between paths


def remove_field(document: dict[str, Json], path: str) -> None:
    *parents, leaf = path.split(".")
    node: Json = document
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


def get_field(document: dict[str, Json], path: str) -> Json:
    node: Json = document
    for part in path.split("."):
        node = node[part]
    return node


def with_field(path: str, value: Json) -> dict[str, Json]:
    changed = document()
    set_field(changed, path, value)
    return changed


def without_field(path: str) -> dict[str, Json]:
    changed = document()
    remove_field(changed, path)
    return changed


# --- strategies -----------------------------------------------------------------------------

# Offsets in whole minutes, as RFC 3339 allows; datetime itself allows seconds, tested below.
minute_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
any_offsets = st.timedeltas(
    min_value=timedelta(hours=-24) + timedelta(microseconds=1),
    max_value=timedelta(hours=24) - timedelta(microseconds=1),
).map(timezone)
# A day inside datetime's range, so that converting to UTC cannot overflow; the ends with
# other offsets are test_out_of_range_utc_conversion_is_a_schema_error.
EARLIEST, LATEST = datetime(1, 1, 2), datetime(9999, 12, 30)
edge_instants = st.sampled_from(
    [
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
)
aware_datetimes = (
    st.datetimes(EARLIEST, LATEST, timezones=st.timezones() | any_offsets | st.just(UTC))
    | edge_instants
)
wire_datetimes = st.datetimes(EARLIEST, LATEST, timezones=minute_offsets) | edge_instants

# Text the schema keeps: not blank once stripped (pydantic strips Unicode White_Space, a subset
# of what str.strip() removes, so this filter is if anything too strict), and free of control
# characters and bidirectional controls (the text hygiene of `events`).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HIDDEN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{BIDI_CONTROLS}]")
clean_chars = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=BIDI_CONTROLS)
texts = st.text(clean_chars, min_size=1, max_size=40) | st.lists(
    st.sampled_from([c for c in ODD_UNICODE if not has_surrogate(c) and not HIDDEN.search(c)])
    | st.text(clean_chars, max_size=3),
    min_size=1,
    max_size=6,
).map("".join)
non_blank = texts.filter(lambda text: bool(text.strip()))
long_text = st.text(st.characters(codec="utf-8", exclude_categories=("Z", "Cc"),
                                  exclude_characters=BIDI_CONTROLS), min_size=512,
                    max_size=512)  # fmt: skip
countries = st.text(st.characters(exclude_categories=("Z", "Cc", "Cs"),
                                  exclude_characters=BIDI_CONTROLS),
                    min_size=2, max_size=2)  # fmt: skip

field_overrides = st.fixed_dictionaries(
    {},
    optional={
        "event_id": st.uuids(),
        "occurred_at": aware_datetimes,
        "data.consumer_id": st.uuids(),
        "data.name": non_blank | long_text,
        "data.email": st.emails(),
        "data.phone": non_blank,
        "data.created_at": aware_datetimes,
        "data.address.street": non_blank | long_text,
        "data.address.city": non_blank,
        "data.address.state": st.none() | non_blank,
        "data.address.postal_code": non_blank,
        "data.address.country": countries.filter(lambda code: len(code.strip()) == 2),
    },
)


@st.composite
def valid_events(draw: st.DrawFn) -> ConsumerCreated:
    """A factory event of a drawn seed and locale, with some fields replaced by odder values."""
    seed = draw(st.integers(min_value=0, max_value=2**32))
    factory = ConsumerFactory(seed=seed, locale=draw(st.sampled_from(LOCALES)))
    fields = factory.event().model_dump()
    for path, value in draw(field_overrides).items():
        set_field(fields, path, value)
    return ConsumerCreated.model_validate(fields)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats()
    | st.text(st.characters(exclude_categories=()))  # lone surrogates too
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(FIELD_NAMES), children, max_size=4)
    ),
    max_leaves=20,
)
# Values near the contract, to get past the envelope checks often.
near_values: st.SearchStrategy[Json] = (
    st.sampled_from(["consumer.created", 1, 1.0, 0, 2, "1", True, None, "", [], {}]) | json_values
)


# --- round trips ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(event=valid_events())
def test_valid_events_round_trip(event: ConsumerCreated) -> None:
    body = encode(event)
    assert decode(body) == event
    assert decode(body.encode()) == event
    assert encode(decode(body)) == body  # one canonical form
    assert len(body.encode()) <= MAX_BODY_BYTES


@settings(max_examples=200, deadline=None)
@given(instant=aware_datetimes)
def test_times_in_any_timezone_are_normalised_to_utc(instant: datetime) -> None:
    fields = VALID.model_dump()
    fields["occurred_at"] = fields["data"]["created_at"] = instant
    event = ConsumerCreated.model_validate(fields)
    for value in (event.occurred_at, event.data.created_at):
        assert value.utcoffset() == timedelta(0)
        # Subtraction, not ==: inter-zone == is False for times in a DST fold (PEP 495).
        assert value - instant == timedelta(0)
    assert decode(encode(event)) == event
    written = json.loads(encode(event))
    assert written["occurred_at"].endswith("Z")
    assert written["data"]["created_at"].endswith("Z")


@settings(max_examples=200, deadline=None)
@given(instant=wire_datetimes)
def test_rfc3339_times_with_any_offset_decode_to_the_same_instant(instant: datetime) -> None:
    event = decode(json.dumps(with_field("occurred_at", instant.isoformat())))
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.occurred_at - instant == timedelta(0)


def test_unknown_fields_are_ignored() -> None:
    """A tolerant reader: producers may add fields within a version."""
    changed = with_field("data.address.floor", 3)
    changed["trace"] = {"id": [1, 2, {"deep": None}]}
    assert decode(json.dumps(changed)) == VALID


def test_state_is_optional() -> None:
    assert decode(json.dumps(without_field("data.address.state"))).data.address.state is None
    assert decode(json.dumps(with_field("data.address.state", None))).data.address.state is None


def test_surrounding_whitespace_is_stripped() -> None:
    event = decode(json.dumps(with_field("data.name", "\t  Ada Lovelace \u3000\n")))
    assert event.data.name == "Ada Lovelace"


@pytest.mark.parametrize("version", [1.0, True, "1"])
def test_version_must_be_the_integer_one(version: Json) -> None:
    """The contract's version is an integer: 1.0, true and "1" are other versions."""
    rejects(json.dumps(with_field("event_version", version)), UnsupportedVersionError)


# --- the envelope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type",
    [
        "consumer.deleted",
        "",
        "Consumer.Created",
        "consumer.created ",
        None,
        1,
        ["consumer.created"],
    ],
)
def test_unknown_event_type(event_type: Json) -> None:
    error = rejects(json.dumps(with_field("event_type", event_type)), UnknownEventTypeError)
    assert error.reason == "unknown-event-type"


def test_missing_event_type_is_unknown() -> None:
    rejects(json.dumps(without_field("event_type")), UnknownEventTypeError)


@pytest.mark.parametrize(
    "version", [0, 2, -1, "1", True, False, None, 1.5, 2.0, [1], {"v": 1}, 10**30, "v1"]
)
def test_unsupported_version(version: Json) -> None:
    error = rejects(json.dumps(with_field("event_version", version)), UnsupportedVersionError)
    assert error.reason == "unsupported-version"


def test_missing_version_is_unsupported() -> None:
    rejects(json.dumps(without_field("event_version")), UnsupportedVersionError)


@pytest.mark.parametrize(
    "body",
    ["[]", "null", "1", '"consumer.created"', "true", "[{}]", "{", "", " ", "{'a': 1}", "\ufeff{}"],
)
def test_a_body_that_is_not_a_json_object(body: str) -> None:
    rejects(body, InvalidJsonError)
    rejects(body.encode(), InvalidJsonError)


# --- the schema ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", REQUIRED_FIELDS)
def test_missing_required_field(path: str) -> None:
    error = rejects(json.dumps(without_field(path)), SchemaError)
    assert path.rpartition(".")[2] in str(error)
    assert error.reason == "schema"


WRONG_FOR_ALL: tuple[Json, ...] = (True, False, [], {}, ["x"], {"x": "y"})


@pytest.mark.parametrize(
    ("path", "value"),
    [(path, value) for path in REQUIRED_FIELDS for value in (*WRONG_FOR_ALL, None)]
    + [(path, value) for path in (*STRING_FIELDS, *ID_FIELDS) for value in (0, 1.5, -7)]
    + [("data.address.state", value) for value in WRONG_FOR_ALL]
    + [(path, "not valid") for path in (*ID_FIELDS, *TIME_FIELDS, *OBJECT_FIELDS, "data.email")]
    + [
        ("data.email", "no-at-sign"),
        ("data.email", "a@b@c.com"),
        ("data.name", " \t "),
        ("data.name", "x" * 513),
        ("data.address.country", "USA"),
        ("data.address.country", "U"),
        ("occurred_at", "2024-05-17T12:30:15"),  # naive: whose noon?
        ("occurred_at", "2024-05-17"),
        ("occurred_at", "2024-02-30T00:00:00Z"),
        ("data.created_at", 10**20),
        ("event_id", "0" * 31),
    ],
)
def test_wrong_value_for_a_field(path: str, value: Json) -> None:
    rejects(json.dumps(with_field(path, value)), SchemaError)


@pytest.mark.parametrize("path", TIME_FIELDS)
@pytest.mark.parametrize("value", [0, 1795800000, 1.5])
def test_timestamps_must_be_rfc3339_strings_not_epoch_numbers(path: str, value: Json) -> None:
    rejects(json.dumps(with_field(path, value)), SchemaError)


def test_many_wrong_fields_give_one_short_message() -> None:
    broken = document()
    for path in ID_FIELDS + TIME_FIELDS + STRING_FIELDS:
        set_field(broken, path, ["wrong"] * 1000)
    error = rejects(json.dumps(broken), SchemaError)  # `outcome` checks the length
    assert "event_id" in str(error)


# --- not UTF-8, too large, too deep ----------------------------------------------------------


@pytest.mark.parametrize(
    "body", [b"\xff", b"\xc3", b'{"a": "\xed\xa0\x80"}', b"\xef\xbb\xbf{\x80}", b"\x00\xff"]
)
def test_bytes_that_are_not_utf8(body: bytes) -> None:
    error = rejects(body, NotUtf8Error)
    assert error.reason == "not-utf8"


def test_str_with_a_lone_surrogate_is_not_utf8() -> None:
    body = json.dumps(with_field("data.name", "Ada \ud83d Lovelace"), ensure_ascii=False)
    rejects(body, NotUtf8Error)


def test_escaped_lone_surrogate_is_a_schema_error() -> None:
    """`\\ud800` is valid JSON, but the string it makes has no UTF-8 form to store or echo."""
    rejects(json.dumps(with_field("data.name", "Ada \ud83d Lovelace")), SchemaError)


def padded(size: int, filler: str) -> str:
    """A valid event whose UTF-8 body is exactly `size` bytes, padded in an unknown field."""
    changed = document()
    changed["data"]["padding"] = ""
    room = size - len(json.dumps(changed, ensure_ascii=False).encode())
    width = len(filler.encode())
    changed["data"]["padding"] = filler * (room // width) + "x" * (room % width)
    body = json.dumps(changed, ensure_ascii=False)
    assert len(body.encode()) == size
    return body


@pytest.mark.parametrize("filler", ["x", "\u00e9", "\u20ac", "\U0001f984"])
def test_size_limit_is_in_utf8_bytes(filler: str) -> None:
    at_limit, over_limit = padded(MAX_BODY_BYTES, filler), padded(MAX_BODY_BYTES + 1, filler)
    assert decode(at_limit) == VALID
    assert decode(at_limit.encode()) == VALID
    error = rejects(over_limit, OversizeError)
    rejects(over_limit.encode(), OversizeError)
    assert error.reason == "oversize"
    if filler != "x":  # counting characters would have let it through
        assert len(over_limit) <= MAX_BODY_BYTES


@pytest.mark.parametrize(
    "body",
    [
        "x" * (MAX_BODY_BYTES + 1),
        " " * (300 * 1024),
        "\u00e9" * (MAX_BODY_BYTES // 2 + 1),  # 131 073 characters, 262 146 bytes
        "\U0001f984" * (MAX_BODY_BYTES // 4 + 1),
        "[" * (300 * 1024),
    ],
)
def test_oversize_bodies(body: str) -> None:
    error = rejects(body, OversizeError)
    assert str(MAX_BODY_BYTES) in str(error)
    rejects(body.encode(), OversizeError)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000,
        '{"a":' * 40_000 + "1" + "}" * 40_000,
    ],
)
def test_deep_nesting_is_invalid_json(body: str) -> None:
    rejects(body, InvalidJsonError)
    rejects(body.encode(), InvalidJsonError)


def test_deep_nesting_inside_a_valid_event() -> None:
    shallow, deep = document(), document()
    shallow["data"]["extra"] = json.loads("[" * 200 + "]" * 200)
    assert decode(json.dumps(shallow)) == VALID  # unknown, so ignored
    body = json.dumps(deep)[:-1] + ', "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
    rejects(body, InvalidJsonError)


def test_nested_event_type_is_unknown_with_a_short_message() -> None:
    body = json.dumps(document())[:-1] + ', "event_type": ' + "[" * 800 + "]" * 800 + "}"
    rejects(body, UnknownEventTypeError)


# --- short messages for huge inputs -----------------------------------------------------------


HUGE = 200_000


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (json.dumps(with_field("event_type", "x" * HUGE)), UnknownEventTypeError),
        (json.dumps(with_field("event_type", ["x"] * (HUGE // 6))), UnknownEventTypeError),
        (json.dumps(with_field("event_version", "9" * HUGE)), UnsupportedVersionError),
        (json.dumps(with_field("event_version", [1] * (HUGE // 4))), UnsupportedVersionError),
        (json.dumps(with_field("event_id", "e" * HUGE)), SchemaError),
        (json.dumps(with_field("data.name", "n" * HUGE)), SchemaError),
        (json.dumps(with_field("data.email", "a" * HUGE + "@example.com")), SchemaError),
        (json.dumps(with_field("data.email", "\u202e" * 2000 + "@example.com")), SchemaError),
        (json.dumps(with_field("occurred_at", "2" * HUGE)), SchemaError),
        (json.dumps(with_field("data.address", "a" * HUGE)), SchemaError),
        ('{"a": "' + "x" * HUGE + '", }', InvalidJsonError),
        ("[" + "1," * (HUGE // 2) + "}", InvalidJsonError),
        ("9" * HUGE, InvalidJsonError),
        ('{"event_type": ' + "1" * HUGE + "}", InvalidJsonError),
        ("\ufeff" + "x" * HUGE, InvalidJsonError),
        (b"\x80" * HUGE, NotUtf8Error),
        ("\ud800" * HUGE, NotUtf8Error),
    ],
    ids=lambda value: f"{len(value)}" if isinstance(value, str | bytes) else value.__name__,
)
def test_messages_stay_short_for_huge_inputs(body: str | bytes, kind: type[DecodeError]) -> None:
    rejects(body, kind)  # `outcome` asserts the length bound


def test_email_message_stays_short_with_many_distinct_unsafe_characters() -> None:
    email = "".join(chr(0xF0000 + n) for n in range(2000)) + "@example.com"
    rejects(json.dumps(with_field("data.email", email)), SchemaError)


@pytest.mark.parametrize("path", TIME_FIELDS)
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01"])
def test_out_of_range_utc_conversion_is_a_schema_error(path: str, value: str) -> None:
    rejects(json.dumps(with_field(path, value)), SchemaError)


# --- anything at all --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200))
@example(b"\xff")
@example(b'{"event_type": "consumer.created", "event_version": 1}')
def test_arbitrary_bytes(body: bytes) -> None:
    result = outcome(body)
    if not is_utf8(body):
        assert isinstance(result, NotUtf8Error)
        return
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        assert isinstance(result, InvalidJsonError)
        return
    conforms(result, parsed)


JSONISH = '{}[]":,.-+0123456789eEtrufalsn \\\t\n' + "consumer.createdevent_typeversion"


@settings(max_examples=300, deadline=None)
@given(body=st.text(st.characters(exclude_categories=())) | st.text(JSONISH))
@example("\ud800")
@example('{"event_type": "consumer.created", "event_version": 1, "data": null}')
def test_arbitrary_text(body: str) -> None:
    result = outcome(body)
    if has_surrogate(body):
        assert isinstance(result, NotUtf8Error)
        return
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        assert isinstance(result, InvalidJsonError)
        return
    conforms(result, parsed)


@settings(max_examples=300, deadline=None)
@given(value=json_values, ensure_ascii=st.booleans(), as_bytes=st.booleans())
@example(value=[], ensure_ascii=True, as_bytes=False)
@example(value={"event_type": "consumer.created", "event_version": 2}, ensure_ascii=True,
         as_bytes=True)  # fmt: skip
def test_arbitrary_json(value: Json, ensure_ascii: bool, as_bytes: bool) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    body = text.encode("utf-8", "surrogatepass") if as_bytes else text
    result = outcome(body)
    if has_surrogate(text):  # only unescaped, with ensure_ascii=False
        assert isinstance(result, NotUtf8Error)
    else:
        conforms(result, value)


@settings(max_examples=400, deadline=None)
@given(
    changes=st.dictionaries(st.sampled_from(ALL_FIELDS), near_values, max_size=3),
    removals=st.sets(st.sampled_from(ALL_FIELDS), max_size=2),
)
@example(changes={"event_version": 2}, removals=set())
@example(changes={}, removals={"data"})
def test_a_valid_event_with_fields_changed_or_removed(
    changes: dict[str, Json], removals: set[str]
) -> None:
    broken = document()
    for path in sorted(changes):
        set_field(broken, path, changes[path])
    for path in sorted(removals):
        remove_field(broken, path)
    conforms(outcome(json.dumps(broken)), broken)


@settings(max_examples=400, deadline=None)
@given(
    path=st.sampled_from(TEXT_FIELDS),
    odd=st.lists(st.sampled_from(ODD_UNICODE), min_size=1, max_size=3).map("".join),
    where=st.sampled_from(["before", "after", "inside", "instead"]),
    ensure_ascii=st.booleans(),
    as_bytes=st.booleans(),
)
@example(path="data.name", odd="\ud800", where="inside", ensure_ascii=True, as_bytes=False)
@example(path="data.name", odd="\ud800\udfff", where="before", ensure_ascii=True, as_bytes=False)
@example(path="data.name", odd="\x00", where="instead", ensure_ascii=False, as_bytes=True)
def test_odd_unicode_in_every_field(
    path: str, odd: str, where: str, ensure_ascii: bool, as_bytes: bool
) -> None:
    changed = document()
    old = str(get_field(changed, path))
    middle = len(old) // 2
    new = {
        "before": odd + old,
        "after": old + odd,
        "inside": old[:middle] + odd + old[middle:],
        "instead": odd,
    }[where]
    set_field(changed, path, new)
    text = json.dumps(changed, ensure_ascii=ensure_ascii)
    result = outcome(text.encode("utf-8", "surrogatepass") if as_bytes else text)
    if has_surrogate(text):
        assert isinstance(result, NotUtf8Error)
        return
    conforms(result, changed)
    # A high+low pair escaped by json.dumps decodes to one valid code point: only a
    # surrogate still lone after decoding makes the event invalid.
    decoded = str(get_field(json.loads(text), path))
    if has_surrogate(decoded) and expected_kind(changed) is SchemaError:
        assert isinstance(result, SchemaError)  # escaped: valid JSON, but no UTF-8 form


def test_odd_unicode_is_kept_in_a_valid_event() -> None:
    name = "\u200f\U0001f984 Zo\u0308e \u2028\U0001f469\u200d\U0001f469\u200d\U0001f467"
    event = decode(json.dumps(with_field("data.name", name)))
    assert event.data.name == name
    assert decode(encode(event)) == event


def test_email_addresses_are_normalised_once() -> None:
    event = decode(json.dumps(with_field("data.email", "Ada@EXAMPLE.com")))
    assert event.data.email == "Ada@example.com"
    assert decode(encode(event)) == event


# --- text hygiene: control characters and bidirectional controls ----------------------------

C0_SAMPLES = ("\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x1c", "\x1f")
OTHER_CONTROLS = ("\x7f", "\x85", "\x9b")  # DEL, NEL, CSI (C1: terminals act on it)
BIDI_SAMPLES = tuple(BIDI_CONTROLS)
# Fields that are one line of text (the country is two letters: tested on its own).
LINE_FIELDS = tuple(f for f in STRING_FIELDS if f not in ("data.address.country", "data.email"))


@pytest.mark.parametrize("path", LINE_FIELDS)
@pytest.mark.parametrize("char", C0_SAMPLES + OTHER_CONTROLS + BIDI_SAMPLES)
def test_a_control_or_bidi_character_inside_a_field_is_a_schema_error(path: str, char: str) -> None:
    old = str(get_field(document(), path))
    changed = with_field(path, old[:1] + char + old[1:])
    error = rejects(json.dumps(changed), SchemaError)
    assert error.reason == "schema"  # so the worker never acknowledges it: it goes to the DLQ
    assert f"U+{ord(char):04X}" in str(error)
    assert path.rpartition(".")[2] in str(error)
    kind = "bidirectional control" if char in BIDI_CONTROLS else "control character"
    assert kind in str(error)


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u2066"])
def test_the_country_and_the_email_refuse_them_too(char: str) -> None:
    rejects(json.dumps(with_field("data.address.country", "U" + char)), SchemaError)
    rejects(json.dumps(with_field("data.email", f"ada{char}@example.com")), SchemaError)


def test_the_issue_repro_nul_and_right_to_left_override_are_refused() -> None:
    for name in ("Ada\x00Lovelace", "Ada \u202eecalevoL"):
        rejects(json.dumps(with_field("data.name", name)), SchemaError)


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c"])
def test_direction_marks_that_cannot_reorder_text_are_kept(mark: str) -> None:
    name = f"\u05d3\u05d5\u05d3{mark} Cohen"
    assert decode(json.dumps(with_field("data.name", name))).data.name == name


def test_whitespace_controls_at_the_edges_are_stripped_not_stored() -> None:
    event = decode(json.dumps(with_field("data.address.city", "\tSpringfield\n")))
    assert event.data.address.city == "Springfield"


@settings(max_examples=300, deadline=None)
@given(
    path=st.sampled_from(LINE_FIELDS),
    text=st.text(clean_chars, max_size=10),
    hidden=st.sampled_from(C0_SAMPLES + OTHER_CONTROLS + BIDI_SAMPLES),
    at=st.integers(min_value=0, max_value=10),
)
def test_a_hidden_character_between_visible_ones_never_gets_through(
    path: str, text: str, hidden: str, at: int
) -> None:
    value = "x" + text[:at] + hidden + text[at:] + "x"  # never at an edge, so never stripped
    result = outcome(json.dumps(with_field(path, value)))
    assert isinstance(result, SchemaError), f"accepted {value!r}"


@pytest.mark.parametrize(
    "instant", ["1", "1732795200", "2026-11-28T12:00Z", "2026-11-28 12:00:00Z"]
)
def test_a_time_that_is_not_rfc_3339_text_is_refused(instant: str) -> None:
    """pydantic alone reads "1" as epoch seconds and accepts a time without seconds."""
    rejects(json.dumps(with_field("occurred_at", instant)), SchemaError)


@pytest.mark.parametrize("path", ["data.email", "data.name", "data.address.country"])
def test_a_control_that_python_counts_as_whitespace_is_refused_at_an_edge(path: str) -> None:
    """U+001C-U+001F are stripped by `str.strip`, but they are controls, not spaces."""
    value = str(get_field(document(), path))
    rejects(json.dumps(with_field(path, "\x1c" + value)), SchemaError)
