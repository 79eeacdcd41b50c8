"""AWS list prices for one region, as data: one table, dated, each price with its page.

Prices are us-east-1 list prices in USD, the first (most expensive) tier of each,
as published on the date below. **Free tiers are left out** (the first million SNS
and SQS requests a month, Lambda's monthly free requests and GB-seconds, ...): a
figure here is what the run would cost an account past its free tier, which is what a
team comparing designs needs. Volume tiers (cheaper past many TB or billions of
requests) are left out too, so at large volumes the figure is an upper bound.

`checked` says how each price was confirmed on that date: `search` (found in a
document that quotes AWS's page or price list) or `recalled` (from AWS's pricing page
as the author knew it, not found again that day). The SNS payload charge for Firehose
subscriptions is not in the table: no source could be found for it.

Known limits: one region, on-demand only (provisioned DynamoDB capacity is in
`PROVISIONED`, used for the capacity-mode break-even, not for a run's bill).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["PRICES", "PRICES_DATE", "PROVISIONED", "REGION", "Price"]

REGION: Final = "us-east-1"
PRICES_DATE: Final = "2026-11-30"


@dataclass(frozen=True)
class Price:
    """USD for `per` units of `unit`."""

    usd: float
    per: float
    unit: str
    source: str
    checked: str

    @property
    def unit_usd(self) -> float:
        return self.usd / self.per


MILLION: Final = 1_000_000.0
GB: Final = 1024.0**3

PRICES: Final[dict[str, Price]] = {
    # https://aws.amazon.com/sns/pricing/ - standard topics, API requests (64 KiB chunks)
    "sns.requests": Price(
        0.50, MILLION, "request", "https://aws.amazon.com/sns/pricing/", "search"
    ),
    # https://aws.amazon.com/sns/pricing/ - notification deliveries to Amazon Data Firehose
    # (deliveries to SQS are free)
    "sns.firehose_deliveries": Price(
        0.19, MILLION, "notification", "https://aws.amazon.com/sns/pricing/", "search"
    ),
    # https://aws.amazon.com/sqs/pricing/ - standard queues, requests (64 KiB chunks)
    "sqs.requests": Price(
        0.40, MILLION, "request", "https://aws.amazon.com/sqs/pricing/", "search"
    ),
    # https://aws.amazon.com/firehose/pricing/ - Direct PUT ingestion, first 500 TB/month,
    # each record rounded up to 5 KiB
    "firehose.ingested_gb": Price(
        0.029, 1.0, "GB", "https://aws.amazon.com/firehose/pricing/", "recalled"
    ),
    # https://aws.amazon.com/s3/pricing/ - S3 Standard PUT/COPY/POST/LIST requests
    "s3.put_requests": Price(
        0.005, 1000.0, "request", "https://aws.amazon.com/s3/pricing/", "recalled"
    ),
    # https://aws.amazon.com/s3/pricing/ - S3 Standard storage, first 50 TB/month
    "s3.storage_gb_month": Price(
        0.023, 1.0, "GB-month", "https://aws.amazon.com/s3/pricing/", "recalled"
    ),
    # https://aws.amazon.com/dynamodb/pricing/on-demand/ - after the cut of 2024-11-01
    "dynamodb.write_units": Price(
        0.625,
        MILLION,
        "write request unit",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "search",
    ),
    "dynamodb.read_units": Price(
        0.125,
        MILLION,
        "read request unit",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "search",
    ),
    # https://aws.amazon.com/lambda/pricing/ - requests, and duration on Arm (the
    # template's functions are arm64; x86 would be 0.0000166667), first tier
    "lambda.requests": Price(
        0.20, MILLION, "request", "https://aws.amazon.com/lambda/pricing/", "search"
    ),
    "lambda.gb_seconds": Price(
        0.0000133334, 1.0, "GB-second", "https://aws.amazon.com/lambda/pricing/", "search"
    ),
    # https://aws.amazon.com/kms/pricing/ - API requests
    "kms.requests": Price(
        0.03, 10_000.0, "request", "https://aws.amazon.com/kms/pricing/", "recalled"
    ),
    # https://aws.amazon.com/cloudwatch/pricing/ - Logs, standard ingestion
    "logs.ingested_gb": Price(
        0.50, 1.0, "GB", "https://aws.amazon.com/cloudwatch/pricing/", "recalled"
    ),
}

# https://aws.amazon.com/dynamodb/pricing/provisioned/ - per capacity unit and hour
PROVISIONED: Final[dict[str, Price]] = {
    "dynamodb.wcu_hour": Price(
        0.00065, 1.0, "WCU-hour", "https://aws.amazon.com/dynamodb/pricing/provisioned/", "search"
    ),
    "dynamodb.rcu_hour": Price(
        0.00013, 1.0, "RCU-hour", "https://aws.amazon.com/dynamodb/pricing/provisioned/", "search"
    ),
}
