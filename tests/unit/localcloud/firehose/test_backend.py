"""Firehose buffering and delivery, at the backend, with an injected clock."""

from __future__ import annotations

import gzip
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.firehose.exceptions import InvalidArgumentException, ResourceNotFoundException

from messaging.localcloud.firehose.backend import (
    BufferFlusher,
    LocalFirehoseBackend,
)
from messaging.localcloud.firehose.buffer import MIB
from tests.support import FakeClock
from tests.support.moto_state import BUCKET, REGION, make_stream, objects, s3


def put(backend: LocalFirehoseBackend, *payloads: bytes, stream: str = "lake-stream") -> None:
    result = backend.put_record_batch(stream, [{"Data": p} for p in payloads])
    assert result["FailedPutCount"] == 0
    assert len(result["RequestResponses"]) == len(payloads)


def test_concurrent_batches_all_succeed_with_unique_record_ids(clock: FakeClock) -> None:
    # The server answers requests on many threads: a shared id generator once raised
    # "generator already executing" under load, and SNS dropped the record.
    backend = make_stream(interval=60)
    threads, batches = 8, 50
    start = threading.Barrier(threads)
    ids: list[list[str]] = [[] for _ in range(threads)]

    def send(slot: int) -> None:
        start.wait()
        for _ in range(batches):
            result = backend.put_record_batch("lake-stream", [{"Data": b"x"}] * 10)
            assert result["FailedPutCount"] == 0
            ids[slot] += [r["RecordId"] for r in result["RequestResponses"]]

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(threads)))
    every = [record_id for slot in ids for record_id in slot]
    assert len(every) == len(set(every)) == threads * batches * 10


def test_nothing_is_written_before_the_interval(clock: FakeClock) -> None:
    backend = make_stream(interval=60)
    put(backend, b'{"n":1}\n', b'{"n":2}\n')
    clock.advance(59.9)
    assert backend.flush_due() == pytest.approx(clock.now + 0.1)
    assert objects() == {}
    assert backend.buffered_records("lake-stream") == 2


def test_interval_flush_writes_one_object_keyed_by_the_oldest_arrival(clock: FakeClock) -> None:
    backend = make_stream(interval=60)
    put(backend, b'{"n":1}\n')  # arrives 07:30:15
    clock.advance(30)
    put(backend, b'{"n":2}\n')  # same buffer: the interval runs from the oldest record
    clock.advance(30)
    assert backend.flush_due() is None
    [(key, body)] = objects().items()
    assert key.startswith("landing_date=2026-11-28/lake-stream-1-2026-11-28-07-30-15-")
    assert len(key.rsplit("-", 5)[-5:]) == 5  # uuid suffix
    assert body == b'{"n":1}\n{"n":2}\n'
    assert backend.buffered_records("lake-stream") == 0


def test_size_flush_happens_at_once_whichever_comes_first(clock: FakeClock) -> None:
    backend = make_stream(interval=900, size_mb=1)
    record = b"x" * (400 * 1024)
    put(backend, record, record)  # 800 KiB: below 1 MiB
    assert objects() == {}
    put(backend, record)  # 1.2 MiB: size reached long before 900 s
    [body] = objects().values()
    assert len(body) == 3 * len(record) >= MIB


def test_next_buffer_starts_fresh_after_a_flush(clock: FakeClock) -> None:
    backend = make_stream(interval=10)
    put(backend, b"a\n")
    clock.advance(10)
    backend.flush_due()
    clock.advance(3600)  # an hour later: a new object in a new window
    put(backend, b"b\n")
    clock.advance(10)
    backend.flush_due()
    keys = sorted(objects())
    assert len(keys) == 2
    assert "-2026-11-28-07-30-15-" in keys[0]
    assert "-2026-11-28-08-30-25-" in keys[1]


def test_default_prefix_is_utc_hour_path(clock: FakeClock) -> None:
    backend = make_stream(prefix=None, error_prefix=None, interval=0)
    put(backend, b"r\n")
    [key] = objects()
    assert key.startswith("2026/11/28/07/lake-stream-1-2026-11-28-07-30-15-")


def test_gzip_compresses_and_adds_extension(clock: FakeClock) -> None:
    backend = make_stream(compression="GZIP", interval=1)
    put(backend, b'{"n":1}\n')
    clock.advance(1)
    backend.flush_due()
    [(key, body)] = objects().items()
    assert key.endswith(".gz")
    assert gzip.decompress(body) == b'{"n":1}\n'


def test_failed_s3_write_keeps_records_and_retries(clock: FakeClock) -> None:
    backend = make_stream(interval=5, create_bucket=False)
    put(backend, b"keep me\n")
    clock.advance(5)
    assert backend.flush_due() == pytest.approx(clock.now + 1.0)  # retried soon
    assert backend.buffered_records("lake-stream") == 1
    s3().create_bucket(BUCKET, REGION)
    clock.advance(1)
    backend.flush_due()
    assert list(objects().values()) == [b"keep me\n"]


def test_flusher_stop_delivers_everything_buffered(clock: FakeClock) -> None:
    backend = make_stream(interval=900)
    put(backend, b"1\n", b"2\n", b"3\n")
    report = BufferFlusher().stop()
    assert (report.delivered, report.undelivered) == (3, 0)
    assert list(objects().values()) == [b"1\n2\n3\n"]


def test_flusher_stop_reports_what_s3_refused(clock: FakeClock) -> None:
    backend = make_stream(interval=900, create_bucket=False)
    put(backend, b"1\n")
    report = BufferFlusher().stop()
    assert (report.delivered, report.undelivered) == (0, 1)


def test_deleting_a_stream_delivers_its_buffer_first(clock: FakeClock) -> None:
    backend = make_stream(interval=900)
    put(backend, b"last\n")
    backend.delete_delivery_stream("lake-stream")
    assert list(objects().values()) == [b"last\n"]
    with pytest.raises(ResourceNotFoundException):
        put(backend, b"gone\n")


def test_update_delivers_old_buffer_under_old_prefix_and_bumps_version(clock: FakeClock) -> None:
    backend = make_stream(interval=900, prefix="old/", error_prefix=None)
    put(backend, b"before\n")
    stream = backend.delivery_streams["lake-stream"]
    backend.update_destination(
        "lake-stream",
        stream.version_id,
        "destinationId-000000000001",
        None,
        {"Prefix": "new/", "BufferingHints": {"IntervalInSeconds": 0, "SizeInMBs": 1}},
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    put(backend, b"after\n")
    keys = sorted(objects())
    assert keys[0].startswith("new/2026/11/28/07/lake-stream-2-")
    assert keys[1].startswith("old/2026/11/28/07/lake-stream-1-")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prefix": "p=!{timestamp:yyyy}/", "error_prefix": None}, "ErrorOutputPrefix"),
        ({"prefix": "!{firehose:error-output-type}/"}, "error-output-type"),
        ({"compression": "Snappy"}, "not supported"),
    ],
)
def test_invalid_configuration_is_rejected_at_creation(
    clock: FakeClock, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentException, match=message):
        make_stream(**kwargs)


def test_batch_limits_match_aws(clock: FakeClock) -> None:
    backend = make_stream()
    with pytest.raises(InvalidArgumentException, match="500"):
        put(backend, *[b"x"] * 501)
    with pytest.raises(InvalidArgumentException, match="Record size"):
        put(backend, b"x" * (1000 * 1024 + 1))
    assert backend.buffered_records("lake-stream") == 0
