"""The lake listing and record parser: both Firehose layouts, partitions, summaries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging import lake
from messaging.core.events import encode
from messaging.lake import LakeError, LakeObject, parse_records
from tests.support import make_event
from tests.support.fake_s3 import FakeS3

KEY = "landing_date=2026-11-28/created-consumer-lake-1-2026-11-28-12-00-00-abc"
AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def records(data: bytes, **kwargs: Any) -> list[dict[str, Any]]:
    return list(parse_records(data, key=KEY, **kwargs))


def event_line(n: int, *, country: str = "US") -> bytes:
    return encode(make_event(n, country=country)).encode()


# -- parse_records -------------------------------------------------------------------------


def test_ndjson_as_sns_raw_delivery_writes_it_with_a_trailing_newline() -> None:
    data = b"".join(event_line(n) + b"\n" for n in range(3))
    parsed = records(data)
    assert [r["event_id"] for r in parsed] == [str(make_event(n).event_id) for n in range(3)]
    assert parsed[0]["data"]["address"]["country"] == "US"


def test_concatenated_objects_with_no_separator() -> None:
    assert records(b'{"a":1}{"a":2}{"a":{"b":[1,2]}}') == [{"a": 1}, {"a": 2}, {"a": {"b": [1, 2]}}]


def test_mixed_layouts_blank_lines_crlf_and_surrounding_whitespace() -> None:
    data = b'\n\n  {"a":1}{"a":2}\r\n\r\n{"a":3}\n\t{"a":4}  \n\n'
    assert records(data) == [{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}]


@pytest.mark.parametrize("data", [b"", b"\n", b" \r\n\t\n"])
def test_an_object_of_whitespace_holds_no_records(data: bytes) -> None:
    assert records(data) == []


def test_unicode_raw_and_escaped() -> None:
    raw = json.dumps({"city": "São Paulo", "name": "東京 🌸"}, ensure_ascii=False).encode()
    escaped = json.dumps({"city": "São Paulo"}).encode()  # \u00e3
    assert records(raw + escaped) == [
        {"city": "São Paulo", "name": "東京 🌸"},
        {"city": "São Paulo"},
    ]


def test_a_corrupt_record_names_the_object_and_the_byte_offset() -> None:
    good = '{"name":"東京"}\n'.encode()  # multi-byte: the offset counts bytes, not characters
    with pytest.raises(LakeError) as raised:
        records(good + b'{"name": oops}\n{"a":1}\n')
    assert raised.value.key == KEY
    assert raised.value.offset == len(good)
    assert str(raised.value).startswith(f"{KEY} at byte {len(good)}: corrupt JSON record")


@pytest.mark.parametrize(
    ("data", "offset", "reason"),
    [
        (b'{"a":1}\n{"a":', 8, "corrupt JSON record"),  # truncated last record
        (b'{"a":1}\n[1, 2]\n', 8, "JSON list where an object was expected"),
        (b'{"a":1} 42', 8, "JSON int where an object was expected"),
        (b'{"a":1}\n\xff\xfe{"a":2}\n', 8, "not UTF-8"),
    ],
)
def test_what_counts_as_corrupt(data: bytes, offset: int, reason: str) -> None:
    with pytest.raises(LakeError, match=reason) as raised:
        records(data)
    assert raised.value.offset == offset


def test_skip_mode_counts_each_corrupt_record_once_and_reads_every_valid_one() -> None:
    skipped: list[LakeError] = []
    data = b'{"a":1}\n{"a": oops}{"kept":1}\n[1]{"a":2}\n{"a":\xff}{"b":1}\n{"a":3}'
    # A valid record after a corrupt one on the same line is read, not lost uncounted.
    assert records(data, skipped=skipped) == [{"a": 1}, {"kept": 1}, {"a": 2}, {"b": 1}, {"a": 3}]
    assert [(e.offset, str(e).split(": ", 1)[1][:12]) for e in skipped] == [
        (8, "corrupt JSON"),
        (30, "JSON list wh"),
        (41, "not UTF-8"),  # the record holding the bad byte, and only it
    ]


@pytest.mark.parametrize(
    ("data", "kept", "corrupt"),
    [
        (b'{"a":1,}{"b":2}\n{"c":3}\n', [{"b": 2}, {"c": 3}], 1),  # concatenated, no newline
        (b'{"a":1} zz {"b":2}\n', [{"a": 1}, {"b": 2}], 1),
        (b'{"a":{"x":1}\n{"c":3}\n', [{"c": 3}], 1),  # a nested object is not a record
        (b'{"a":1,\n{"c":3}\n', [{"c": 3}], 1),  # truncated: the next line starts afresh
    ],
)
def test_records_after_a_corrupt_one_are_read_and_counted_truly(
    data: bytes, kept: list[dict[str, int]], corrupt: int
) -> None:
    skipped: list[LakeError] = []
    assert records(data, skipped=skipped) == kept
    assert len(skipped) == corrupt


def test_strict_mode_is_the_default_and_stops_at_the_first_problem() -> None:
    stream = parse_records(b'{"a":1}\nnot json\n{"a":2}\n', key="k")
    assert next(stream) == {"a": 1}
    with pytest.raises(LakeError, match=r"^k at byte 8: "):
        next(stream)


def test_deeply_nested_json_is_corrupt_not_a_crash() -> None:
    with pytest.raises(LakeError, match="corrupt JSON record"):
        records(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=5), max_size=8)


@settings(max_examples=100)
@given(
    objects=json_objects,
    layout=st.sampled_from(["ndjson", "ndjson-trailing", "concatenated", "spaced"]),
    ensure_ascii=st.booleans(),
)
def test_any_list_of_objects_parses_back_in_either_layout(
    objects: list[dict[str, Any]], layout: str, ensure_ascii: bool
) -> None:
    texts = [json.dumps(o, ensure_ascii=ensure_ascii) for o in objects]
    separator = {"ndjson": "\n", "ndjson-trailing": "\n", "concatenated": "", "spaced": " \n\n "}
    data = separator[layout].join(texts) + ("\n" if layout == "ndjson-trailing" else "")
    assert list(parse_records(data.encode())) == objects


# -- listing and summary -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "partition"),
    [
        (KEY, "2026-11-28"),
        ("landing_date=2026-11-28/x.gz", "2026-11-28"),
        ("landing_date=/x", None),
        ("landing_date", None),
        ("other=2026-11-28/x", None),
        ("errors/processing-failed/landing_date=2026-11-28/x", None),
        ("x/landing_date=2026-11-28", None),
        ("", None),
    ],
)
def test_partition_of(key: str, partition: str | None) -> None:
    assert lake.partition_of(key) == partition


def test_summary_counts_objects_and_bytes_per_partition_and_apart_from_it() -> None:
    objects = [
        LakeObject("landing_date=2026-11-28/a", 100, AT),
        LakeObject("landing_date=2026-11-27/b", 10, AT),
        LakeObject("landing_date=2026-11-28/c.gz", 50, AT),
        LakeObject("errors/processing-failed/landing_date=2026-11-28/d", 7, AT),
    ]
    summary = lake.summarize(objects)
    assert (summary.objects, summary.bytes) == (4, 167)
    assert summary.partitions == ["2026-11-27", "2026-11-28"]
    assert summary.objects_per_partition == {"2026-11-27": 1, "2026-11-28": 2}
    assert summary.bytes_per_partition == {"2026-11-27": 10, "2026-11-28": 150}
    assert (summary.unpartitioned_objects, summary.unpartitioned_bytes) == (1, 7)
    assert lake.summarize([]) == lake.LakeSummary(objects=0, bytes=0)


# -- list_since ----------------------------------------------------------------------------


MIDNIGHT_SINCE = datetime(2026, 11, 29, 23, 59, 30, 600_000, tzinfo=UTC)
MIDNIGHT_NOW = datetime(2026, 11, 30, 0, 1, tzinfo=UTC)


def around_midnight() -> FakeS3:
    """A lake with objects before, at and after `MIDNIGHT_SINCE`, on both sides of midnight."""
    return FakeS3(
        {
            "landing_date=2026-11-20/old": (datetime(2026, 11, 20, tzinfo=UTC), b""),
            "landing_date=2026-11-29/before": (datetime(2026, 11, 29, 23, 59, 29, tzinfo=UTC), b""),
            # S3 gives seconds: written at 23:59:30.9, listed as 23:59:30 (since's second)
            "landing_date=2026-11-29/same-second": (
                datetime(2026, 11, 29, 23, 59, 30, tzinfo=UTC),
                b"",
            ),
            "landing_date=2026-11-30/after": (datetime(2026, 11, 30, 0, 0, 5, tzinfo=UTC), b""),
        }
    )


def test_list_since_lists_the_partitions_from_since_s_date_only_and_what_was_written_since() -> (
    None
):
    s3 = around_midnight()
    found = lake.list_since(s3, "lake", MIDNIGHT_SINCE, now=MIDNIGHT_NOW)  # type: ignore[arg-type]
    assert [o.key for o in found] == [
        "landing_date=2026-11-29/same-second",
        "landing_date=2026-11-30/after",
    ]
    assert s3.listed == ["landing_date=2026-11-29/", "landing_date=2026-11-30/"]


# -- ObjectsSince ----------------------------------------------------------------------------

DAY = "landing_date=2026-11-30/"
SINCE = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)


def _at(second: int) -> datetime:
    return datetime(2026, 11, 30, 12, 0, second, tzinfo=UTC)


def test_objects_since_lists_only_after_the_greatest_key_it_has_listed() -> None:
    s3: Any = FakeS3(
        {
            f"{DAY}lake-1-2026-11-30-11-59-00-a": (datetime(2026, 11, 30, 11, 59, tzinfo=UTC), b""),
            f"{DAY}lake-1-2026-11-30-12-00-01-a": (_at(1), b"x"),
        }
    )
    view = lake.ObjectsSince(SINCE)
    first = view.list(s3, "lake", now=NOW)
    s3.objects[f"{DAY}lake-1-2026-11-30-12-00-02-a"] = (_at(2), b"yy")
    second = view.list(s3, "lake", now=NOW)

    assert [o.key for o in first] == [f"{DAY}lake-1-2026-11-30-12-00-01-a"]
    assert [o.key for o in second] == [
        f"{DAY}lake-1-2026-11-30-12-00-01-a",
        f"{DAY}lake-1-2026-11-30-12-00-02-a",
    ]
    assert s3.started_after == [None, f"{DAY}lake-1-2026-11-30-12-00-01-a"]


def test_what_sorts_before_or_was_deleted_is_settled_by_the_next_whole_listing() -> None:
    s3: Any = FakeS3({f"{DAY}lake-1-2026-11-30-12-00-05-m": (_at(5), b"")})
    view = lake.ObjectsSince(SINCE)
    assert len(view.list(s3, "lake", now=NOW)) == 1
    # Written in the same second with a smaller id, and another stream's: both sort before.
    s3.objects[f"{DAY}lake-1-2026-11-30-12-00-05-a"] = (_at(5), b"")
    s3.objects[f"{DAY}archive-1-2026-11-30-12-00-06-z"] = (_at(6), b"")
    routine = [len(view.list(s3, "lake", now=NOW)) for _ in range(lake.FULL_LISTING_EVERY - 1)]
    del s3.objects[f"{DAY}lake-1-2026-11-30-12-00-05-m"]
    whole = view.list(s3, "lake", now=NOW)

    assert routine == [1] * (lake.FULL_LISTING_EVERY - 1)
    assert [o.key for o in whole] == [
        f"{DAY}archive-1-2026-11-30-12-00-06-z",
        f"{DAY}lake-1-2026-11-30-12-00-05-a",
    ]
    assert s3.started_after[-1] is None


def test_objects_since_finds_what_list_since_finds_across_midnight() -> None:
    s3: Any = around_midnight()
    view = lake.ObjectsSince(MIDNIGHT_SINCE)
    expected = lake.list_since(s3, "lake", MIDNIGHT_SINCE, now=MIDNIGHT_NOW)
    assert [o.key for o in expected] == [
        "landing_date=2026-11-29/same-second",
        "landing_date=2026-11-30/after",
    ]
    for _ in range(3):
        assert view.list(s3, "lake", now=MIDNIGHT_NOW) == expected
