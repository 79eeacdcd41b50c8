"""Hardened input: any body ends as a handled event or a clean rejection, never a crash.

`process_batch` runs both services' handlers over random bytes, odd JSON and valid
events with hostile text. The oracle never asks the decoder: a test knows which bodies
it built from a valid event (those must be applied, once, with their own field values
stored) and which it built at random (those cannot carry the dozen required fields of
the envelope, so they must be poison). The memory store checks items with DynamoDB's
serialiser, so an item DynamoDB could not hold would show as a failed message.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.consumer.batch import Disposition, Message, process_batch
from messaging.core.events import ConsumerCreated, encode
from messaging.core.services import SERVICES
from messaging.core.services.payments import account_id, currency_for
from messaging.store import MemoryStore
from tests.support import make_event

# Anything a valid event may hold: the contract refuses control characters and
# bidirectional controls (see messaging.core.events), so valid events have none.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE_TEXT = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters=BIDI_CONTROLS),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3)
    ),
    max_leaves=10,
)
# At most 3 keys per object: never the 5 top-level fields a valid envelope needs.
random_bodies = st.text(max_size=200) | json_values.map(json.dumps)


def messages(bodies: list[str]) -> list[Message]:
    return [Message(f"id-{n}", f"rh-{n}", body) for n, body in enumerate(bodies)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.booleans(), random_bodies, st.integers(0, 5)), min_size=1, max_size=10)
)
def test_random_bodies_are_poison_and_valid_ones_around_them_are_applied_once(
    drawn: list[tuple[bool, str, int]],
) -> None:
    bodies = [encode(make_event(n)) if valid else body for valid, body, n in drawn]
    store = MemoryStore()
    result = process_batch(messages(bodies), SERVICES["orders"].handle, store)
    seen: set[int] = set()
    expected = []
    for valid, _, n in drawn:
        if not valid:
            expected.append(Disposition.POISON)
        else:
            expected.append(Disposition.DUPLICATE if n in seen else Disposition.APPLIED)
            seen.add(n)
    assert [r.disposition for r in result.results] == expected
    assert set(store.items) == {str(make_event(n).data.consumer_id) for n in seen}
    assert all(r.reason for r in result.results if r.disposition is Disposition.POISON)


@st.composite
def hostile_events(draw: st.DrawFn) -> ConsumerCreated:
    event = make_event(draw(st.integers(0, 10_000)))
    data = event.data.model_copy(
        update={
            "name": draw(HOSTILE_TEXT).strip()[:512] or "x",
            "phone": draw(HOSTILE_TEXT).strip()[:512] or "x",
            "address": event.data.address.model_copy(
                update={
                    "street": draw(HOSTILE_TEXT).strip()[:512] or "x",
                    "city": draw(HOSTILE_TEXT).strip()[:512] or "x",
                }
            ),
            "created_at": draw(
                st.datetimes(
                    timezones=st.just(UTC),
                    min_value=datetime(1970, 1, 2),
                    max_value=datetime(9999, 12, 30),
                )
            ),
        }
    )
    return event.model_copy(update={"data": data})


@settings(max_examples=150, deadline=None)
@given(hostile_events(), st.sampled_from(sorted(SERVICES)))
def test_valid_events_with_hostile_text_are_stored_as_they_were_sent(
    event: ConsumerCreated, service: str
) -> None:
    body = encode(event)
    store = MemoryStore()
    result = process_batch(messages([body, body]), SERVICES[service].handle, store)
    assert [r.disposition for r in result.results] == [Disposition.APPLIED, Disposition.DUPLICATE]
    item = store.items[str(event.data.consumer_id)]
    assert item["event_id"] == str(event.event_id)
    if service == "orders":
        assert (item["name"], item["phone"]) == (event.data.name, event.data.phone)
        assert item["address"]["street"] == event.data.address.street
        assert item["address"]["city"] == event.data.address.city
        assert item["created_at"] == event.data.created_at.isoformat()
    else:
        assert item["account_id"] == account_id(event.data.consumer_id)
        assert item["currency"] == currency_for(event.data.address.country)
