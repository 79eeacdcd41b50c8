"""How the cost of consuming from an SQS queue grows with its backlog, ours vs stock moto.

Figures, not pass/fail. One cycle is what a consumer does per batch: ReceiveMessage(10) then
DeleteMessageBatch, over HTTP against a local moto server on 127.0.0.1. The backlog is
filled with SendMessageBatch and topped up (untimed) after every cycle, so the depth stays
put. All depths of one backend are filled first and their cycles interleaved, so machine
drift hits every depth alike. Reported: the median of the timed cycles (`time.perf_counter`),
after warm-up cycles.

Stock moto's send is itself O(backlog), so filling it to 10,000 over HTTP would take about
25 minutes; that one point is seeded in-process with moto's own `Message` and
`Queue.add_message` (the state a send leaves) and is marked as such.

    .venv/bin/python bench/sqs_backlog.py            # full run, about 2 minutes
    .venv/bin/python bench/sqs_backlog.py --quick    # smaller depths, seconds
    .venv/bin/python bench/sqs_backlog.py --no-stock # ours only
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.sqs.models import Message, sqs_backends

from messaging.localcloud.sqs.backend import install, uninstall

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_sqs import SQSClient

__all__ = ["main"]

REGION = "us-east-1"


@dataclass(frozen=True)
class Point:
    """One depth to measure: how many timed cycles, and whether to seed in-process."""

    depth: int
    cycles: int
    seeded: bool = False
    warm_up: int = 3


@dataclass(frozen=True)
class Result:
    backend: str
    point: Point
    median_ms: float
    spread_ms: tuple[float, float]  # min, max


def _client(endpoint: str) -> SQSClient:
    return boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)


def _send(sqs: SQSClient, url: str, count: int) -> None:
    """Top the queue up by `count` messages with SendMessageBatch (10 per call)."""
    for start in range(0, count, 10):
        size = min(10, count - start)
        entries: Any = [{"Id": str(i), "MessageBody": f"backlog message {i}"} for i in range(size)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _seed(url: str, count: int) -> None:
    """Stock moto only: the state `count` sends leave, without its O(n) per send."""
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(url.rsplit("/", 1)[-1])
    for i in range(count):
        message = Message(str(uuid.uuid4()), f"backlog message {i}")
        message.mark_sent()
        queue.add_message(message)


def _cycle(sqs: SQSClient, url: str) -> int:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
    entries: Any = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
        for i, m in enumerate(messages.get("Messages", []))
    ]
    if entries:
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    return len(entries)


class _Queue:
    """One measured depth: its queue, how it is topped up, and its timed cycles."""

    def __init__(self, sqs: SQSClient, backend: str, point: Point) -> None:
        self.sqs, self.backend, self.point = sqs, backend, point
        self.url = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:10]}")["QueueUrl"]
        self.timings: list[float] = []
        self.refill(point.depth)

    def refill(self, count: int) -> None:
        if self.point.seeded:
            _seed(self.url, count)
        else:
            _send(self.sqs, self.url, count)

    def cycle(self, timed: bool) -> None:
        started = time.perf_counter()
        taken = _cycle(self.sqs, self.url)
        elapsed = time.perf_counter() - started
        if taken != 10:
            raise RuntimeError(f"{self.backend} at {self.point.depth}: a cycle got {taken}")
        if timed:
            self.timings.append(elapsed * 1000)
        self.refill(taken)  # untimed: the depth stays put

    def result(self) -> Result:
        spread = (min(self.timings), max(self.timings))
        return Result(self.backend, self.point, statistics.median(self.timings), spread)


def _run(backend: str, points: list[Point], report: Callable[[Result], None]) -> list[Result]:
    """Fill every depth first, then interleave their cycles so drift hits all alike."""
    if backend == "ours":
        install()
    else:
        uninstall()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        sqs = _client(f"http://{host}:{port}")
        queues = [_Queue(sqs, backend, point) for point in points]
        gc.collect()  # start without the fill's garbage; GC stays on while timing
        for queue in queues:
            for _ in range(queue.point.warm_up):
                queue.cycle(timed=False)
        for round_ in range(max(point.cycles for point in points)):
            for queue in queues:
                if round_ < queue.point.cycles:
                    queue.cycle(timed=True)
        results = [queue.result() for queue in queues]
        for result in results:
            report(result)
        return results
    finally:
        server.stop()
        install()


def _ratio(results: list[Result]) -> str:
    low, high = results[0], results[-1]
    return f"{high.median_ms / low.median_ms:.2f} ({high.point.depth:,}/{low.point.depth:,})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small depths and few cycles")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock baseline")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    # Placeholders in this process only: moto ignores signatures, botocore wants some.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    if args.quick:
        ours = [Point(100, 20), Point(2_000, 20)]
        stock = [Point(100, 5), Point(500, 5)]
    else:
        ours = [Point(100, 50), Point(1_000, 50), Point(10_000, 50)]
        stock = [Point(100, 10), Point(1_000, 5), Point(10_000, 3, seeded=True, warm_up=1)]

    print(
        f"SQS backlog: ReceiveMessage(10) + DeleteMessageBatch over HTTP, median ms per cycle"
        f"\n(python {platform.python_version()}, moto {version('moto')}, "
        f"boto3 {version('boto3')}, {platform.machine()})\n"
    )
    print(f"{'backend':<12}{'depth':>8}{'cycles':>8}{'median ms':>12}{'min-max ms':>20}")

    def report(result: Result) -> None:
        low, high = result.spread_ms
        note = "  (seeded in-process)" if result.point.seeded else ""
        print(
            f"{result.backend:<12}{result.point.depth:>8,}{result.point.cycles:>8}"
            f"{result.median_ms:>12.1f}{f'{low:.1f}-{high:.1f}':>20}{note}",
            flush=True,
        )

    started = time.perf_counter()
    ours_results = _run("ours", ours, report)
    stock_results = [] if args.no_stock else _run("stock", stock, report)
    print(f"\nratio, deepest/shallowest: ours {_ratio(ours_results)}", end="")
    print(f"; stock {_ratio(stock_results)}" if stock_results else "")
    print(f"total {time.perf_counter() - started:.0f} s")
    flags = "".join(f" {flag}" for flag in (argv or []))
    print(f"reproduce: .venv/bin/python bench/sqs_backlog.py{flags}")


if __name__ == "__main__":
    main(sys.argv[1:])
