"""The consumer factory: realistic, valid events that a seed reproduces exactly."""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice

import faker.generator
import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.core.events import ConsumerCreated, decode, encode
from messaging.errors import MessagingError
from messaging.producer.fakes import SUPPORTED_LOCALES, ConsumerFactory, UnsupportedLocaleError

LOCALES = ("en_US", "pt_BR", "de_DE", "fr_FR", "ja_JP")
INSTANT = datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=UTC)


def fixed_clock() -> datetime:
    return INSTANT


def run(factory: ConsumerFactory, count: int = 10) -> list[str]:
    return [encode(event) for event in factory.events(count)]


@pytest.fixture
def restore_faker_global_random() -> Iterator[None]:
    """Tests that call `Faker.seed` put Faker's shared generator back as they found it."""
    state = faker.generator.random.getstate()
    yield
    faker.generator.random.setstate(state)


@pytest.mark.parametrize("locale", LOCALES)
def test_same_seed_and_clock_give_identical_events(locale: str) -> None:
    first = run(ConsumerFactory(seed=42, locale=locale, clock=fixed_clock))
    second = run(ConsumerFactory(seed=42, locale=locale, clock=fixed_clock))
    assert first == second
    assert len(set(first)) == len(first)  # a run does not repeat itself


@pytest.mark.parametrize("locale", [*LOCALES, "en_PH", "ka_GE"])
def test_a_seed_draws_the_locales_own_faker_sequence(locale: str) -> None:
    """The factory draws from the locale's generator in this order: what a Faker proxy
    seeded alike gives, call for call, so a seed's events do not depend on how it calls."""
    reference = Faker(locale, use_weighting=False)
    reference.seed_instance(f"{locale}/3")
    phone = getattr(reference, "phone_number", None) or reference.mobile_number
    state = getattr(reference, "administrative_unit", None)
    for event in ConsumerFactory(seed=3, locale=locale, clock=fixed_clock).events(15):
        # version=4 overwrites a UUID's version and variant bits; its top 48 are the draw's
        assert event.event_id.int >> 80 == reference.random.getrandbits(128) >> 80
        consumer = event.data
        assert consumer.consumer_id.int >> 80 == reference.random.getrandbits(128) >> 80
        assert consumer.name == reference.name().strip()
        assert consumer.email == reference.free_email()
        assert consumer.phone == phone().strip()
        street = ", ".join(p.strip() for p in reference.street_address().splitlines() if p.strip())
        assert consumer.address.street == street
        assert consumer.address.city == reference.city().strip()
        assert consumer.address.state == (state().strip() if state is not None else None)
        assert consumer.address.postal_code == reference.postcode().strip()


def test_seeded_ids_are_reproducible_version_4_uuids() -> None:
    first = ConsumerFactory(seed=3).event()
    again = ConsumerFactory(seed=3).event()  # different clock readings, same ids
    assert (first.event_id, first.data.consumer_id) == (again.event_id, again.data.consumer_id)
    assert first.data.model_dump(exclude={"created_at"}) == again.data.model_dump(
        exclude={"created_at"}
    )
    assert first.event_id.version == first.data.consumer_id.version == 4
    assert first.event_id != first.data.consumer_id


def test_different_seeds_give_different_ids() -> None:
    ids = [ConsumerFactory(seed=seed, clock=fixed_clock).event().event_id for seed in range(50)]
    assert len(set(ids)) == len(ids)


def test_one_seed_in_two_locales_does_not_reuse_ids() -> None:
    """Runs in several locales with one seed publish to one topic; their ids must not clash."""
    ids = {locale: {e.event_id for e in ConsumerFactory(seed=1, locale=locale).events(20)}
           for locale in LOCALES}  # fmt: skip
    assert len(set().union(*ids.values())) == 20 * len(LOCALES)


def test_unseeded_factories_differ() -> None:
    first, second = ConsumerFactory(clock=fixed_clock), ConsumerFactory(clock=fixed_clock)
    assert run(first, 5) != run(second, 5)
    assert first.event().event_id.version == 4


@pytest.mark.usefixtures("restore_faker_global_random")
def test_seeded_runs_ignore_the_global_faker_seed_and_other_factories() -> None:
    expected = run(ConsumerFactory(seed=9, clock=fixed_clock), 5)
    factory = ConsumerFactory(seed=9, clock=fixed_clock)
    neighbour = ConsumerFactory(seed=9, clock=fixed_clock)
    got = []
    for round_ in range(5):
        Faker.seed(round_)
        Faker().name()  # draws from Faker's shared generator
        random.seed(round_)  # and from the global one
        neighbour.event()
        got.append(encode(factory.event()))
    assert got == expected


@pytest.mark.usefixtures("restore_faker_global_random")
def test_unseeded_factories_do_not_follow_the_global_faker_seed() -> None:
    Faker.seed(0)
    first = ConsumerFactory().event().data.model_dump(exclude={"consumer_id", "created_at"})
    Faker.seed(0)
    second = ConsumerFactory().event().data.model_dump(exclude={"consumer_id", "created_at"})
    assert first != second


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**64), locale=st.sampled_from(LOCALES))
def test_every_event_round_trips(seed: int, locale: str) -> None:
    for event in ConsumerFactory(seed=seed, locale=locale).events(5):
        assert decode(encode(event)) == event
        assert decode(encode(event).encode()) == event


@pytest.mark.filterwarnings("ignore:fr_QC locale is deprecated:UserWarning")
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_supported_locale_gives_valid_events(locale: str) -> None:
    """Emails in particular: email-validator rejects some of what Faker's `email()` makes."""
    for event in ConsumerFactory(seed=0, locale=locale).events(5):
        assert decode(encode(event)) == event
        assert "\n" not in event.data.address.street


@pytest.mark.parametrize(
    ("locale", "country"),
    [
        ("en_US", "US"),
        ("pt_BR", "BR"),
        ("de_DE", "DE"),
        ("fr_FR", "FR"),
        ("ja_JP", "JP"),
        ("en_GB", "GB"),
        ("en_MS", "MY"),  # Malaysia: MS would be Montserrat
        ("fr_QC", "CA"),
    ],
)
def test_country_follows_the_locale(locale: str, country: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fr_QC is deprecated by Faker
        factory = ConsumerFactory(seed=5, locale=locale)
    assert factory.country == country
    assert {event.data.address.country for event in factory.events(20)} == {country}


def test_locale_spelling_is_forgiving() -> None:
    factory = ConsumerFactory(seed=1, locale="en-gb", clock=fixed_clock)
    assert (factory.locale, factory.country) == ("en_GB", "GB")
    assert run(factory, 3) == run(ConsumerFactory(seed=1, locale="en_GB", clock=fixed_clock), 3)


def test_state_is_present_where_the_locale_has_one() -> None:
    assert all(e.data.address.state for e in ConsumerFactory(seed=1).events(10))
    assert all(e.data.address.state is None for e in ConsumerFactory(locale="ka_GE").events(5))


def test_events_look_real() -> None:
    for event in ConsumerFactory(seed=11, locale="de_DE").events(20):
        consumer = event.data
        assert len(consumer.name.split()) >= 2
        assert consumer.email.count("@") == 1
        assert sum(char.isdigit() for char in consumer.phone) >= 6
        assert consumer.address.postal_code.isdigit()
        assert len(consumer.address.postal_code) == 5


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("xx_XX", "unknown locale 'xx_XX'"),
        ("en_UK", "did you mean en_US"),
        ("en", "'en' names no country"),
        ("ar_AA", "did you mean ar_AE"),
        ("", "unknown locale ''"),
    ],
)
def test_unsupported_locale_is_a_clear_error(locale: str, expected: str) -> None:
    with pytest.raises(UnsupportedLocaleError) as raised:
        ConsumerFactory(locale=locale)
    message = str(raised.value)
    assert expected in message
    assert "en_US" in message
    assert "de_DE" in message
    assert raised.value.locale == locale
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, MessagingError)


def test_timestamps_come_from_the_clock_once_per_event() -> None:
    readings = iter(INSTANT + timedelta(seconds=n) for n in range(3))
    events = list(ConsumerFactory(seed=1, clock=lambda: next(readings)).events(3))
    assert [e.occurred_at for e in events] == [INSTANT + timedelta(seconds=n) for n in range(3)]
    assert all(e.data.created_at == e.occurred_at for e in events)


def test_clock_in_another_timezone_is_normalised_to_utc() -> None:
    tokyo = INSTANT.astimezone(timezone(timedelta(hours=9)))
    event = ConsumerFactory(seed=1, clock=lambda: tokyo).event()
    assert event.occurred_at == INSTANT
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert encode(event).count('"2024-05-17T12:30:15.123456Z"') == 2


def test_a_naive_clock_is_rejected() -> None:
    naive = datetime(2024, 5, 17, 12, 30)  # naive on purpose
    with pytest.raises(ValueError, match="timezone"):
        ConsumerFactory(clock=lambda: naive).event()


def test_default_clock_is_now_in_utc() -> None:
    before = datetime.now(UTC)
    event = ConsumerFactory().event()
    assert before <= event.occurred_at <= datetime.now(UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)


def test_stream_and_events_continue_one_sequence() -> None:
    streamed = [encode(e) for e in islice(ConsumerFactory(seed=4, clock=fixed_clock).stream(), 6)]
    factory = ConsumerFactory(seed=4, clock=fixed_clock)
    assert run(factory, 3) + run(factory, 3) == streamed


def test_events_count() -> None:
    factory = ConsumerFactory(seed=1)
    assert list(factory.events(0)) == []
    assert all(isinstance(e, ConsumerCreated) for e in factory.events(2))
    with pytest.raises(ValueError, match="count"):
        factory.events(-1)
