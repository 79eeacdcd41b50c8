"""The batched, rate-limited producer against a scripted fake SNS and a fake clock."""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid4

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.core.events import Address, Consumer, ConsumerCreated, decode
from messaging.core.retry import EntryRetry
from messaging.producer import (
    MAX_BATCH_BYTES,
    Failure,
    Producer,
    ProducerError,
    ProducerStats,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

TOPIC = "arn:aws:sns:us-east-1:123456789012:created-consumer"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_event(name: str = "Ada Lovelace") -> ConsumerCreated:
    consumer = Consumer(
        consumer_id=uuid4(),
        name=name,
        email="ada@example.com",
        phone="+1 555 0100",
        address=Address(street="1 Main St", city="Springfield", postal_code="12345", country="US"),
        created_at=NOW,
    )
    return ConsumerCreated(event_id=uuid4(), occurred_at=NOW, data=consumer)


def huge_event(name_bytes: int) -> ConsumerCreated:
    """An event past the schema's field limits (model_copy skips validation): size tests only."""
    event = make_event()
    data = event.data.model_copy(update={"name": "x" * name_bytes})
    return event.model_copy(update={"data": data})


def entry_bytes(entry: dict[str, Any]) -> int:
    """What SNS counts: the body plus every attribute's name, type and value (UTF-8)."""
    size = len(entry["Message"].encode())
    for name, value in entry["MessageAttributes"].items():
        size += len(name.encode()) + len(value["DataType"].encode())
        size += len(value["StringValue"].encode())
    return size


def message_event_id(entry: dict[str, Any]) -> UUID:
    """The event id in an entry's body (read as plain JSON: size tests exceed the schema)."""
    return UUID(json.loads(entry["Message"])["event_id"])


class Clock:
    """A monotonic clock that moves only when someone sleeps; records every sleep."""

    def __init__(self, now: float = 1000.0) -> None:
        self.start = self.now = now
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {}}
    response["ResponseMetadata"]["HTTPStatusCode"] = status
    return ClientError(response, "PublishBatch")


@dataclass
class FakeSns:
    """`publish_batch` with scripted outcomes per event and per call; thread-safe.

    transient: event_id -> how many attempts fail with SenderFault false first.
    permanent: event ids rejected with SenderFault true.
    call_errors: call number -> exception raised instead of answering.
    omit_once: event ids left out of both Successful and Failed the first time.
    """

    transient: dict[UUID, int] = field(default_factory=dict)
    permanent: set[UUID] = field(default_factory=set)
    call_errors: dict[int, Exception] = field(default_factory=dict)
    omit_once: set[UUID] = field(default_factory=set)
    barrier: threading.Barrier | None = None
    calls: list[list[dict[str, Any]]] = field(default_factory=list)
    published: Counter[UUID] = field(default_factory=Counter)
    attempts: Counter[UUID] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish_batch(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["TopicArn"] == TOPIC
        entries: list[dict[str, Any]] = kwargs["PublishBatchRequestEntries"]
        with self._lock:
            number = len(self.calls)
            self.calls.append(entries)
        if self.barrier is not None and number < self.barrier.parties:
            self.barrier.wait()  # proves `parties` calls are in flight at once
        if number in self.call_errors:
            raise self.call_errors[number]
        successful: list[dict[str, str]] = []
        failed: list[dict[str, Any]] = []
        with self._lock:
            for entry in entries:
                event_id = message_event_id(entry)
                self.attempts[event_id] += 1
                if event_id in self.permanent:
                    failed.append(
                        {"Id": entry["Id"], "Code": "InvalidParameter", "SenderFault": True}
                    )
                elif self.attempts[event_id] <= self.transient.get(event_id, 0):
                    failed.append(
                        {"Id": entry["Id"], "Code": "InternalError", "SenderFault": False}
                    )
                elif event_id in self.omit_once:
                    self.omit_once.discard(event_id)
                else:
                    self.published[event_id] += 1
                    successful.append({"Id": entry["Id"], "MessageId": str(uuid4())})
        return {"Successful": successful, "Failed": failed, "ResponseMetadata": {}}

    def sizes(self) -> list[int]:
        return [len(call) for call in self.calls]

    def event_ids(self, call: int) -> list[UUID]:
        return [message_event_id(entry) for entry in self.calls[call]]


def producer(
    fake: FakeSns,
    clock: Clock,
    *,
    attempts: int = 4,
    base: float = 0.1,
    cap: float = 5.0,
    jitter: Any = random.random,
    **options: Any,
) -> Producer:
    retry = EntryRetry(attempts=attempts, base=base, cap=cap, sleep=clock.sleep, jitter=jitter)
    return Producer(
        cast("SNSClient", fake),
        TOPIC,
        retry=retry,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        **options,
    )


def assert_consistent(stats: ProducerStats, fake: FakeSns) -> None:
    assert stats.events == stats.published + stats.failed
    assert all(count == 1 for count in fake.published.values())
    assert sum(fake.published.values()) == stats.published
    assert not {failure.event_id for failure in stats.failures} & set(fake.published)


def test_full_speed_sends_batches_of_ten_and_a_last_partial_one() -> None:
    fake, clock = FakeSns(), Clock()
    events = [make_event() for _ in range(95)]

    stats = producer(fake, clock, concurrency=1).publish(events)

    assert fake.sizes() == [10] * 9 + [5]
    sent = [entry for call in fake.calls for entry in call]
    assert [decode(entry["Message"]) for entry in sent] == events
    assert all(len({entry["Id"] for entry in call}) == len(call) for call in fake.calls)
    assert all(
        entry["MessageAttributes"]
        == {"event_type": {"DataType": "String", "StringValue": "consumer.created"}}
        for entry in sent
    )
    assert (stats.events, stats.published, stats.failed, len(fake.calls)) == (95, 95, 0, 10)
    assert stats.retried_entries == 0
    assert clock.sleeps == []  # no rate, no failures: nothing waits
    assert_consistent(stats, fake)


def test_a_thousand_events_at_full_speed_cost_a_tenth_of_a_request_each() -> None:
    fake = FakeSns()
    stats = producer(fake, Clock()).publish(make_event() for _ in range(1000))
    assert (stats.published, len(fake.calls)) == (1000, 100)
    assert_consistent(stats, fake)


def test_large_events_split_batches_to_stay_within_256_kib() -> None:
    fake = FakeSns()
    events = [huge_event(60_000) for _ in range(10)]  # ~61 KB each: 4 fit in 256 KiB

    stats = producer(fake, Clock(), concurrency=1).publish(events)

    assert fake.sizes() == [4, 4, 2]
    assert all(sum(entry_bytes(entry) for entry in call) <= MAX_BATCH_BYTES for call in fake.calls)
    assert stats.published == 10
    assert_consistent(stats, fake)


def test_an_event_too_large_for_sns_is_a_failure_without_a_request() -> None:
    fake = FakeSns()
    too_large, fine = huge_event(MAX_BATCH_BYTES), make_event()

    stats = producer(fake, Clock()).publish([too_large, fine])

    assert stats.failures == (Failure(too_large.event_id, "EntryTooLarge"),)
    assert (stats.events, stats.published, len(fake.calls)) == (2, 1, 1)
    assert_consistent(stats, fake)


def test_only_failed_entries_are_retried_with_growing_capped_backoff() -> None:
    events = [make_event() for _ in range(10)]
    flaky = {events[2].event_id, events[5].event_id}
    fake, clock = FakeSns(transient=dict.fromkeys(flaky, 5)), Clock()
    published: list[int] = []

    stats = producer(fake, clock, attempts=8, base=0.5, cap=2.0, jitter=lambda: 1.0).publish(
        events, on_published=published.append
    )

    assert fake.sizes() == [10, 2, 2, 2, 2, 2]
    assert all(set(fake.event_ids(call)) == flaky for call in range(1, 6))
    assert clock.sleeps == [0.5, 1.0, 2.0, 2.0, 2.0]  # doubling, then held at the cap
    assert (stats.published, stats.failed, len(fake.calls), stats.retried_entries) == (10, 0, 6, 10)
    assert published == [8, 2]
    assert_consistent(stats, fake)


def test_full_jitter_draws_each_delay_below_its_capped_ceiling() -> None:
    events = [make_event()]
    fake, clock = FakeSns(transient={events[0].event_id: 7}), Clock()

    stats = producer(
        fake,
        clock,
        attempts=8,
        base=0.1,
        cap=1.0,
        jitter=random.Random(7).random,  # noqa: S311 - jitter, not security
    ).publish(events)

    ceilings = [min(1.0, 0.1 * 2**retry) for retry in range(7)]
    assert len(clock.sleeps) == 7
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(clock.sleeps, ceilings, strict=True))
    assert len(set(clock.sleeps)) == 7  # jittered, not a fixed schedule
    assert stats.published == 1


def test_sender_fault_entries_are_reported_and_never_retried() -> None:
    events = [make_event() for _ in range(10)]
    rejected = events[3].event_id
    fake, clock = FakeSns(permanent={rejected}), Clock()

    stats = producer(fake, clock).publish(events)

    assert fake.sizes() == [10]
    assert clock.sleeps == []
    assert stats.failures == (Failure(rejected, "InvalidParameter"),)
    assert (stats.published, stats.failed, stats.retried_entries) == (9, 1, 0)
    assert_consistent(stats, fake)


@pytest.mark.parametrize(
    "error",
    [
        client_error("Throttling", 400),
        client_error("ServiceUnavailable", 503),
        client_error("SomethingNew", 500),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ],
    ids=["throttling", "503", "unknown-5xx", "connection"],
)
def test_a_call_still_failing_after_botocore_fails_its_batch_and_intake_goes_on(
    error: Exception,
) -> None:
    # botocore's standard mode already retried the call; retrying it again here is what
    # made a throttled PublishBatch cost 40 attempts.
    events = [make_event() for _ in range(15)]
    fake, clock = FakeSns(call_errors={0: error}), Clock()

    stats = producer(fake, clock, concurrency=1).publish(events)

    assert fake.sizes() == [10, 5]
    assert clock.sleeps == []
    assert (stats.published, stats.failed, stats.retried_entries) == (5, 10, 0)
    code = (
        error.response["Error"]["Code"]
        if isinstance(error, ClientError)
        else "EndpointConnectionError"
    )
    assert {failure.code for failure in stats.failures} == {code}
    assert stats.aborted is None  # transient: the next batches are worth sending
    assert_consistent(stats, fake)


def test_entries_failing_under_full_throttling_cost_at_most_the_documented_attempts() -> None:
    events = [make_event() for _ in range(25)]
    throttled = dict.fromkeys((event.event_id for event in events), 1_000)
    fake, clock = FakeSns(transient=throttled), Clock()

    stats = producer(fake, clock, concurrency=1, attempts=4).publish(events)

    # Three batches, each sent at most `attempts` times: the bound of the entry retry.
    assert fake.sizes() == [10] * 4 + [10] * 4 + [5] * 4
    assert (stats.published, stats.failed) == (0, 25)
    assert {failure.code for failure in stats.failures} == {"InternalError"}
    assert_consistent(stats, fake)


def test_an_entry_missing_from_the_response_is_retried_not_lost() -> None:
    events = [make_event() for _ in range(3)]
    fake = FakeSns(omit_once={events[1].event_id})

    stats = producer(fake, Clock()).publish(events)

    assert fake.sizes() == [3, 1]
    assert fake.event_ids(1) == [events[1].event_id]
    assert stats.published == 3
    assert_consistent(stats, fake)


def test_exhausted_attempts_are_reported_as_failures_not_raised() -> None:
    events = [make_event() for _ in range(10)]
    doomed = events[7].event_id
    fake, clock = FakeSns(transient={doomed: 1_000}), Clock()

    stats = producer(fake, clock, attempts=3).publish(events)

    assert fake.sizes() == [10, 1, 1]
    assert len(clock.sleeps) == 2  # between attempts, none after the last
    assert stats.failures == (Failure(doomed, "InternalError"),)
    assert (stats.events, stats.published, len(fake.calls)) == (10, 9, 3)
    assert_consistent(stats, fake)


def test_a_permanent_call_error_fails_its_batch_and_stops_intake() -> None:
    errors: dict[int, Exception] = {n: client_error("NotFound", 404) for n in range(10)}
    fake, clock = FakeSns(call_errors=errors), Clock()

    stats = producer(fake, clock, concurrency=1).publish(make_event() for _ in itertools.count())

    assert stats.aborted is not None
    assert stats.aborted.startswith("NotFound")
    assert clock.sleeps == []  # a 404 is not worth a retry
    assert stats.published == 0
    # Every event taken in is reported failed. The second call, if any, carries what the
    # feed had gathered when intake stopped: a full batch or part of one (thread timing).
    assert stats.events == stats.failed == sum(len(call) for call in fake.calls)
    assert 10 <= stats.events <= 10 * len(fake.calls)
    assert len(fake.calls) <= 2  # the failing batch, and at most the one being filled
    assert {failure.code for failure in stats.failures} == {"NotFound"}


def test_an_unexpected_client_bug_is_raised_not_hidden() -> None:
    fake = FakeSns(call_errors={0: RuntimeError("bug in the client")})
    with pytest.raises(RuntimeError, match="bug in the client"):
        producer(fake, Clock()).publish([make_event()])


def timed(events: Iterator[ConsumerCreated], clock: Clock, asked_at: dict[UUID, float]) -> Any:
    """Yield events, noting when the producer asked for each; making one takes 5 ms."""
    for event in events:
        asked_at[event.event_id] = clock.monotonic()
        clock.sleep(0.005)  # producing is not free: a naive sleep(1/rate) would drift
        yield event


def test_rate_releases_event_i_at_start_plus_i_over_rate_without_drift() -> None:
    fake, clock, asked_at = FakeSns(), Clock(), dict[UUID, float]()
    events = (make_event() for _ in range(1000))

    stats = producer(fake, clock, rate=100).publish(timed(events, clock, asked_at))

    times = list(asked_at.values())
    expected = [clock.start + i / 100 for i in range(1000)]
    assert times == pytest.approx(expected, abs=1e-9)
    assert fake.sizes() == [10] * 100  # at 100/s a batch fills in 0.1 s, well within linger
    # The end of the events shows when the 1001st is due (+10 s) and is asked for.
    assert stats.elapsed_seconds == pytest.approx(10.0)
    assert len(fake.calls) / stats.events == pytest.approx(0.1)


@pytest.mark.parametrize(("linger", "size"), [(1.2, 3), (0.0, 1), (10.0, 10)])
def test_linger_sends_a_partial_batch_rather_than_wait_for_the_next_event(
    linger: float, size: int
) -> None:
    fake, clock, asked_at = FakeSns(), Clock(), dict[UUID, float]()
    events = (make_event() for _ in range(30))

    stats = producer(fake, clock, rate=2, linger=linger, concurrency=1).publish(
        timed(events, clock, asked_at)
    )

    assert fake.sizes() == [size] * (30 // size)
    for call in range(len(fake.calls)):
        times = [asked_at[event_id] for event_id in fake.event_ids(call)]
        assert max(times) - min(times) <= linger  # no event waits past the linger
    assert stats.published == 30


def test_stop_ends_intake_and_what_was_taken_is_still_sent() -> None:
    fake, stop = FakeSns(), threading.Event()

    def endless() -> Iterator[ConsumerCreated]:
        for number in itertools.count(1):
            if number == 25:
                stop.set()  # as Ctrl-C would, while the producer holds a partial batch
            yield make_event()

    stats = producer(fake, Clock()).publish(endless(), stop=stop)

    assert (stats.events, stats.published, stats.failed) == (25, 25, 0)
    assert sorted(fake.sizes()) == [5, 10, 10]
    assert_consistent(stats, fake)


def test_stop_interrupts_a_rate_wait_promptly() -> None:
    clock, stop = Clock(), threading.Event()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.monotonic() >= clock.start + 3:
            stop.set()

    fake = FakeSns()
    stats = Producer(
        cast("SNSClient", fake), TOPIC, rate=0.5, sleep=sleep, monotonic=clock.monotonic
    ).publish((make_event() for _ in itertools.count()), stop=stop)

    assert (stats.events, stats.published) == (2, 2)  # taken at +0 s and +2 s
    assert clock.monotonic() - clock.start < 3.2  # not the +4 s the next event was due


def test_on_published_adds_up_to_published() -> None:
    events = [make_event() for _ in range(57)]
    fake = FakeSns(
        transient={events[0].event_id: 2, events[30].event_id: 1},
        permanent={events[11].event_id, events[56].event_id},
    )
    counts: list[int] = []
    lock = threading.Lock()

    def on_published(count: int) -> None:
        with lock:
            counts.append(count)

    stats = producer(fake, Clock()).publish(events, on_published=on_published)

    assert sum(counts) == stats.published == 55
    assert all(count > 0 for count in counts)
    assert_consistent(stats, fake)


def test_concurrent_batches_publish_every_event_exactly_once() -> None:
    events = [make_event() for _ in range(1000)]
    flaky = {event.event_id: 1 + n % 3 for n, event in enumerate(events[::7])}
    fake = FakeSns(transient=flaky, barrier=threading.Barrier(4, timeout=30))

    stats = producer(fake, Clock(), concurrency=4).publish(events)

    assert set(fake.published) == {event.event_id for event in events}
    assert (stats.events, stats.published, stats.failed) == (1000, 1000, 0)
    assert stats.retried_entries == sum(flaky.values())
    assert_consistent(stats, fake)


@settings(max_examples=40, deadline=None)
@given(
    outcomes=st.lists(st.sampled_from(["ok", "flaky", "doomed", "rejected"]), max_size=40),
    call_errors=st.sets(st.integers(0, 12), max_size=4),
    concurrency=st.integers(1, 3),
)
def test_nothing_is_ever_lost(
    outcomes: Sequence[str], call_errors: set[int], concurrency: int
) -> None:
    events = [make_event() for _ in outcomes]
    by_outcome: dict[str, set[UUID]] = {
        "ok": set(),
        "flaky": set(),
        "doomed": set(),
        "rejected": set(),
    }
    for event, outcome in zip(events, outcomes, strict=True):
        by_outcome[outcome].add(event.event_id)
    fake = FakeSns(
        transient={
            **dict.fromkeys(by_outcome["flaky"], 2),
            **dict.fromkeys(by_outcome["doomed"], 99),
        },
        permanent=by_outcome["rejected"],
        call_errors={n: client_error("Throttling", 400) for n in call_errors},
    )

    stats = producer(fake, Clock(), concurrency=concurrency, attempts=4).publish(events)

    assert stats.events == len(events)
    assert_consistent(stats, fake)
    failed = {failure.event_id for failure in stats.failures}
    assert by_outcome["doomed"] | by_outcome["rejected"] <= failed
    assert failed | set(fake.published) == {event.event_id for event in events}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate": 0}, "rate must be > 0"),
        ({"rate": -5.0}, "rate must be > 0"),
        ({"rate": math.nan}, "rate must be > 0"),
        ({"rate": math.inf}, "rate must be > 0"),
        ({"concurrency": 0}, "concurrency must be an int >= 1"),
        ({"linger": -0.1}, "linger must be >= 0"),
    ],
)
def test_invalid_options_raise_producer_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ProducerError, match=message):
        Producer(cast("SNSClient", FakeSns()), TOPIC, **options)


def test_an_empty_topic_arn_is_refused() -> None:
    with pytest.raises(ProducerError, match="topic_arn must not be empty"):
        Producer(cast("SNSClient", FakeSns()), "")


def test_stats_of_nothing_are_zero() -> None:
    fake = FakeSns()
    stats = producer(fake, Clock()).publish([])
    assert (stats.events, stats.published, stats.retried_entries, len(fake.calls)) == (0, 0, 0, 0)
