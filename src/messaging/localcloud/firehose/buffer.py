"""What a Firehose buffer is, when it is due, and what the local cloud accepts.

Split from `firehose` so the backend reads as delivery logic: here are the AWS limits
and defaults (300 s / 5 MiB buffering, 500 records and 4 MiB per PutRecordBatch, 1,000
KiB per record), the per-stream buffer, and the shared clock that tests replace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.firehose.exceptions import InvalidArgumentException

from messaging.localcloud.firehose import prefix as firehose_prefix

__all__ = [
    "MIB",
    "Config",
    "FlushReport",
    "S3Delivery",
    "StreamBuffer",
    "Timing",
    "check_batch_limits",
    "record_bytes",
    "s3_config",
    "timing",
    "validate_s3_destination",
]

# moto types these as dicts, but its own response layer passes None when absent.
Config = dict[str, Any] | None

MIB = 1024 * 1024
DEFAULT_INTERVAL_SECONDS = 300
DEFAULT_SIZE_MB = 5
MAX_BATCH_RECORDS = 500
MAX_RECORD_BYTES = 1000 * 1024
MAX_BATCH_BYTES = 4 * MIB
SUPPORTED_COMPRESSION = {"UNCOMPRESSED": "", "GZIP": ".gz"}


@dataclass
class Timing:
    """The clock and wake-up signal shared by every backend and the flusher thread.

    Shared because moto builds one backend per account and region lazily, while one
    flusher serves them all; tests swap the clock to control time without sleeping.
    """

    clock: Callable[[], float] = time.time
    wakeup: threading.Event = field(default_factory=threading.Event)


timing = Timing()


@dataclass(frozen=True)
class FlushReport:
    """What a shutdown flush did: records written to S3, and records S3 refused."""

    delivered: int = 0
    undelivered: int = 0

    def __add__(self, other: FlushReport) -> FlushReport:
        return FlushReport(self.delivered + other.delivered, self.undelivered + other.undelivered)


@dataclass
class StreamBuffer:
    """Records waiting for delivery, and when the oldest of them arrived."""

    first_arrival: float
    records: list[bytes] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True)
class S3Delivery:
    """The parts of a stream's S3 destination that shape delivery."""

    bucket: str
    prefix: str | None
    interval_seconds: int
    size_bytes: int
    extension: str
    error_output_type: str | None = None  # set when the records are failures, not data

    @classmethod
    def of(cls, config: dict[str, Any], error_output_type: str | None = None) -> S3Delivery:
        """Data goes under Prefix; failures under ErrorOutputPrefix, else `<type>/`."""
        hints = config.get("BufferingHints") or {}
        compression = str(config.get("CompressionFormat") or "UNCOMPRESSED")
        prefix = config.get("Prefix")
        if error_output_type is not None:
            prefix = config.get("ErrorOutputPrefix") or f"{error_output_type}/"
        return cls(
            bucket=str(config["BucketARN"]).split(":")[-1],
            prefix=prefix,
            interval_seconds=int(hints.get("IntervalInSeconds", DEFAULT_INTERVAL_SECONDS)),
            size_bytes=int(hints.get("SizeInMBs", DEFAULT_SIZE_MB)) * MIB,
            extension=SUPPORTED_COMPRESSION.get(compression, ""),
            error_output_type=error_output_type,
        )


def s3_config(destination: dict[str, Any]) -> dict[str, Any] | None:
    """ExtendedS3 wins over the S3 description moto adds beside it."""
    config = destination.get("ExtendedS3") or destination.get("S3")
    return config if isinstance(config, dict) else None


def validate_s3_destination(config: dict[str, Any] | None) -> None:
    """Reject what this local cloud cannot deliver faithfully, as CreateDeliveryStream would."""
    if not config:
        return
    try:
        firehose_prefix.validate_prefixes(config.get("Prefix"), config.get("ErrorOutputPrefix"))
    except firehose_prefix.PrefixError as error:
        raise InvalidArgumentException(str(error)) from error
    compression = str(config.get("CompressionFormat") or "UNCOMPRESSED")
    if compression not in SUPPORTED_COMPRESSION:
        raise InvalidArgumentException(
            f"CompressionFormat {compression} is not supported by the local cloud "
            f"(supported: {', '.join(sorted(SUPPORTED_COMPRESSION))})."
        )
    # Processing and format conversion are accepted: their records go to the error
    # output (`destinations`). Dynamic partitioning needs prefixes this cloud refuses.
    dynamic = config.get("DynamicPartitioningConfiguration") or {}
    if dynamic.get("Enabled") in (True, "true", "True"):
        raise InvalidArgumentException(
            "DynamicPartitioningConfiguration is not supported by the local cloud."
        )


def record_bytes(record: dict[str, Any]) -> bytes:
    data = record.get("Data", b"")
    return data if isinstance(data, bytes) else str(data).encode()


def check_batch_limits(payloads: list[bytes]) -> None:
    if len(payloads) > MAX_BATCH_RECORDS:
        raise InvalidArgumentException(
            f"Records size {len(payloads)} exceeds the limit of {MAX_BATCH_RECORDS}."
        )
    for payload in payloads:
        if len(payload) > MAX_RECORD_BYTES:
            raise InvalidArgumentException(
                f"Record size {len(payload)} bytes exceeds the limit of {MAX_RECORD_BYTES}."
            )
    if sum(len(payload) for payload in payloads) > MAX_BATCH_BYTES:
        raise InvalidArgumentException(f"Request size exceeds the limit of {MAX_BATCH_BYTES}.")
