"""Soak: the local cloud's memory per 1,000 events at steady state, beyond what it stores.

Issue #15's probe found the server's RSS growing by 9.3 MB per 1,000 events, with no
plateau: moto kept every message, every publish and every model object it ever made.
The target is <= 0.5 MB per 1,000 events beyond the data actually stored (tables and
lake), which must grow.

Two runs, each on a fresh `messaging up` in its own process, at the same pace:

1. the pipeline: the producer publishes at `--rate` events/s, both services consume,
   Firehose lands the lake every `--buffer-seconds`;
2. the stored data alone: the same events' items written straight into both tables
   (the services' own handlers and store) and the same lake lines put as one S3 object
   per `--buffer-seconds`, with no SNS, SQS or Firehose.

Every `--sample-seconds`, the server's RSS (VmRSS from /proc) and the events so far.
After the first `--warmup` share of the events, a least-squares line gives MB per 1,000
events; run 1 minus run 2 is what the messaging path keeps beyond the data. Afterwards,
`messaging status` (approximate, then `--exact`) is timed on run 1's cloud.

    .venv/bin/python bench/soak.py [--rate 200] [--events 36000] [--buffer-seconds 10]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from messaging.core.events import ConsumerCreated, encode
from messaging.core.services import SERVICES
from messaging.ops import stack, status
from messaging.producer import Producer
from messaging.producer.fakes import ConsumerFactory
from messaging.store import DynamoStore, UnitOfWork
from throughput import CloudProcess, Services, cloud_process, wait_for

MB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Samples:
    """(events so far, server RSS) pairs, taken on a timer while a run goes."""

    pid: int
    every: float
    points: list[tuple[int, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self, events: Callable[[], int]) -> threading.Thread:
        def sample() -> None:
            while not self._stop.wait(self.every):
                self.points.append((events(), rss_bytes(self.pid)))

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        return thread

    def stop(self, events: int) -> None:
        self._stop.set()
        self.points.append((events, rss_bytes(self.pid)))

    def slope_mb_per_1000(self, warmup: float) -> float:
        """Least squares over the points after the warm-up share of the events."""
        last = self.points[-1][0]
        steady = [(e, r) for e, r in self.points if e >= warmup * last]
        if len(steady) < 3:
            sys.exit("too few samples at steady state: run longer or sample more often")
        n = len(steady)
        mean_e = sum(e for e, _ in steady) / n
        mean_r = sum(r for _, r in steady) / n
        num = sum((e - mean_e) * (r - mean_r) for e, r in steady)
        den = sum((e - mean_e) ** 2 for e, _ in steady)
        return num / den * 1000 / MB


def paced(events: Iterator[ConsumerCreated], rate: float) -> Iterator[ConsumerCreated]:
    started = time.monotonic()
    for n, event in enumerate(events):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield event


@dataclass
class Run:
    name: str
    samples: Samples
    events: int
    seconds: float
    start_rss: int
    end_rss: int


def pipeline(cloud: CloudProcess, args: argparse.Namespace) -> Run:
    outputs = cloud.outputs()
    services = Services(cloud, outputs, concurrency=4)
    services.start()
    published = [0]
    producer = Producer(cloud.session().sns(), outputs["TopicArn"], rate=args.rate)
    samples = Samples(cloud.process.pid, args.sample_seconds)
    start_rss = rss_bytes(cloud.process.pid)
    started = time.monotonic()
    sampler = samples.run(lambda: published[0])

    def count(n: int) -> None:
        published[0] += n

    stats = producer.publish(ConsumerFactory(seed=15).events(args.events), on_published=count)
    wait_for(lambda: services.done(stats.published), 300, "the services to catch up")
    seconds = time.monotonic() - started
    samples.stop(published[0])
    sampler.join()
    services.stop()
    if stats.published != args.events:
        sys.exit(f"pipeline: {stats.published} of {args.events} published")
    return Run("pipeline", samples, stats.published, seconds, start_rss,
               rss_bytes(cloud.process.pid))  # fmt: skip


def stored_data_alone(cloud: CloudProcess, args: argparse.Namespace) -> Run:
    """The same items and lake bytes, written without the messaging path."""
    outputs = cloud.outputs()
    aws = cloud.session()
    stores = {
        name: DynamoStore(aws.dynamodb(), outputs[spec.table_output])
        for name, spec in SERVICES.items()
    }
    s3 = aws.s3()
    written = [0]
    samples = Samples(cloud.process.pid, args.sample_seconds)
    start_rss = rss_bytes(cloud.process.pid)
    started = time.monotonic()
    sampler = samples.run(lambda: written[0])
    batch: list[ConsumerCreated] = []
    lake: list[bytes] = []
    lake_started = time.monotonic()
    for event in paced(ConsumerFactory(seed=15).events(args.events), args.rate):
        batch.append(event)
        lake.append(encode(event).encode() + b"\n")
        if len(batch) == 10:  # a receive's worth, committed as the services commit
            for name, spec in SERVICES.items():
                units = []
                for each in batch:
                    unit = UnitOfWork()
                    spec.handle(each, unit)
                    units.append(unit)
                stores[name].commit(units)
            written[0] += len(batch)
            batch = []
        if time.monotonic() - lake_started >= args.buffer_seconds:
            key = f"landing_date=soak/{written[0]:09d}"
            s3.put_object(Bucket=outputs["LakeBucketName"], Key=key, Body=b"".join(lake))
            lake, lake_started = [], time.monotonic()
    seconds = time.monotonic() - started
    samples.stop(written[0])
    sampler.join()
    return Run("stored data alone", samples, written[0], seconds, start_rss,
               rss_bytes(cloud.process.pid))  # fmt: skip


def timed(call: Callable[[], status.SystemStatus]) -> tuple[float, status.SystemStatus]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--events", type=int, default=36_000)
    parser.add_argument("--buffer-seconds", type=int, default=10)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.25, help="share of events skipped")
    args = parser.parse_args()
    cloud_args = ("--parameter", f"BufferIntervalSeconds={args.buffer_seconds}")

    with cloud_process(*cloud_args) as cloud:
        run = pipeline(cloud, args)
        outputs = stack.StackOutputs.model_validate(cloud.outputs())
        session = cloud.session()
        approximate = timed(lambda: status.gather(session, outputs))
        exact = timed(lambda: status.gather(session, outputs, exact=True))
    with cloud_process(*cloud_args) as cloud:
        control = stored_data_alone(cloud, args)

    print(f"{args.events:,} events at {args.rate:g}/s; Firehose every {args.buffer_seconds} s; "
          f"RSS every {args.sample_seconds:g} s; first {args.warmup:.0%} skipped\n")  # fmt: skip
    slopes = {}
    for each in (run, control):
        slope = each.samples.slope_mb_per_1000(args.warmup)
        slopes[each.name] = slope
        print(f"{each.name:>18}: {each.events:,} events in {each.seconds:.0f} s; RSS "
              f"{each.start_rss / MB:.0f} -> {each.end_rss / MB:.0f} MB; steady state "
              f"{slope:.3f} MB per 1,000 events ({len(each.samples.points)} samples)")  # fmt: skip
    beyond = slopes["pipeline"] - slopes["stored data alone"]
    print(f"\nbeyond the stored data: {beyond:.3f} MB per 1,000 events (target <= 0.5)")
    for label, (seconds, result) in (("status", approximate), ("status --exact", exact)):
        print(f"{label}: {seconds:.2f} s, tables {result.tables}, "
              f"{result.counted.requests} requests")  # fmt: skip
    print(f"\nreproduce: {Path(sys.executable).name} bench/soak.py --rate {args.rate:g} "
          f"--events {args.events} --buffer-seconds {args.buffer_seconds} "
          f"--sample-seconds {args.sample_seconds:g} --warmup {args.warmup:g}")  # fmt: skip


if __name__ == "__main__":
    main()
