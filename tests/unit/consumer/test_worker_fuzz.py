"""Hardened input: any body ends as a handled event or a clean rejection, never a crash.

The worker's decode -> handler -> commit -> acknowledge path runs with fake SQS
responses and both services' handlers, over random bytes, odd JSON and valid events
with hostile text; the DynamoDB serialiser must accept every item a handler makes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.consumer.state import Batch, Result
from messaging.consumer.worker import Worker
from messaging.core.events import ConsumerCreated, decode, encode
from messaging.core.services import SERVICES
from messaging.store import MemoryStore, UnitOfWork
from tests.support import make_event

# Anything a valid event may hold: the contract refuses control characters and
# bidirectional controls (see messaging.core.events), so valid events have none.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE_TEXT = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters=BIDI_CONTROLS),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip())


class FakeSqs:
    """Accepts every acknowledgement: the test is about what the worker decides."""

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.released: list[str] = []

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:  # noqa: N803
        self.deleted += [e["ReceiptHandle"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:  # noqa: N803
        self.released += [e["ReceiptHandle"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def run_batch(bodies: list[str], service: str = "orders") -> tuple[Batch, FakeSqs, MemoryStore]:
    sqs, store = FakeSqs(), MemoryStore()
    worker = Worker(service, sqs, "queue-url", SERVICES[service].handle, store)  # type: ignore[arg-type]
    messages = [
        {"MessageId": str(n), "ReceiptHandle": f"rh-{n}", "Body": body}
        for n, body in enumerate(bodies)
    ]
    batch = Batch(messages, received_at=0.0, extended_at=0.0)  # type: ignore[arg-type]
    worker._commit([batch])
    worker._acks.shutdown(wait=True)
    return batch, sqs, store


def expected(body: str) -> Result:
    try:
        decode(body)
    except Exception:  # noqa: BLE001 - any rejection of the codec means POISON
        return Result.POISON
    return Result.ACK


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=200) | json_values.map(json.dumps), min_size=1, max_size=10))
def test_every_body_is_handled_or_rejected_cleanly(bodies: list[str]) -> None:
    batch, sqs, _ = run_batch(bodies)
    assert batch.results == [expected(b) for b in bodies]
    assert sorted(sqs.deleted + sqs.released) == sorted(f"rh-{n}" for n in range(len(bodies)))


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
def test_valid_events_with_hostile_text_are_stored_and_serialisable(
    event: ConsumerCreated, service: str
) -> None:
    body = encode(event)
    batch, _, store = run_batch([body, body], service)
    assert batch.results == [Result.ACK, Result.ACK]  # the second one is a duplicate
    assert len(store.items) == 1
    unit = UnitOfWork()
    SERVICES[service].handle(decode(body), unit)
    serializer = TypeSerializer()
    for item in unit.creates.values():
        for value in item.values():
            serializer.serialize(value)  # raises on anything DynamoDB cannot hold
