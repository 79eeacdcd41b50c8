"""Firehose S3 prefixes and object keys, evaluated as Amazon Data Firehose does.

Reproduces the rules of the Firehose developer guide pages "Custom prefixes for Amazon S3
objects" and "Configure Amazon S3 object name format":

- the key is `<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`;
- `!{timestamp:PATTERN}` takes a Java `DateTimeFormatter` pattern; every instance in a
  prefix, and the key's suffix, show one instant: the arrival time of the oldest record
  in the object, in UTC;
- a prefix without a timestamp expression (no prefix included) gets `yyyy/MM/dd/HH/`
  appended by plain concatenation: `logs` gives `logs2026/11/28/00/`, not `logs/2026/...`;
- `!{firehose:random-string}` is 11 fresh random characters per instance;
  `!{firehose:error-output-type}` is the failure type, allowed in ErrorOutputPrefix only;
- CreateDeliveryStream and UpdateDestination refuse prefixes that break the semantic rules
  (`validate_prefixes`), so a bad prefix fails at configuration time, not at delivery.

Known limits: UTC only (no `CustomTimeZone`); no dynamic partitioning
(`partitionKeyFromQuery` and `partitionKeyFromLambda` are refused); the pattern letters
are the zone- and locale-free subset, in English (`y u M L d D H h k K m s S a E Q q`,
quoted literals); optional sections `[...]` are refused; AWS's documented limit of 512
characters on an *evaluated* prefix is not enforced.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache

__all__ = [
    "MAX_PREFIX_LENGTH",
    "RANDOM_STRING_LENGTH",
    "PrefixError",
    "evaluate_prefix",
    "format_java_datetime",
    "generate_random_string",
    "object_key",
    "validate_prefixes",
]

MAX_PREFIX_LENGTH = 1024  # API constraint on Prefix and ErrorOutputPrefix (botocore model)
RANDOM_STRING_LENGTH = 11
# AWS's wording, typo included, as InvalidArgumentException responses show it.
_CONSTRAINT = "Ths supplied prefix(es) do not satisfy the following constraint: "


class PrefixError(ValueError):
    """A Prefix or ErrorOutputPrefix that AWS refuses; the message is shown to the client."""


def generate_random_string() -> str:
    """11 lowercase hex characters: the shape of AWS's example output (`5abf82daaa5`)."""
    return secrets.token_hex(6)[:RANDOM_STRING_LENGTH]


# -- Java DateTimeFormatter subset ------------------------------------------------------

_Render = Callable[[datetime], str]
_Part = _Render | str

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_QUARTERS = {  # SHORT, FULL and NARROW text by letter count
    3: ("Q1", "Q2", "Q3", "Q4"),
    4: ("1st quarter", "2nd quarter", "3rd quarter", "4th quarter"),
    5: ("1", "2", "3", "4"),
}
_VALUES: dict[str, Callable[[datetime], int]] = {
    **dict.fromkeys("yu", lambda t: t.year),  # year-of-era and year agree from year 1 on
    **dict.fromkeys("ML", lambda t: t.month),  # standalone and format forms agree in English
    **dict.fromkeys("Qq", lambda t: (t.month - 1) // 3 + 1),
    "d": lambda t: t.day,
    "D": lambda t: t.timetuple().tm_yday,
    "H": lambda t: t.hour,
    "h": lambda t: t.hour % 12 or 12,
    "k": lambda t: t.hour or 24,
    "K": lambda t: t.hour % 12,
    "m": lambda t: t.minute,
    "s": lambda t: t.second,
}
# Letters Java knows but that need a zone, a locale's week rules or fields we do not model.
_UNSUPPORTED = {
    **dict.fromkeys("VvzOXxZ", "time zone"),
    **dict.fromkeys("YwWec", "locale-dependent week field"),
    **dict.fromkeys("GFAnNBgp", "not implemented"),
}


def _number(value: Callable[[datetime], int], width: int) -> _Render:
    return lambda t: str(value(t)).zfill(width)


def _text(names: tuple[str, ...], index: Callable[[datetime], int], count: int) -> _Render:
    """Java's SHORT (1-3 letters), FULL (4) and NARROW (5) text styles, English locale."""
    if count == 4:
        return lambda t: names[index(t)]
    if count == 5:
        return lambda t: names[index(t)][0]
    return lambda t: names[index(t)][:3]


def _fraction(count: int) -> _Render:
    return lambda t: f"{t.microsecond * 1000:09d}"[:count]  # Java truncates, never rounds


_FACTORIES: dict[str, Callable[[int], _Render]] = {
    "S": _fraction,
    "a": lambda _: lambda t: "AM" if t.hour < 12 else "PM",
    "E": lambda count: _text(_DAYS, datetime.weekday, count),
}
# Most letters a run may repeat, as `DateTimeFormatterBuilder.parseField` allows.
_MAX_COUNT = {"y": 19, "u": 19, "S": 9, "a": 1, "D": 3} | dict.fromkeys("MLQqE", 5)


def _check(letter: str, count: int) -> None:
    """Refuse what `DateTimeFormatter.ofPattern` refuses, with Java's messages."""
    if letter in _UNSUPPORTED:
        raise PrefixError(f"Pattern letter {letter} ({_UNSUPPORTED[letter]}) is not supported")
    if letter not in _VALUES and letter not in _FACTORIES:
        raise PrefixError(f"Unknown pattern letter: {letter}")
    if count <= _MAX_COUNT.get(letter, 2):
        return
    if letter in "yu":
        raise PrefixError(f"The minimum width must be from 1 to 19 inclusive but was {count}")
    if letter == "S":
        raise PrefixError(f"Minimum width must be from 0 to 9 inclusive but was {count}")
    raise PrefixError(f"Too many pattern letters: {letter}")


def _field(letter: str, count: int) -> _Render:
    """One run of a pattern letter, rendered with Java's width and text rules."""
    _check(letter, count)
    factory = _FACTORIES.get(letter)
    if factory is not None:
        return factory(count)
    if letter in "yu" and count == 2:  # reduced two-digit year, base 2000
        return lambda t: f"{t.year % 100:02d}"
    if count >= 3 and letter in "ML":
        return _text(_MONTHS, lambda t: t.month - 1, count)
    if count >= 3 and letter in "Qq":
        names, quarter = _QUARTERS[count], _VALUES["Q"]
        return lambda t: names[quarter(t) - 1]
    return _number(_VALUES[letter], count)


def _quoted(pattern: str, start: int) -> tuple[str, int]:
    """The literal opened by the quote at `start`, and where scanning resumes."""
    pos = start + 1
    while pos < len(pattern):
        if pattern[pos] == "'":
            if not pattern.startswith("''", pos):
                break
            pos += 1
        pos += 1
    if pos >= len(pattern):
        raise PrefixError(f"Pattern ends with an incomplete string literal: {pattern}")
    text = pattern[start + 1 : pos]
    return (text.replace("''", "'") if text else "'"), pos + 1


@lru_cache(maxsize=256)
def _compile_pattern(pattern: str) -> tuple[_Part, ...]:
    """Parse a pattern once, as `DateTimeFormatterBuilder.appendPattern` does."""
    parts: list[_Part] = []
    pos = 0
    while pos < len(pattern):
        char = pattern[pos]
        if "a" <= char <= "z" or "A" <= char <= "Z":
            end = pos
            while end < len(pattern) and pattern[end] == char:
                end += 1
            parts.append(_field(char, end - pos))
        elif char == "'":
            text, end = _quoted(pattern, pos)
            parts.append(text)
        elif char in "[]{}#":
            why = " (optional sections are not supported)" if char in "[]" else ""
            raise PrefixError(f"Pattern includes reserved character: '{char}'{why}")
        else:
            parts.append(char)
            end = pos + 1
        if isinstance(parts[-1], str) and len(parts) > 1 and isinstance(parts[-2], str):
            parts[-2:] = [parts[-2] + parts[-1]]  # one literal per run: cheaper evaluation
        pos = end
    return tuple(parts)


def _render(parts: tuple[_Part, ...], instant: datetime) -> str:
    return "".join(part if isinstance(part, str) else part(instant) for part in parts)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {instant!r}")
    return instant.astimezone(UTC)


def format_java_datetime(pattern: str, instant: datetime) -> str:
    """`DateTimeFormatter.ofPattern(pattern).format(instant at UTC)`, English locale."""
    return _render(_compile_pattern(pattern), _utc(instant))


# -- Prefix expressions -----------------------------------------------------------------


class _Firehose(Enum):
    RANDOM_STRING = "random-string"
    ERROR_OUTPUT_TYPE = "error-output-type"


@dataclass(frozen=True, slots=True)
class _Timestamp:
    parts: tuple[_Part, ...]


_Token = str | _Timestamp | _Firehose
_DEFAULT_TIMESTAMP = _Timestamp(_compile_pattern("yyyy/MM/dd/HH/"))
_SUFFIX_TIME = _compile_pattern("yyyy-MM-dd-HH-mm-ss")


@dataclass(frozen=True, slots=True)
class _Prefix:
    tokens: tuple[_Token, ...]  # the default timestamp already appended where it applies
    has_expressions: bool
    has_error_output_type: bool


def _expression(body: str) -> _Token:
    expression = f"!{{{body}}}"
    namespace, colon, value = body.partition(":")
    if not colon:
        raise PrefixError(f"{expression} is not of the form !{{namespace:value}}")
    if namespace == "timestamp":
        if not value:
            raise PrefixError(f"{expression} needs a DateTimeFormatter pattern")
        try:
            parts = _compile_pattern(value)
        except PrefixError as error:
            raise PrefixError(f"Invalid timestamp pattern in {expression}: {error}") from None
        return _Timestamp(parts)
    if namespace == "firehose":
        for member in _Firehose:
            if member.value == value:
                return member
        raise PrefixError(
            f"Unknown value in {expression}: the firehose namespace takes "
            "random-string or error-output-type"
        )
    if namespace in ("partitionKeyFromQuery", "partitionKeyFromLambda"):
        raise PrefixError(
            f"{expression} needs dynamic partitioning, which the local cloud does not support"
        )
    raise PrefixError(f"Unknown namespace in {expression}: use timestamp or firehose")


@lru_cache(maxsize=256)
def _parse(prefix: str) -> _Prefix:
    """Tokenize once; every flush of the stream then reuses the result."""
    tokens: list[_Token] = []
    pos = 0
    while (start := prefix.find("!{", pos)) >= 0:
        end = prefix.find("}", start + 2)
        if end < 0:
            raise PrefixError(
                f"Unterminated expression at position {start}: the sequence !{{ can only "
                "appear in !{namespace:value} expressions"
            )
        if start > pos:
            tokens.append(prefix[pos:start])
        tokens.append(_expression(prefix[start + 2 : end]))
        pos = end + 1
    if pos < len(prefix):
        tokens.append(prefix[pos:])
    has_expressions = any(not isinstance(token, str) for token in tokens)
    if not any(isinstance(token, _Timestamp) for token in tokens):
        tokens.append(_DEFAULT_TIMESTAMP)
    has_error_type = any(token is _Firehose.ERROR_OUTPUT_TYPE for token in tokens)
    return _Prefix(tuple(tokens), has_expressions, has_error_type)


def _parse_field(name: str, value: str | None) -> _Prefix | None:
    if not value:
        return None
    if len(value) > MAX_PREFIX_LENGTH:
        raise PrefixError(
            f"1 validation error detected: Value at '{name[0].lower()}{name[1:]}' failed to "
            f"satisfy constraint: Member must have length less than or equal to "
            f"{MAX_PREFIX_LENGTH}"
        )
    try:
        return _parse(value)
    except PrefixError as error:
        raise PrefixError(f"Invalid {name}: {error}") from None


def validate_prefixes(prefix: str | None, error_output_prefix: str | None) -> None:
    """Refuse what CreateDeliveryStream and UpdateDestination refuse, in AWS's words."""
    data = _parse_field("Prefix", prefix)
    errors = _parse_field("ErrorOutputPrefix", error_output_prefix)
    if data is not None and data.has_error_output_type:
        raise PrefixError(_CONSTRAINT + "Prefix cannot contain !{firehose:error-output-type}")
    if data is not None and data.has_expressions and errors is None:
        raise PrefixError(
            _CONSTRAINT + "ErrorOutputPrefix cannot be null or empty when Prefix contains "
            "expressions"
        )
    if errors is not None and errors.has_expressions and not errors.has_error_output_type:
        raise PrefixError(
            _CONSTRAINT + "ErrorOutputPrefix must contain at least one "
            "!{firehose:error-output-type} when it contains expressions"
        )


def evaluate_prefix(
    prefix: str | None,
    arrival: datetime,
    *,
    random_string: Callable[[], str] = generate_random_string,
    error_output_type: str | None = None,
) -> str:
    """The evaluated prefix for an object whose oldest record arrived at `arrival`.

    `error_output_type` (e.g. `processing-failed`) is required when evaluating an
    ErrorOutputPrefix that uses `!{firehose:error-output-type}`.
    """
    instant = _utc(arrival)
    out: list[str] = []
    for token in _parse(prefix or "").tokens:
        if isinstance(token, str):
            out.append(token)
        elif isinstance(token, _Timestamp):
            out.append(_render(token.parts, instant))
        elif token is _Firehose.RANDOM_STRING:
            out.append(random_string())
        elif error_output_type is None:
            raise ValueError("error_output_type is required by !{firehose:error-output-type}")
        else:
            out.append(error_output_type)
    return "".join(out)


def object_key(
    prefix: str | None,
    stream_name: str,
    version: str | int,
    arrival: datetime,
    *,
    object_id: str,
    extension: str = "",
    random_string: Callable[[], str] = generate_random_string,
    error_output_type: str | None = None,
) -> str:
    """`<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<object_id><extension>`.

    The suffix shows the prefix's instant, so a key's time always matches its partition.
    """
    instant = _utc(arrival)
    evaluated = evaluate_prefix(
        prefix, instant, random_string=random_string, error_output_type=error_output_type
    )
    stamp = _render(_SUFFIX_TIME, instant)
    return f"{evaluated}{stream_name}-{version}-{stamp}-{object_id}{extension}"
