"""Realistic fake consumers and their `consumer.created` events, reproducible by seed.

A seeded factory yields the same events on every run (same `event_id`, `consumer_id` and
consumer data), so a load or demo run can be replayed to publish exactly the same events a
second time: the idempotent services must recognise them as duplicates, and a failing test
can be re-run bit for bit from its seed. Each factory owns its Faker instance and random
generator (`seed_instance`, never the global `Faker.seed`), so factories do not perturb one
another. Timestamps come from the injected clock instead, because they record *when* an event
was produced, not *who* the consumer is.

A seed reproduces a run only under the same Faker version: its data sets and draw order may
change between releases.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID, uuid4

from faker import Faker
from faker.config import AVAILABLE_LOCALES
from faker.providers.address import Provider as AddressProvider

from messaging.core.events import Address, Consumer, ConsumerCreated
from messaging.errors import MessagingError

__all__ = ["SUPPORTED_LOCALES", "ConsumerFactory", "UnsupportedLocaleError"]

_ISO_COUNTRIES: Final = frozenset(AddressProvider.alpha_2_country_codes)
# Faker locales whose region part is not the ISO 3166-1 alpha-2 code of their country.
_COUNTRY_OF: Final[Mapping[str, str]] = {
    "en_MS": "MY",  # Faker's "en_MS" is English in Malaysia, not Montserrat (MS)
    "fr_QC": "CA",  # Quebec; deprecated by Faker in favour of fr_CA
}
_EXAMPLE_LOCALES: Final = ("en_US", "en_GB", "de_DE", "fr_FR", "pt_BR", "ja_JP")


def _country_of(locale: str) -> str | None:
    if locale in _COUNTRY_OF:
        return _COUNTRY_OF[locale]
    _, _, region = locale.partition("_")
    return region if region in _ISO_COUNTRIES else None


_BY_FOLDED_NAME: Final = {locale.lower(): locale for locale in AVAILABLE_LOCALES}


def _canonical(locale: str) -> str | None:
    """Faker's spelling of `locale`: tags are case-insensitive and may use '-' (BCP 47)."""
    return _BY_FOLDED_NAME.get(locale.replace("-", "_").lower())


SUPPORTED_LOCALES: Final[tuple[str, ...]] = tuple(
    sorted(locale for locale in AVAILABLE_LOCALES if _country_of(locale) is not None)
)
"""Faker locales that name a country, which every address needs."""


class UnsupportedLocaleError(MessagingError, ValueError):
    """The locale is unknown to Faker, or names no country for the consumer's address."""

    def __init__(self, locale: str) -> None:
        known = _canonical(locale)
        if known is not None:
            problem = f"locale {locale!r} names no country, which an address needs"
            language = known.partition("_")[0]
            close = [each for each in SUPPORTED_LOCALES if each.startswith(f"{language}_")][:3]
        else:
            problem = f"unknown locale {locale!r}"
            close = difflib.get_close_matches(locale, SUPPORTED_LOCALES, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        super().__init__(
            f"{problem}{hint}. Supported locales include {', '.join(_EXAMPLE_LOCALES)} "
            f"({len(SUPPORTED_LOCALES)} in all, see messaging.producer.fakes.SUPPORTED_LOCALES)"
        )
        self.locale = locale


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _one_line(text: str) -> str:
    # Some locales (en_IN, en_NZ) format streets over two lines; an address field is one.
    return ", ".join(part.strip() for part in text.splitlines() if part.strip())


def _provider(fake: Any, *names: str) -> Callable[[], str] | None:
    """The first of the named Faker methods this locale has, if any."""
    for name in names:
        method: Callable[[], str] | None = getattr(fake, name, None)
        if method is not None:
            return method
    return None


class ConsumerFactory:
    """Makes `ConsumerCreated` events for realistic consumers of one locale.

    `seed` makes the sequence of events reproducible; without it ids are `uuid4()` and the
    data is drawn from a fresh, OS-seeded generator. `clock` stamps `occurred_at` and
    `created_at` (one reading per event) and must return an aware datetime.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        locale: str = "en_US",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        normalised = _canonical(locale)
        country = None if normalised is None else _country_of(normalised)
        if normalised is None or country is None:
            raise UnsupportedLocaleError(locale)
        self.seed: Final = seed
        self.locale: Final = normalised
        self.country: Final = country
        self._clock = clock
        # Unweighted draws: each name, street or city comes from the locale's real lists,
        # uniformly rather than by how common it is. Weighting cost half of an event's
        # generation (0.65 -> 0.35 ms), which a producer at saturation pays on the core
        # the local cloud needs (issue #21); nothing here depends on name frequencies.
        self._faker = Faker(normalised, use_weighting=False)
        # Always an instance generator: seed None seeds it from the OS, and neither case
        # shares (or is disturbed by) the module-level generator that `Faker.seed` drives.
        # The locale is part of the seed so that runs of one seed in two locales do not
        # publish colliding event and consumer ids (str seeds hash stably, via SHA-512).
        self._faker.seed_instance(None if seed is None else f"{normalised}/{seed}")
        # Drawn from the locale's own generator, its methods bound once: through the
        # proxy, each call paid for resolving its name (about 6 us, a fifth of Faker's
        # share of a consumer; issue #21). The generator draws from the proxy's seeded random, so a
        # seed gives the same consumers either way.
        draw: Any = self._faker.factories[0]
        self._name: Callable[[], str] = draw.name
        # free_email() uses real mail providers' domains, which email-validator accepts in
        # every locale; email() may pick reserved example domains.
        self._email: Callable[[], str] = draw.free_email
        self._street: Callable[[], str] = draw.street_address
        self._city: Callable[[], str] = draw.city
        self._postcode: Callable[[], str] = draw.postcode
        # Not every locale has first-level subdivisions in Faker (e.g. ka_GE, he_IL), and
        # the Philippine locales have mobile and landline numbers but no `phone_number`.
        self._state = _provider(draw, "administrative_unit")
        phone = _provider(draw, "phone_number", "mobile_number")
        if phone is None:  # pragma: no cover - every supported locale has one of them
            raise UnsupportedLocaleError(locale)
        self._phone = phone

    def __repr__(self) -> str:
        return f"ConsumerFactory(seed={self.seed!r}, locale={self.locale!r})"

    def event(self) -> ConsumerCreated:
        """The next event; its consumer was created at the same instant it occurred."""
        now = self._clock()
        event_id = self._uuid()
        return ConsumerCreated(event_id=event_id, occurred_at=now, data=self._consumer(now))

    def events(self, count: int) -> Iterator[ConsumerCreated]:
        """The next `count` events, drawn lazily."""
        if count < 0:
            raise ValueError(f"count must be >= 0, not {count}")
        return (self.event() for _ in range(count))

    def stream(self) -> Iterator[ConsumerCreated]:
        """Events without end, for load runs that stop on time or on a signal."""
        while True:
            yield self.event()

    def _uuid(self) -> UUID:
        if self.seed is None:
            return uuid4()  # os.urandom quality, unlike the Mersenne Twister behind Faker
        return UUID(int=self._faker.random.getrandbits(128), version=4)

    def _consumer(self, created_at: datetime) -> Consumer:
        consumer_id = self._uuid()
        return Consumer(
            consumer_id=consumer_id,
            name=self._name(),
            email=self._email(),
            phone=self._phone(),
            address=Address(
                street=_one_line(self._street()),
                city=self._city(),
                state=self._state() if self._state is not None else None,
                postal_code=self._postcode(),
                country=self.country,
            ),
            created_at=created_at,
        )
