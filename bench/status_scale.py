"""`messaging status` at a million stored items, and Scan pagination against moto's.

Issue #15: after a soak, one `messaging status` took 114 s, because moto's Scan sorts and
walks the whole table for every page. Here:

1. a local cloud in this process, the stack deployed, `--items` items loaded straight
   into the orders table (through the backend: loading a million over HTTP would be
   the benchmark);
2. `status` over HTTP, approximate (DescribeTable ItemCount) and `--exact` (Scan
   Select=COUNT, every page), timed;
3. a full paginated scan in-process, with our pages and with moto's own
   (`Table.scan` on the same table), at `--stock-items`: moto's grows with the square
   of the table, ours linearly;
4. a snapshot of that state (`--state-dir`'s periodic one): how long requests are held
   back (the fork), how long the child takes to write it, its size, and how long
   unpickling it takes (most of a restore).

    .venv/bin/python bench/status_scale.py [--items 1000000] [--stock-items 100000]
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from messaging.localcloud.dynamodb.scan import scan_page
from messaging.localcloud.server import LocalCloud
from messaging.localcloud.state.persistence import STATE_FILE, Persistence
from messaging.ops import stack, status
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings

ACCOUNT = "123456789012"


def load(table: str, first: int, count: int) -> None:
    backend = dynamodb_backends[ACCOUNT]["us-east-1"]
    for n in range(first, first + count):
        backend.put_item(
            table,
            {
                "consumer_id": {"S": f"{n:032x}"},
                "name": {"S": f"Consumer {n}"},
                "email": {"S": f"consumer{n}@example.org"},
                "stored_at": {"S": "2026-11-29T12:00:00+00:00"},
            },
        )


def full_scan(table: Table, page: Any) -> tuple[float, int, int]:
    """(seconds, items, pages) of a paginated scan with `page` (ours or moto's)."""
    started = time.perf_counter()
    start, items, pages = None, 0, 0
    while True:
        results, _, start = page(table, {}, None, start)
        items += len(results)
        pages += 1
        if start is None:
            return time.perf_counter() - started, items, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--stock-items", type=int, default=100_000)
    args = parser.parse_args()

    with LocalCloud(port=0) as cloud:
        settings = Settings(endpoint_url=cloud.endpoint_url, region=cloud.region)
        aws = Aws(settings, placeholder_credentials=cloud.placeholder_credentials)
        result = stack.deploy(
            aws.cloudformation(), "scale", stack.default_template_path().read_text(), {}
        )
        outputs = stack.StackOutputs.model_validate(result.outputs)
        table = dynamodb_backends[ACCOUNT]["us-east-1"].get_table(outputs.OrdersTableName)

        load(outputs.OrdersTableName, 0, args.stock_items)
        ours = full_scan(table, scan_page)
        theirs = full_scan(table, Table.scan)
        print(f"full paginated scan of {args.stock_items:,} items in-process: ours "
              f"{ours[0]:.2f} s ({ours[2]} pages), moto's {theirs[0]:.2f} s "
              f"({theirs[2]} pages)")  # fmt: skip

        started = time.perf_counter()
        load(outputs.OrdersTableName, args.stock_items, args.items - args.stock_items)
        print(f"loaded {args.items:,} items in {time.perf_counter() - started:.0f} s")
        for exact in (False, True):
            started = time.perf_counter()
            current = status.gather(aws, outputs, exact=exact)
            seconds = time.perf_counter() - started
            counted = current.counted
            print(f"status ({counted.method}): {seconds:.2f} s; orders {current.tables['orders']:,}"
                  f"; {counted.requests} requests, {counted.read_units:g} read units "
                  "reported")  # fmt: skip
        with tempfile.TemporaryDirectory() as directory:
            state = Persistence(Path(directory))
            state.open()
            state.start(cloud.instance_id)
            started = time.perf_counter()
            info = state.take()
            writing = time.perf_counter() - started
            data = (Path(directory) / STATE_FILE).read_bytes()
            started = time.perf_counter()
            pickle.loads(data)  # noqa: S301 - the bytes just written
            loading = time.perf_counter() - started
            state.release()
        print(f"snapshot of {args.items:,} items: requests held {info.pause_ms:.0f} ms "
              f"(fork), written in {writing:.1f} s, {info.bytes / 2**20:.0f} MB; "
              f"unpickled in {loading:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
