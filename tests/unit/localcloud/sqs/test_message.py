"""StoredMessage: moto's digests, worked out once per value (message.py)."""

from __future__ import annotations

import copy
import pickle
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.sqs import models as moto_sqs
from moto.sqs.exceptions import MessageAttributesInvalid
from moto.sqs.models import Message, _filter_message_attributes

from messaging.localcloud.sqs import message as message_module
from messaging.localcloud.sqs.message import StoredMessage

NAMES = st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True)
ATTRIBUTE = st.one_of(
    st.builds(
        lambda kind, text: {"DataType": kind, "StringValue": text},
        st.sampled_from(["String", "Number", "String.custom"]),
        st.text(min_size=1, max_size=30),
    ),
    st.builds(
        lambda data: {"DataType": "Binary", "BinaryValue": data}, st.binary(min_size=1, max_size=30)
    ),
)
ATTRIBUTES = st.dictionaries(NAMES, ATTRIBUTE, max_size=5)


def both(body: str, attributes: dict[str, Any]) -> tuple[StoredMessage, Message]:
    ours, theirs = StoredMessage("id", body), Message("id", body)
    ours.message_attributes = attributes
    theirs.message_attributes = attributes
    return ours, theirs


def received_copy(message: StoredMessage, names: list[str]) -> StoredMessage:
    """What the store hands a receive: a shallow copy, its attributes filtered."""
    view = object.__new__(StoredMessage)
    view.__dict__.update(message.__dict__)
    _filter_message_attributes(view, names)
    return view


@given(st.text(max_size=200), ATTRIBUTES, st.data())
def test_digests_are_motos_for_the_message_and_every_filtered_copy(
    body: str, attributes: dict[str, Any], data: st.DataObject
) -> None:
    ours, theirs = both(body, attributes)
    for _ in range(2):  # computed, then cached
        assert ours.body_md5 == theirs.body_md5
        assert ours.attribute_md5 == theirs.attribute_md5
    names = data.draw(st.lists(st.sampled_from([*attributes, "All", "absent"]), max_size=4))
    view = received_copy(ours, names)
    expected = Message("id", body)
    expected.message_attributes = dict(view.message_attributes)
    assert view.body_md5 == expected.body_md5
    assert view.attribute_md5 == expected.attribute_md5
    assert ours.attribute_md5 == theirs.attribute_md5  # the copy did not spoil the original


def test_digests_are_computed_once_per_body_and_per_attribute_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[int] = []
    real = moto_sqs.md5_hash  # type: ignore[attr-defined]  # moto imports it from its utils

    def counting(*args: Any, **kwargs: Any) -> Any:
        computed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(moto_sqs, "md5_hash", counting)
    attributes = {"kind": {"DataType": "String", "StringValue": str(uuid.uuid4())}}
    message, _ = both("body", attributes)
    first = (message.body_md5, message.attribute_md5)
    assert len(computed) == 2
    copies = [received_copy(message, ["All"]) for _ in range(3)]
    assert all((c.body_md5, c.attribute_md5) == first for c in copies)
    another, _ = both("another body", {"kind": dict(attributes["kind"])})  # an equal set
    assert another.attribute_md5 == first[1]
    assert len(computed) == 2  # neither the copies nor the equal set hashed again


def test_the_attribute_digests_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(message_module, "MAX_ATTRIBUTE_SETS", 8)
    for number in range(30):
        value = {"n": {"DataType": "Number", "StringValue": str(number)}}
        ours, theirs = both("body", value)
        assert ours.attribute_md5 == theirs.attribute_md5
        assert len(message_module._attribute_digests) <= 8


def test_a_value_changed_after_hashing_is_hashed_again() -> None:
    attributes = {"kind": {"DataType": "String", "StringValue": "created"}}
    message, _ = both("body", attributes)
    before = message.attribute_md5, message.body_md5
    attributes["kind"]["StringValue"] = "deleted"  # in place, in the very dict hashed
    message.body = "another body"
    _, expected = both("another body", attributes)
    assert (message.attribute_md5, message.body_md5) == (expected.attribute_md5, expected.body_md5)
    assert (message.attribute_md5, message.body_md5) != before


def test_an_invalid_attribute_name_is_refused_as_moto_refuses_it() -> None:
    message, _ = both("body", {"bad name!": {"DataType": "String", "StringValue": "x"}})
    with pytest.raises(MessageAttributesInvalid):
        message.attribute_md5  # noqa: B018 - the property's check is what is tested


def test_a_message_pickles_and_copies_with_its_digests() -> None:
    message, theirs = both("body", {"kind": {"DataType": "Number", "StringValue": "1"}})
    message.attribute_md5  # noqa: B018 - fill the cache before pickling
    pickled = pickle.loads(pickle.dumps(message))  # noqa: S301 - our own bytes
    for restored in (pickled, copy.deepcopy(message)):
        assert isinstance(restored, StoredMessage)
        assert restored.attribute_md5 == theirs.attribute_md5
        assert restored.body_md5 == theirs.body_md5
