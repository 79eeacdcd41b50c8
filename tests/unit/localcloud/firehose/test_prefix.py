"""Firehose prefix evaluation, object keys and CreateDeliveryStream prefix validation."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.localcloud.firehose.prefix import (
    MAX_PREFIX_LENGTH,
    RANDOM_STRING_LENGTH,
    PrefixError,
    evaluate_prefix,
    format_java_datetime,
    generate_random_string,
    object_key,
    validate_prefixes,
)

# Saturday 28 November 2026, 07:05:09.123456 UTC: day 332 of the year, fourth quarter.
INSTANT = datetime(2026, 11, 28, 7, 5, 9, 123456, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 28, 0, 0, 0, tzinfo=UTC)


def counter_strings() -> Callable[[], str]:
    """A deterministic stand-in for the random-string generator: r0000000001, r0000000002..."""
    numbers = itertools.count(1)
    return lambda: f"r{next(numbers):010d}"


# -- default prefix and literal concatenation -------------------------------------------


@pytest.mark.parametrize("prefix", [None, ""])
def test_no_prefix_evaluates_to_the_utc_hour(prefix: str | None) -> None:
    assert evaluate_prefix(prefix, MIDNIGHT) == "2026/11/28/00/"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("myApp", "myApp2026/11/28/00/"),
        ("myApp/", "myApp/2026/11/28/00/"),
        ("a/b/c/", "a/b/c/2026/11/28/00/"),
        # `!`, `{` and `}` outside an `!{` sequence are ordinary characters.
        ("a!b{c}d/", "a!b{c}d/2026/11/28/00/"),
    ],
)
def test_prefix_without_timestamp_gets_the_hour_appended_without_a_slash(
    prefix: str, expected: str
) -> None:
    assert evaluate_prefix(prefix, MIDNIGHT) == expected


def test_random_string_alone_does_not_stop_the_default_time_being_appended() -> None:
    evaluated = evaluate_prefix(
        "rand=!{firehose:random-string}", MIDNIGHT, random_string=counter_strings()
    )
    assert evaluated == "rand=r00000000012026/11/28/00/"


def test_error_output_type_alone_does_not_stop_the_default_time_being_appended() -> None:
    evaluated = evaluate_prefix(
        "errors/!{firehose:error-output-type}/", MIDNIGHT, error_output_type="processing-failed"
    )
    assert evaluated == "errors/processing-failed/2026/11/28/00/"


# -- timestamp namespace ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("landing_date=!{timestamp:yyyy-MM-dd}/", "landing_date=2026-11-28/"),
        ("dt=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/", "dt=2026-11-28/h=07/"),
        (
            "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
            "myPrefix/year=2026/month=11/day=28/",
        ),
        (
            "e/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/",
            "e/year=2026/month=11/day=28/hour=07/",
        ),
        ("!{timestamp:yyyy}", "2026"),  # a timestamp expression replaces the default entirely
    ],
)
def test_timestamp_expressions(prefix: str, expected: str) -> None:
    assert evaluate_prefix(prefix, INSTANT) == expected


def test_every_timestamp_expression_shows_the_same_instant() -> None:
    prefix = "!{timestamp:HH}/!{timestamp:mm}/!{timestamp:ss}/!{timestamp:SSS}/!{timestamp:HH}"
    assert evaluate_prefix(prefix, INSTANT) == "07/05/09/123/07"


def test_arrival_in_another_zone_is_converted_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    arrival = datetime(2026, 11, 28, 8, 30, tzinfo=tokyo)  # 2026-11-27T23:30Z
    assert evaluate_prefix(None, arrival) == "2026/11/27/23/"
    assert evaluate_prefix("d=!{timestamp:yyyy-MM-dd HH:mm}/", arrival) == "d=2026-11-27 23:30/"


@pytest.mark.parametrize(
    "call",
    [
        lambda arrival: evaluate_prefix("p/", arrival),
        lambda arrival: object_key("p/", "s", 1, arrival, object_id="u"),
        lambda arrival: format_java_datetime("yyyy", arrival),
    ],
    ids=["evaluate_prefix", "object_key", "format_java_datetime"],
)
def test_naive_datetimes_are_a_programming_error(call: Callable[[datetime], str]) -> None:
    with pytest.raises(ValueError, match="timezone-aware") as raised:
        call(datetime(2026, 11, 28, 7, 5, 9))
    assert not isinstance(raised.value, PrefixError)


# -- firehose namespace -----------------------------------------------------------------


def test_random_string_is_fresh_for_each_instance() -> None:
    evaluated = evaluate_prefix(
        "!{firehose:random-string}/x/!{firehose:random-string}/!{timestamp:yyyy}/",
        INSTANT,
        random_string=counter_strings(),
    )
    assert evaluated == "r0000000001/x/r0000000002/2026/"


def test_random_string_is_drawn_again_at_every_evaluation() -> None:
    generator = counter_strings()
    prefix = "!{firehose:random-string}/"
    first = evaluate_prefix(prefix, INSTANT, random_string=generator)
    second = evaluate_prefix(prefix, INSTANT, random_string=generator)
    assert (first, second) == ("r0000000001/2026/11/28/07/", "r0000000002/2026/11/28/07/")


def test_default_random_string_is_eleven_alphanumeric_characters() -> None:
    for _ in range(50):
        value = generate_random_string()
        assert len(value) == RANDOM_STRING_LENGTH == 11
        assert re.fullmatch(r"[0-9a-z]{11}", value)


def test_error_output_type_is_the_same_string_in_every_instance() -> None:
    prefix = "f/!{firehose:error-output-type}/!{timestamp:yyyy}/!{firehose:error-output-type}"
    evaluated = evaluate_prefix(prefix, INSTANT, error_output_type="format-conversion-failed")
    assert evaluated == "f/format-conversion-failed/2026/format-conversion-failed"


def test_aws_documented_example_with_both_firehose_values() -> None:
    prefix = "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}"
    error_prefix = (
        "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/"
        "!{timestamp:dd}"
    )
    validate_prefixes(prefix, error_prefix)
    assert (
        evaluate_prefix(prefix, INSTANT, random_string=lambda: "5abf82daaa5")
        == "myFirehose/DeliveredYear=2026/anyMonth/rand=5abf82daaa5"
    )
    assert (
        evaluate_prefix(error_prefix, INSTANT, error_output_type="processing-failed")
        == "myFirehoseFailures/processing-failed/2026/anyMonth/28"
    )


def test_evaluating_error_output_type_without_a_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="error_output_type is required") as raised:
        evaluate_prefix("e/!{firehose:error-output-type}/", INSTANT)
    assert not isinstance(raised.value, PrefixError)


# -- object keys ------------------------------------------------------------------------


def test_object_key_with_default_prefix() -> None:
    key = object_key(None, "orders", 1, INSTANT, object_id="0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff")
    assert key == "2026/11/28/07/orders-1-2026-11-28-07-05-09-0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff"


def test_object_key_with_gzip_extension_and_string_version() -> None:
    key = object_key(
        "landing_date=!{timestamp:yyyy-MM-dd}/", "s", "3", INSTANT, object_id="u", extension=".gz"
    )
    assert key == "landing_date=2026-11-28/s-3-2026-11-28-07-05-09-u.gz"


def test_object_key_suffix_uses_the_same_utc_instant_as_the_prefix() -> None:
    arrival = datetime(2027, 1, 1, 0, 59, 59, tzinfo=timezone(timedelta(hours=1)))
    key = object_key("!{timestamp:yyyy/HH}/", "s", 1, arrival, object_id="u")
    assert key == "2026/23/s-1-2026-12-31-23-59-59-u"


def test_object_key_passes_the_random_string_generator_and_error_type_on() -> None:
    key = object_key(
        "e/!{firehose:error-output-type}/!{firehose:random-string}/",
        "s",
        2,
        MIDNIGHT,
        object_id="u",
        random_string=counter_strings(),
        error_output_type="processing-failed",
    )
    assert key == "e/processing-failed/r0000000001/2026/11/28/00/s-2-2026-11-28-00-00-00-u"


# -- validation -------------------------------------------------------------------------

CONSTRAINT = "Ths supplied prefix(es) do not satisfy the following constraint: "


@pytest.mark.parametrize(
    ("prefix", "error_output_prefix"),
    [
        (None, None),
        ("", ""),
        ("myApp", None),  # no expressions: ErrorOutputPrefix may be absent
        (None, "errors/"),
        (None, "errors/!{firehose:error-output-type}/"),
        ("!{timestamp:yyyy}/", "errors/"),  # a literal ErrorOutputPrefix is enough
        ("!{firehose:random-string}/", "e/!{firehose:error-output-type}/"),
        (
            "dt=!{timestamp:yyyy'-'MM'-'dd}/",
            "e/!{firehose:random-string}/!{firehose:error-output-type}",
        ),
        ("p" * MAX_PREFIX_LENGTH, "e" * MAX_PREFIX_LENGTH),
    ],
)
def test_valid_prefixes(prefix: str | None, error_output_prefix: str | None) -> None:
    validate_prefixes(prefix, error_output_prefix)


@pytest.mark.parametrize("error_output_prefix", [None, ""])
def test_prefix_with_expressions_needs_an_error_output_prefix(
    error_output_prefix: str | None,
) -> None:
    expected = (
        CONSTRAINT + "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"
    )
    with pytest.raises(PrefixError) as raised:
        validate_prefixes("!{timestamp:yyyy}/", error_output_prefix)
    assert str(raised.value) == expected
    with pytest.raises(PrefixError, match=re.escape(expected)):
        validate_prefixes("!{firehose:random-string}/", error_output_prefix)


def test_unterminated_expression_reports_where_it_starts() -> None:
    with pytest.raises(PrefixError) as raised:
        validate_prefixes("ok/!{timestamp:yyyy}/!{timestamp:MM", "e/")
    assert str(raised.value) == (
        "Invalid Prefix: Unterminated expression at position 21: the sequence !{ can only "
        "appear in !{namespace:value} expressions"
    )


def test_invalid_pattern_names_the_expression() -> None:
    with pytest.raises(PrefixError) as raised:
        validate_prefixes("!{timestamp:'x}", "e/")
    assert str(raised.value) == (
        "Invalid Prefix: Invalid timestamp pattern in !{timestamp:'x}: "
        "Pattern ends with an incomplete string literal: 'x"
    )


def test_prefix_cannot_contain_error_output_type() -> None:
    with pytest.raises(PrefixError) as raised:
        validate_prefixes("p/!{firehose:error-output-type}/", "e/!{firehose:error-output-type}/")
    assert str(raised.value) == CONSTRAINT + "Prefix cannot contain !{firehose:error-output-type}"


@pytest.mark.parametrize(
    "error_output_prefix", ["e/!{timestamp:yyyy}/", "e/!{firehose:random-string}/"]
)
def test_error_output_prefix_with_expressions_needs_error_output_type(
    error_output_prefix: str,
) -> None:
    with pytest.raises(PrefixError) as raised:
        validate_prefixes(None, error_output_prefix)
    assert str(raised.value) == CONSTRAINT + (
        "ErrorOutputPrefix must contain at least one !{firehose:error-output-type} "
        "when it contains expressions"
    )


@pytest.mark.parametrize(
    ("prefix", "error_output_prefix", "field"),
    [
        ("p" * (MAX_PREFIX_LENGTH + 1), None, "prefix"),
        (None, "e" * (MAX_PREFIX_LENGTH + 1), "errorOutputPrefix"),
    ],
)
def test_prefixes_longer_than_1024_characters_are_refused(
    prefix: str | None, error_output_prefix: str | None, field: str
) -> None:
    with pytest.raises(PrefixError) as raised:
        validate_prefixes(prefix, error_output_prefix)
    assert str(raised.value) == (
        f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
        "Member must have length less than or equal to 1024"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("!{foo:bar}", "Unknown namespace in !{foo:bar}: use timestamp or firehose"),
        ("!{Timestamp:yyyy}", "Unknown namespace in !{Timestamp:yyyy}"),
        ("!{firehose:nope}", "Unknown value in !{firehose:nope}"),
        ("!{firehose:random-string }", "Unknown value in !{firehose:random-string }"),
        ("!{timestamp}", "!{timestamp} is not of the form !{namespace:value}"),
        ("!{}", "!{} is not of the form !{namespace:value}"),
        ("!{timestamp:yyyy", "Unterminated expression at position"),
        ("!{timestamp:}", "!{timestamp:} needs a DateTimeFormatter pattern"),
        ("!{timestamp:ddd}", "Invalid timestamp pattern in !{timestamp:ddd}: Too many pattern"),
        ("!{timestamp:ww}", "Pattern letter w (locale-dependent week field) is not supported"),
        ("!{timestamp:'x}", "Pattern ends with an incomplete string literal: 'x"),
        (
            "!{partitionKeyFromQuery:customer_id}",
            "!{partitionKeyFromQuery:customer_id} needs dynamic partitioning, "
            "which the local cloud does not support",
        ),
        (
            "!{partitionKeyFromLambda:customer_id}",
            "!{partitionKeyFromLambda:customer_id} needs dynamic partitioning",
        ),
    ],
)
def test_malformed_expressions_are_refused_in_either_prefix(expression: str, message: str) -> None:
    with pytest.raises(PrefixError, match=re.escape(message)) as raised:
        validate_prefixes(f"p/{expression}", "e/!{firehose:error-output-type}/")
    assert str(raised.value).startswith("Invalid Prefix: ")
    error_prefix = f"e/!{{firehose:error-output-type}}/{expression}"
    with pytest.raises(PrefixError, match=re.escape(message)) as raised:
        validate_prefixes(None, error_prefix)
    assert str(raised.value).startswith("Invalid ErrorOutputPrefix: ")
    with pytest.raises(PrefixError, match=re.escape(message)):
        evaluate_prefix(error_prefix, INSTANT, error_output_type="processing-failed")


# -- Java DateTimeFormatter -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # year and year-of-era: `yy` is reduced, others pad to the letter count
        ("y", "2026"),
        ("yy", "26"),
        ("yyy", "2026"),
        ("yyyy", "2026"),
        ("yyyyy", "02026"),
        ("u", "2026"),
        ("uu", "26"),
        ("uuuu", "2026"),
        ("uuuuuu", "002026"),
        # month, format and standalone forms
        ("M", "11"),
        ("MM", "11"),
        ("MMM", "Nov"),
        ("MMMM", "November"),
        ("MMMMM", "N"),
        ("L", "11"),
        ("LL", "11"),
        ("LLL", "Nov"),
        ("LLLL", "November"),
        ("LLLLL", "N"),
        # day of month, day of year
        ("d", "28"),
        ("dd", "28"),
        ("D", "332"),
        ("DD", "332"),
        ("DDD", "332"),
        # time of day
        ("H", "7"),
        ("HH", "07"),
        ("h", "7"),
        ("hh", "07"),
        ("k", "7"),
        ("kk", "07"),
        ("K", "7"),
        ("KK", "07"),
        ("m", "5"),
        ("mm", "05"),
        ("s", "9"),
        ("ss", "09"),
        # fraction of second: as many digits as letters, truncated
        ("S", "1"),
        ("SS", "12"),
        ("SSS", "123"),
        ("SSSSSS", "123456"),
        ("SSSSSSSSS", "123456000"),
        ("a", "AM"),
        # day of week
        ("E", "Sat"),
        ("EE", "Sat"),
        ("EEE", "Sat"),
        ("EEEE", "Saturday"),
        ("EEEEE", "S"),
        # quarter, format and standalone forms
        ("Q", "4"),
        ("QQ", "04"),
        ("QQQ", "Q4"),
        ("QQQQ", "4th quarter"),
        ("QQQQQ", "4"),
        ("q", "4"),
        ("qq", "04"),
        ("qqq", "Q4"),
        ("qqqq", "4th quarter"),
        # literals
        ("", ""),
        ("-/=_.: 0123456789", "-/=_.: 0123456789"),
        ("''", "'"),
        ("'it''s'", "it's"),
        ("'yyyy-MM-dd'", "yyyy-MM-dd"),
        ("yyyy''MM", "2026'11"),
        ("'T'HH", "T07"),
        ("'}'", "}"),
        ("yyyyMMddHHmmss", "20261128070509"),
    ],
)
def test_pattern_letters_at_a_fixed_instant(pattern: str, expected: str) -> None:
    assert format_java_datetime(pattern, INSTANT) == expected


@pytest.mark.parametrize(
    ("moment", "pattern", "expected"),
    [
        (datetime(2026, 1, 5, 0, 0, tzinfo=UTC), "D|DD|DDD", "5|05|005"),
        (datetime(2026, 1, 5, 0, 0, tzinfo=UTC), "M|MM|d|dd", "1|01|5|05"),
        (
            datetime(2026, 1, 5, 0, 0, tzinfo=UTC),
            "MMM|MMMM|MMMMM|EEE|EEEE",
            "Jan|January|J|Mon|Monday",
        ),
        (datetime(2026, 2, 15, 0, 0, tzinfo=UTC), "Q|QQQ|QQQQ", "1|Q1|1st quarter"),
        (datetime(2026, 5, 15, 0, 0, tzinfo=UTC), "Q|QQQ|QQQQ", "2|Q2|2nd quarter"),
        (datetime(2026, 8, 15, 0, 0, tzinfo=UTC), "Q|QQQ|QQQQ", "3|Q3|3rd quarter"),
        (datetime(2026, 12, 31, 0, 0, tzinfo=UTC), "D", "365"),
        (datetime(2028, 12, 31, 0, 0, tzinfo=UTC), "D", "366"),
        # midnight: hour-of-day 0, clock-hour-of-am-pm 12, clock-hour-of-day 24
        (
            datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
            "H|HH|h|hh|k|kk|K|KK|a",
            "0|00|12|12|24|24|0|00|AM",
        ),
        (datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "H|h|k|K|a", "12|12|12|0|PM"),
        (datetime(2026, 1, 1, 13, 0, tzinfo=UTC), "H|h|k|K|a", "13|1|13|1|PM"),
        (datetime(2026, 1, 1, 23, 0, tzinfo=UTC), "H|h|k|K|a", "23|11|23|11|PM"),
        # zero fraction still prints the requested digits
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "SSS", "000"),
        (datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC), "S|SSS", "9|999"),
        # small years: padding to the letter count, reduced year keeps two digits
        (datetime(5, 3, 1, tzinfo=UTC), "y|yy|yyy|yyyy|yyyyy", "5|05|005|0005|00005"),
        (datetime(5, 3, 1, tzinfo=UTC), "u|uu|uuu|uuuu", "5|05|005|0005"),
        (datetime(1999, 3, 1, tzinfo=UTC), "yy", "99"),
        (datetime(2100, 3, 1, tzinfo=UTC), "yy", "00"),
    ],
)
def test_pattern_letters_at_edge_instants(moment: datetime, pattern: str, expected: str) -> None:
    assert format_java_datetime(pattern, moment) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        *((letter * 3, f"Too many pattern letters: {letter}") for letter in "dHhkKms"),
        ("DDDD", "Too many pattern letters: D"),
        *((letter * 6, f"Too many pattern letters: {letter}") for letter in "MLEQq"),
        ("aa", "Too many pattern letters: a"),
        ("y" * 20, "The minimum width must be from 1 to 19 inclusive but was 20"),
        ("u" * 20, "The minimum width must be from 1 to 19 inclusive but was 20"),
        ("S" * 10, "Minimum width must be from 0 to 9 inclusive but was 10"),
        ("w", "Pattern letter w (locale-dependent week field) is not supported"),
        ("YYYY", "Pattern letter Y (locale-dependent week field) is not supported"),
        ("e", "Pattern letter e (locale-dependent week field) is not supported"),
        ("z", "Pattern letter z (time zone) is not supported"),
        ("XXX", "Pattern letter X (time zone) is not supported"),
        ("Z", "Pattern letter Z (time zone) is not supported"),
        ("G", "Pattern letter G (not implemented) is not supported"),
        ("n", "Pattern letter n (not implemented) is not supported"),
        ("b", "Unknown pattern letter: b"),
        ("T", "Unknown pattern letter: T"),
        ("yyyy-MM-ddTHH", "Unknown pattern letter: T"),
        ("[yyyy]", "Pattern includes reserved character: '[' (optional sections"),
        ("]", "Pattern includes reserved character: ']' (optional sections"),
        ("{", "Pattern includes reserved character: '{'"),
        ("}", "Pattern includes reserved character: '}'"),
        ("#", "Pattern includes reserved character: '#'"),
        ("'abc", "Pattern ends with an incomplete string literal: 'abc"),
        ("'''", "Pattern ends with an incomplete string literal: '''"),
    ],
)
def test_patterns_java_refuses(pattern: str, message: str) -> None:
    with pytest.raises(PrefixError, match=re.escape(message)):
        format_java_datetime(pattern, INSTANT)


# -- properties -------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(1000, 1, 1),  # naive bounds: hypothesis attaches the zone
    max_value=datetime(9999, 12, 30),
    timezones=st.just(UTC),
)


@given(instants)
def test_common_pattern_matches_strftime(instant: datetime) -> None:
    assert format_java_datetime("yyyy-MM-dd HH:mm:ss", instant) == instant.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert format_java_datetime("SSSSSS", instant) == f"{instant.microsecond:06d}"
    assert format_java_datetime("DDD", instant) == instant.strftime("%j")


@given(st.text(alphabet=st.characters(exclude_characters="'"), min_size=1))
def test_quoted_text_is_literal(text: str) -> None:
    assert format_java_datetime(f"'{text}'", INSTANT) == text


@given(st.text())
def test_doubled_quotes_inside_a_literal_are_one_quote(text: str) -> None:
    quoted = "'" + text.replace("'", "''") + "'"
    expected = text if text else "'"  # `''` on its own is one quote, not an empty literal
    assert format_java_datetime(quoted, INSTANT) == expected


@given(
    st.text(alphabet=st.characters(exclude_characters="!"), max_size=40),
    instants,
)
def test_prefix_without_expressions_is_followed_by_the_utc_hour(
    prefix: str, instant: datetime
) -> None:
    validate_prefixes(prefix, None)
    assert evaluate_prefix(prefix, instant) == prefix + instant.strftime("%Y/%m/%d/%H/")
