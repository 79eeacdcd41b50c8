"""Parse time of an SNS PublishBatch in moto's query parser, stock and linear.

Issue #15 measured 1,000 entries at 3.8 s and 3,000 at 27 s through the server. The
parse alone, in-process, for n entries (each with one message attribute):

    .venv/bin/python bench/query_parse.py [--entries 1000 2000 4000 10000] [--stock-max 2000]

The server now refuses a batch of more than 10 entries before parsing it; this measures
the parser itself, which every query-protocol request (SNS, SQS's query API, IAM, STS,
CloudFormation) goes through.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from moto.core import parse as moto_parse
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict

from messaging.localcloud.query_parser import LinearQueryParser


def request(entries: int) -> dict[str, Any]:
    values: dict[str, str] = {"Action": "PublishBatch", "TopicArn": "arn:aws:sns:us-east-1:1:t"}
    for n in range(1, entries + 1):
        member = f"PublishBatchRequestEntries.member.{n}"
        values[f"{member}.Id"] = str(n)
        values[f"{member}.Message"] = "x" * 100
        values[f"{member}.MessageAttributes.entry.1.Name"] = "event_type"
        values[f"{member}.MessageAttributes.entry.1.Value.DataType"] = "String"
        values[f"{member}.MessageAttributes.entry.1.Value.StringValue"] = "consumer.created"
    return {"method": "POST", "values": MultiDict(values), "headers": {}, "body": b"",
            "url_path": "/", "url_params": {}}  # fmt: skip


def seconds(parser: type, entries: int) -> float:
    model = get_service_model("sns").operation_model("PublishBatch")
    built = request(entries)
    start = time.perf_counter()
    parser(model).parse(built)
    return time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--entries", type=int, nargs="+", default=[1000, 2000, 4000, 10000])
    options.add_argument(
        "--stock-max", type=int, default=2000, help="skip stock moto above this (quadratic)"
    )
    args = options.parse_args()
    print("SNS PublishBatch parse, in-process, one message attribute per entry")
    print(f"  {'entries':>8} {'stock moto':>12} {'linear':>10}")
    for entries in args.entries:
        stock = seconds(moto_parse.QueryParser, entries) if entries <= args.stock_max else None
        ours = seconds(LinearQueryParser, entries)
        shown = f"{stock:10.3f} s" if stock is not None else f"{'(skipped)':>12}"
        print(f"  {entries:>8} {shown} {ours:8.3f} s")
    print("reproduce: python bench/query_parse.py")


if __name__ == "__main__":
    main()
