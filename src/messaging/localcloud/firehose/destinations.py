"""Where a stream's records land: its S3 destination, or the S3 backup Firehose would use.

The gap it closes: moto accepted Redshift, Elasticsearch and Snowflake streams and threw
their records away while answering success; it posted HTTP-endpoint records to the
internet; and we had refused these destinations, and format conversion, outright,
although AWS accepts them. A local cloud cannot reach a Redshift cluster, a Splunk
endpoint or a Glue schema, but it can do what Firehose does when delivery or processing
fails: keep the records in the stream's S3 bucket, apart from good data, and say so.

- S3 and ExtendedS3: records are data, delivered under `Prefix`.
- ExtendedS3 with `ProcessingConfiguration` or `DataFormatConversionConfiguration`
  enabled: the local cloud runs no Lambda processor and converts no formats, so every
  record is a failure of that step, written under `ErrorOutputPrefix` with the error
  output type `processing-failed` or `format-conversion-failed` (under
  `<type>/yyyy/MM/dd/HH/` without an ErrorOutputPrefix), as Firehose writes the records
  a step fails.
- Redshift: Firehose stages every record in the destination's S3 configuration before
  its COPY; the objects land there as on AWS, and the COPY never runs.
- Elasticsearch, Splunk, HTTP endpoint, Snowflake, Iceberg: every delivery fails, so
  every record is backed up to the destination's S3 configuration (Firehose backs up
  failed data whatever `S3BackupMode` says), under its ErrorOutputPrefix or
  `<kind>-failed/` (`http-endpoint-failed/`, `splunk-failed/`, ...).

In every failure case DescribeDeliveryStream's `FailureDescription` says what happened
and where the records are, so nothing is dropped silently.

Known limits: records are never delivered to the destination itself; no retries over
`RetryOptions` (the failure is certain here); dynamic partitioning stays refused (its
prefixes need record parsing the local cloud does not do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from messaging.localcloud.firehose.buffer import S3Delivery

__all__ = ["Target", "delivery_for", "failure_description"]

# Destinations whose delivery always fails here, and the folder Firehose backs them up to.
UNREACHABLE = {
    "HttpEndpoint": "http-endpoint-failed",
    "Elasticsearch": "elasticsearch-failed",
    "Splunk": "splunk-failed",
    "Snowflake": "snowflake-failed",
    "Iceberg": "iceberg-failed",
}
STAGED = "Redshift"
STEPS = {
    "ProcessingConfiguration": "processing-failed",
    "DataFormatConversionConfiguration": "format-conversion-failed",
}


@dataclass(frozen=True)
class Target:
    """The S3 delivery of a stream's records, and the failure that sends them there."""

    delivery: S3Delivery
    failure: str | None = None  # None: the records are data


def _enabled(config: dict[str, Any] | None) -> bool:
    return bool(config) and (config or {}).get("Enabled", True) in (True, "true", "True")


def delivery_for(destination: dict[str, Any]) -> Target | None:
    """Where the records of a stream with this destination land; None for none of ours."""
    extended = destination.get("ExtendedS3")
    if isinstance(extended, dict):
        for step, error_type in STEPS.items():
            if _enabled(extended.get(step)):
                reason = f"{step} is enabled, and the local cloud does not run it"
                return Target(S3Delivery.of(extended, error_type), reason)
        return Target(S3Delivery.of(extended))
    plain = destination.get("S3")
    if isinstance(plain, dict):
        return Target(S3Delivery.of(plain))
    for kind, config in destination.items():
        if not isinstance(config, dict) or not isinstance(
            config.get("S3DestinationDescription"), dict
        ):
            continue
        backup = dict(config["S3DestinationDescription"])
        if kind == STAGED:
            reason = "a Redshift cluster is out of the local cloud's reach: no COPY runs"
            return Target(S3Delivery.of(backup), reason)
        if kind in UNREACHABLE:
            backup.setdefault("BufferingHints", config.get("BufferingHints") or {})
            reason = f"a {kind} destination is out of the local cloud's reach"
            return Target(S3Delivery.of(backup, UNREACHABLE[kind]), reason)
    return None


def failure_description(target: Target, delivered: int, location: str) -> dict[str, str]:
    """DescribeDeliveryStream's FailureDescription after records went to `location`."""
    return {
        "Type": "UNKNOWN_ERROR",
        "Details": f"{target.failure}; {delivered} record(s) written to {location} instead, "
        "as Firehose does with records it cannot deliver",
    }
