"""The price model: metered usage in, USD by service and operation out.

Billing rules (DESIGN.md "What it costs"), applied to `messaging.core.metering.Usage`:

- SNS and SQS bill requests, one per started 64 KiB of a call's payload, a batch being
  one request; a retried attempt is billed again (`max(requests, billed_requests)`).
  Deliveries from SNS to SQS are free; deliveries to Firehose are billed per
  notification (each published message).
- Firehose bills ingestion per GB, each record rounded up to 5 KiB. SNS delivers to
  Firehose server-side, so ingestion is metered from what was published: each message
  is one record.
- DynamoDB on-demand bills write and read request units, never requests.
- Lambda bills invocations and GB-seconds (billed duration times memory); the event
  source mapping's polling costs nothing in Lambda, but its SQS requests are SQS
  requests, billed as such (they are metered where the endpoint exposes them).
- S3 bills PUTs (one per lake object) and storage; storage is priced for one month of
  the bytes the run landed. CloudWatch Logs bills ingestion of the functions' lines.
- KMS bills requests; the KMS calls SNS makes for an encrypted topic are server-side
  and not seen by the client, so they are not in the figure.

Against AWS the result is an estimate from list prices (free tiers and volume tiers
left out, see `prices`); the figure says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from messaging.core.metering import Usage
from messaging.simulation.cost.prices import GB, PRICES, PRICES_DATE, REGION

__all__ = ["AwsCost", "CostLine", "Extras", "price_usage"]

NOTE = (
    "estimate from {region} list prices of {date}, free tiers left out; "
    "KMS calls made server-side by SNS are not seen"
)


class CostLine(BaseModel):
    service: str
    operation: str
    quantity: float
    unit: str
    usd: float


class AwsCost(BaseModel):
    """What the run would cost on AWS, by service and operation; `--report-json` carries it."""

    region: str
    prices_date: str
    events: int
    total_usd: float
    usd_per_million_events: float
    by_service: dict[str, float]
    lines: list[CostLine]
    note: str


@dataclass(frozen=True)
class Extras:
    """What the client-side meter cannot see on its own, measured elsewhere in the run."""

    lambda_invocations: int = 0
    lambda_gb_seconds: float = 0.0
    log_bytes: int = 0  # CloudWatch Logs ingestion of the functions' lines
    lake_objects: int = 0  # S3 PUTs by Firehose
    lake_bytes: int = 0  # stored in the lake


def _line(service: str, operation: str, quantity: float, price: str) -> CostLine:
    listed = PRICES[price]
    return CostLine(
        service=service,
        operation=operation,
        quantity=round(quantity, 6),
        unit=listed.unit,
        usd=quantity * listed.unit_usd,
    )


def _usage_lines(key: str, usage: Usage) -> list[CostLine]:
    service, _, operation = key.partition(":")
    billed = max(usage.requests, usage.billed_requests)
    lines: list[CostLine] = []
    if service in ("sns", "sqs"):
        lines.append(_line(service, operation, billed, f"{service}.requests"))
    if service == "sns" and usage.firehose_bytes:
        lines.append(
            _line("sns", f"{operation} -> Firehose", usage.records, "sns.firehose_deliveries")
        )
        lines.append(
            _line(
                "firehose",
                "ingestion (from SNS)",
                usage.firehose_bytes / GB,
                "firehose.ingested_gb",
            )
        )
    if service == "dynamodb":
        if usage.write_units:
            lines.append(_line(service, operation, usage.write_units, "dynamodb.write_units"))
        if usage.read_units:
            lines.append(_line(service, operation, usage.read_units, "dynamodb.read_units"))
    if service == "kms":
        lines.append(_line(service, operation, usage.requests, "kms.requests"))
    return lines


def price_usage(usage: Mapping[str, Usage], events: int, extras: Extras = Extras()) -> AwsCost:
    """Price metered usage (by `service:Operation`) and what the run measured elsewhere."""
    lines = [line for key in sorted(usage) for line in _usage_lines(key, usage[key])]
    if extras.lambda_invocations:
        lines.append(_line("lambda", "invocations", extras.lambda_invocations, "lambda.requests"))
        lines.append(_line("lambda", "duration", extras.lambda_gb_seconds, "lambda.gb_seconds"))
    if extras.log_bytes:
        lines.append(_line("logs", "ingestion", extras.log_bytes / GB, "logs.ingested_gb"))
    if extras.lake_objects:
        lines.append(_line("s3", "PutObject (Firehose)", extras.lake_objects, "s3.put_requests"))
        lines.append(
            _line("s3", "storage (one month)", extras.lake_bytes / GB, "s3.storage_gb_month")
        )
    total = sum(line.usd for line in lines)
    by_service: dict[str, float] = {}
    for line in lines:
        by_service[line.service] = by_service.get(line.service, 0.0) + line.usd
    return AwsCost(
        region=REGION,
        prices_date=PRICES_DATE,
        events=events,
        total_usd=total,
        usd_per_million_events=total / max(events, 1) * 1_000_000,
        by_service=by_service,
        lines=[line for line in lines if line.quantity],
        note=NOTE.format(region=REGION, date=PRICES_DATE),
    )
