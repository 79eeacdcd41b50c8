"""moto's XML answers written in one walk: xmltodict's text, byte for byte, or xmltodict's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core import serialize as moto_serialize

from messaging.localcloud import xml_body
from messaging.localcloud.xml_body import XMLTODICT as xmltodict  # noqa: N811 - as moto names it

serialize_module: Any = moto_serialize  # it does not export the name it imports
OPTIONS: dict[str, Any] = {"full_document": False, "short_empty_elements": True, "pretty": False}

_NAMES = st.sampled_from(["", "a", "Member", "x-y", "ns:tag", "_n", "Id", "é", "a.b"])
# Text that needs escaping in content and in attributes, and values xmltodict converts.
_TEXT = st.text(alphabet=st.sampled_from("ab <>&\"'\n\t\r\x85é"), max_size=6)
_SCALARS = st.one_of(
    _TEXT, st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=32)
)


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    element = st.dictionaries(
        st.one_of(_NAMES, _NAMES.map(lambda n: "@" + n), st.just("#text")), children, max_size=4
    )
    return st.one_of(element, st.lists(st.one_of(element, _SCALARS), max_size=3))


_TREES = st.recursive(_SCALARS, _values, max_leaves=12)
_DOCUMENTS = st.dictionaries(_NAMES, _TREES, min_size=1, max_size=2)


@settings(max_examples=400, deadline=None)
@given(_DOCUMENTS)
def test_the_same_text_as_xmltodict(document: dict[str, Any]) -> None:
    assert xml_body.unparse(document, **OPTIONS) == xmltodict.unparse(document, **OPTIONS)


def test_an_answer_as_moto_builds_it() -> None:
    answer = {
        "PublishBatchResponse": {
            "@xmlns": "http://sns.amazonaws.com/doc/2010-03-31/",
            "PublishBatchResult": {
                "Successful": {"member": [{"Id": "0", "MessageId": "m-0"}, {"Id": "1"}]},
                "Failed": {"member": []},
            },
            "ResponseMetadata": {"RequestId": "r<&>\"'"},
        }
    }
    text = xml_body.unparse(answer, **OPTIONS)
    assert text == xmltodict.unparse(answer, **OPTIONS)
    assert text.startswith(
        '<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
    )
    assert "<Failed/>" in text
    assert "<RequestId>r&lt;&amp;&gt;\"'</RequestId>" in text


@pytest.mark.parametrize(
    "document",
    [
        {"a": {"#comment": "a note", "b": "1"}},  # comments
        {"a": {"@xmlns": {"x": "urn:x"}, "x:b": "1"}},  # a namespace map
        {"a": b"bytes"},
        {"a": {"b": {1, 2}}},  # a set is iterated by xmltodict only
        {"a": {"b": ("1", "2")}, "c": None},
    ],
)
def test_what_it_does_not_write_is_xmltodicts(document: dict[str, Any]) -> None:
    assert xml_body.unparse(document, **OPTIONS) == xmltodict.unparse(document, **OPTIONS)


@pytest.mark.parametrize("name", ["?pi", "a b", "a/b", "a=b", 'a"', "<a>", 7])
def test_an_invalid_name_fails_as_xmltodict_fails(name: Any) -> None:
    with pytest.raises(ValueError, match="name") as expected:
        xmltodict.unparse({"a": {name: "1"}}, **OPTIONS)
    with pytest.raises(ValueError, match="name") as ours:
        xml_body.unparse({"a": {name: "1"}}, **OPTIONS)
    assert str(ours.value) == str(expected.value)


@pytest.mark.parametrize(
    "options",
    [
        {"full_document": True, "short_empty_elements": True, "pretty": False},
        {"full_document": False, "short_empty_elements": False, "pretty": False},
        {"full_document": False, "short_empty_elements": True, "pretty": True},
    ],
)
def test_other_options_are_xmltodicts(options: dict[str, Any]) -> None:
    document = {"a": {"b": [None, "x", {"@k": "v"}]}}
    assert xml_body.unparse(document, **options) == xmltodict.unparse(document, **options)


def test_installed_where_moto_serialises() -> None:
    before = serialize_module.xmltodict  # the local cloud may be installed in this process
    try:
        xml_body.install()
        assert serialize_module.xmltodict.unparse is xml_body.unparse
        assert serialize_module.xmltodict.parse is xmltodict.parse
        xml_body.install()  # idempotent
        assert serialize_module.xmltodict.unparse is xml_body.unparse
        xml_body.uninstall()
        assert serialize_module.xmltodict is xmltodict
    finally:
        serialize_module.xmltodict = before


def test_names_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xml_body, "_valid_names", set())
    monkeypatch.setattr(xml_body, "_MAX_NAMES", 3)
    for n in range(10):
        document = {f"name{n}": {"x": "1"}}
        assert xml_body.unparse(document, **OPTIONS) == xmltodict.unparse(document, **OPTIONS)
    assert len(xml_body._valid_names) == 3
