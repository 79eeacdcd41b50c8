"""Firehose -> S3 as on AWS: a buffer per stream, flushed by interval or size.

The gap it closes: moto's `FirehoseBackend.put_record_batch` writes one S3 object per
call, at once, ignores `BufferingHints`, and leaves prefix expressions literal
(`landing_date=!{timestamp:yyyy-MM-dd}/2026/11/28/00/...`). A data lake built on that
shows nothing of how Firehose really behaves.

What this backend does instead, for S3 and ExtendedS3 destinations:

- records accumulate in one buffer per stream; the buffer is delivered when
  `IntervalInSeconds` has elapsed since its oldest record arrived, or when it holds
  `SizeInMBs`, whichever comes first (AWS defaults: 300 s, 5 MiB);
- the object key is `<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`
  (`.gz` under GZIP), where every timestamp is the UTC arrival time of the oldest record
  in the object (see `firehose_prefix`);
- records are concatenated as given; SNS appends the newline that separates its records;
- a failed S3 write keeps the records buffered and is retried at the next tick, so a
  missing bucket does not lose data; `flush_all` runs on shutdown.

Persistence: buffers pickle with the backend (a snapshot holds `held_for_snapshot()` so none is
half-delivered); the lock is made anew on restore.

Destinations the local cloud cannot reach (Redshift, Elasticsearch, Splunk, HTTP
endpoints, Snowflake, Iceberg), and the processing and format conversion it does not
run, are accepted as AWS accepts them; their records go where Firehose puts records it
cannot deliver, and DescribeDeliveryStream's FailureDescription says so
(`destinations`). A stream's encryption is described with its Status, and PutRecord and
PutRecordBatch report `Encrypted` from it.

Known limits: no dynamic partitioning, no compression other than GZIP; a stream
configured with either is rejected at creation rather than silently accepted.
"""

from __future__ import annotations

import gzip
import itertools
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from moto.firehose import models as moto_firehose
from moto.firehose.exceptions import ResourceNotFoundException
from moto.s3.models import s3_backends

from messaging.localcloud.firehose import prefix as firehose_prefix
from messaging.localcloud.firehose.buffer import (
    Config,
    FlushReport,
    StreamBuffer,
    check_batch_limits,
    record_bytes,
    timing,
    validate_s3_destination,
)
from messaging.localcloud.firehose.destinations import delivery_for, failure_description
from messaging.localcloud.firehose.flusher import BufferFlusher
from messaging.localcloud.seams import moto_urls, use_backend

__all__ = [
    "BufferFlusher",
    "FlushReport",
    "LocalFirehoseBackend",
    "install",
    "installed_backend",
    "timing",
]

logger = logging.getLogger(__name__)


class LocalFirehoseBackend(moto_firehose.FirehoseBackend):
    """moto's Firehose with real buffering for S3 destinations."""

    _url_module = moto_urls("firehose")

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._buffers: dict[str, StreamBuffer] = {}
        self._failed: dict[str, int] = {}  # records written to a failure location, per stream
        self._lock = threading.RLock()
        # Opaque and unique, as AWS's are: one random prefix and a counter, because a
        # uuid4 per record is costly. `next()` on a count is atomic; on a generator it
        # raises "generator already executing" when two requests race.
        self._record_id_prefix = uuid.uuid4().hex
        self._record_serial = itertools.count()

    # -- control plane -------------------------------------------------------------

    def create_delivery_stream(
        self,
        region: str,
        delivery_stream_name: str,
        delivery_stream_type: str,
        kinesis_stream_source_configuration: Config,
        delivery_stream_encryption_configuration_input: Config,
        s3_destination_configuration: Config,
        extended_s3_destination_configuration: Config,
        redshift_destination_configuration: Config,
        elasticsearch_destination_configuration: Config,
        splunk_destination_configuration: Config,
        http_endpoint_destination_configuration: Config,
        snowflake_destination_configuration: Config,
        iceberg_destination_configuration: Config,
        tags: list[dict[str, str]] | None,
    ) -> str:
        validate_s3_destination(s3_destination_configuration)
        validate_s3_destination(extended_s3_destination_configuration)
        for other in (
            redshift_destination_configuration,
            elasticsearch_destination_configuration,
            splunk_destination_configuration,
            http_endpoint_destination_configuration,
            snowflake_destination_configuration,
            iceberg_destination_configuration,
        ):
            validate_s3_destination((other or {}).get("S3Configuration"))  # the backup
        parent: Any = super()  # moto's annotations say dict where it passes None
        arn = str(
            parent.create_delivery_stream(
                region,
                delivery_stream_name,
                delivery_stream_type,
                kinesis_stream_source_configuration,
                delivery_stream_encryption_configuration_input,
                s3_destination_configuration,
                extended_s3_destination_configuration,
                redshift_destination_configuration,
                elasticsearch_destination_configuration,
                splunk_destination_configuration,
                http_endpoint_destination_configuration,
                snowflake_destination_configuration,
                iceberg_destination_configuration,
                tags,
            )
        )
        encryption = delivery_stream_encryption_configuration_input
        if encryption:  # described as AWS does: with its Status
            stream = self._stream(delivery_stream_name)
            stream.delivery_stream_encryption_configuration = {**encryption, "Status": "ENABLED"}
        return arn

    def update_destination(
        self,
        delivery_stream_name: str,
        current_delivery_stream_version_id: str,
        destination_id: str,
        s3_destination_update: Config,
        extended_s3_destination_update: Config,
        s3_backup_mode: str | None,
        redshift_destination_update: Config,
        elasticsearch_destination_update: Config,
        splunk_destination_update: Config,
        http_endpoint_destination_update: Config,
        snowflake_destination_configuration: Config,
        iceberg_destination_update: Config,
    ) -> None:
        validate_s3_destination(s3_destination_update)
        validate_s3_destination(extended_s3_destination_update)
        with self._lock:
            # Records buffered under the old configuration are delivered with it.
            self._deliver_buffer(delivery_stream_name)
            parent: Any = super()  # moto's annotations say dict where it passes None
            parent.update_destination(
                delivery_stream_name,
                current_delivery_stream_version_id,
                destination_id,
                s3_destination_update,
                extended_s3_destination_update,
                s3_backup_mode,
                redshift_destination_update,
                elasticsearch_destination_update,
                splunk_destination_update,
                http_endpoint_destination_update,
                snowflake_destination_configuration,
                iceberg_destination_update,
            )

    def delete_delivery_stream(self, delivery_stream_name: str) -> None:
        with self._lock:
            self._deliver_buffer(delivery_stream_name)
            self._buffers.pop(delivery_stream_name, None)
            self._failed.pop(delivery_stream_name, None)
            super().delete_delivery_stream(delivery_stream_name)

    # -- data plane ----------------------------------------------------------------

    def put_record_batch(
        self, delivery_stream_name: str, records: list[dict[str, bytes]]
    ) -> dict[str, Any]:
        stream = self._stream(delivery_stream_name)
        target = delivery_for(stream.destinations[0])
        if target is None:
            return dict(super().put_record_batch(delivery_stream_name, records))
        payloads = [record_bytes(record) for record in records]
        check_batch_limits(payloads)
        delivery = target.delivery
        with self._lock:
            buffer = self._buffers.get(delivery_stream_name)
            if buffer is None:
                buffer = StreamBuffer(first_arrival=timing.clock())
                self._buffers[delivery_stream_name] = buffer
                timing.wakeup.set()
            buffer.records.extend(payloads)
            buffer.size += sum(len(payload) for payload in payloads)
            if buffer.size >= delivery.size_bytes or delivery.interval_seconds == 0:
                self._deliver_buffer(delivery_stream_name)
        encryption = stream.delivery_stream_encryption_configuration or {}
        return {
            "FailedPutCount": 0,
            "Encrypted": bool(encryption) and encryption.get("Status", "ENABLED") == "ENABLED",
            "RequestResponses": [{"RecordId": self._next_record_id()} for _ in payloads],
        }

    def put_record(self, delivery_stream_name: str, record: dict[str, bytes]) -> dict[str, Any]:
        """moto answered `Encrypted: false` whatever the stream's encryption."""
        result = self.put_record_batch(delivery_stream_name, [record])
        return {
            "RecordId": result["RequestResponses"][0]["RecordId"],
            "Encrypted": result["Encrypted"],
        }

    def _next_record_id(self) -> str:
        return f"{self._record_id_prefix}{next(self._record_serial):016x}"

    @contextmanager
    def held_for_snapshot(self) -> Iterator[None]:
        """Hold the buffers still (no put, no delivery), for a consistent snapshot."""
        with self._lock:
            yield

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_record_serial")}
        # A new id prefix after a restore keeps record ids unique without the counter.
        state["_record_id_prefix"] = uuid.uuid4().hex
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        self._record_serial = itertools.count()

    def flush_due(self) -> float | None:
        """Deliver every buffer whose interval has elapsed; return the next deadline."""
        now = timing.clock()
        next_deadline: float | None = None
        with self._lock:
            for name in list(self._buffers):
                deadline = self._deadline(name)
                if deadline is None:
                    continue
                if deadline <= now:
                    self._deliver_buffer(name)
                    deadline = self._deadline(name)  # still set if delivery failed
                    if deadline is not None:
                        deadline = now + 1.0  # retry a failed write soon, not in a busy loop
                if deadline is not None and (next_deadline is None or deadline < next_deadline):
                    next_deadline = deadline
        return next_deadline

    def flush_all(self) -> FlushReport:
        """Deliver everything buffered now (shutdown)."""
        with self._lock:
            delivered = sum(self._deliver_buffer(name) for name in list(self._buffers))
            undelivered = sum(len(buffer.records) for buffer in self._buffers.values())
        return FlushReport(delivered, undelivered)

    def buffered_records(self, delivery_stream_name: str) -> int:
        with self._lock:
            buffer = self._buffers.get(delivery_stream_name)
            return len(buffer.records) if buffer else 0

    # -- internals -----------------------------------------------------------------

    def _stream(self, name: str) -> moto_firehose.DeliveryStream:
        stream = self.delivery_streams.get(name)
        if stream is None:
            raise ResourceNotFoundException(
                f"Firehose {name} under account {self.account_id} not found."
            )
        return stream

    def _deadline(self, name: str) -> float | None:
        buffer = self._buffers.get(name)
        stream = self.delivery_streams.get(name)
        if buffer is None or stream is None:
            return None
        target = delivery_for(stream.destinations[0])
        if target is None:
            return None
        return buffer.first_arrival + target.delivery.interval_seconds

    def _deliver_buffer(self, name: str) -> int:
        """Write one S3 object from the stream's buffer; keep the buffer if S3 refuses.

        Returns the number of records delivered.
        """
        buffer = self._buffers.get(name)
        stream = self.delivery_streams.get(name)
        if buffer is None or stream is None or not buffer.records:
            return 0
        target = delivery_for(stream.destinations[0])
        if target is None:
            return 0
        delivery = target.delivery
        arrival = datetime.fromtimestamp(buffer.first_arrival, tz=UTC)
        key = firehose_prefix.object_key(
            delivery.prefix,
            name,
            stream.version_id,
            arrival,
            object_id=str(uuid.uuid4()),
            extension=delivery.extension,
            error_output_type=delivery.error_output_type,
        )
        body = b"".join(buffer.records)
        if delivery.extension == ".gz":
            body = gzip.compress(body)
        try:
            s3_backends[self.account_id][self.partition].put_object(delivery.bucket, key, body)
        except Exception as error:  # noqa: BLE001 - any S3 refusal is retried, never dropped
            logger.warning(
                "firehose %s: S3 delivery of %d records to %s failed (%s); will retry",
                name,
                len(buffer.records),
                delivery.bucket,
                error,
            )
            return 0
        del self._buffers[name]
        if target.failure is not None:  # visible as AWS makes failures visible
            self._failed[name] = self._failed.get(name, 0) + len(buffer.records)
            location = f"s3://{delivery.bucket}/{key.rsplit('/', 1)[0]}/"
            stream.failure_description = failure_description(  # type: ignore[attr-defined]
                target, self._failed[name], location
            )
        logger.info(
            "firehose %s: delivered %d records to s3://%s/%s",
            name,
            len(buffer.records),
            delivery.bucket,
            key,
        )
        return len(buffer.records)


def installed_backend(account_id: str, region: str) -> LocalFirehoseBackend:
    """The buffering backend for an account and region; `install()` must have run."""
    backend = moto_firehose.firehose_backends[account_id][region]
    if not isinstance(backend, LocalFirehoseBackend):
        raise TypeError("messaging.localcloud is not installed: call install() first")
    return backend


def install() -> None:
    """Make moto's Firehose BackendDict build our backend (idempotent)."""
    use_backend(moto_firehose.firehose_backends, LocalFirehoseBackend)
