"""The local cloud's full collections: CPython's default against `collector.tune_for_serving`.

Issue #21. A full collection walks every tracked object while it holds the interpreter.
A serving cloud's heap grows with every stored item, and many objects live just long
enough to reach the oldest generation and then die (a message waits in its queue until a
poller takes it), which is what brings the next full collection on.

This replays that cycle through a fresh local cloud in-process, as `messaging up` starts
one: a PublishBatch of 10 events fanned out to two queues, and a BatchExecuteStatement
of 25 INSERTs, through the local cloud's app (`protocol_layer.py`'s requests); from each
queue, 10 messages received and deleted in-process, as an event source mapping's poller
does, `--lag` cycles after they were sent. Each run is a process of its own, so that no
setting inherits the other's heap or collector state; the two settings alternate:

- default: CPython's thresholds (a full collection after 10 middle-generation ones);
- tuned: what `messaging up` sets (`localcloud/collector.py`).

It prints each setting's process CPU per cycle (the collector's work included), its full
collections, their total and the longest (the interpreter stands still through each).

    .venv/bin/python bench/full_collections.py [--runs 3] [--cycles 600] [--lag 40]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from messaging.localcloud.awslambda.poller import sqs_record
from messaging.localcloud.collector import tune_for_serving
from messaging.localcloud.server import LocalCloud
from protocol_layer import requests, sender, setup

QUEUES = ("orders", "payments")


@dataclass
class Setting:
    """One setting's runs: a single run's, or the totals of several (`add`)."""

    thresholds: tuple[int, ...]
    cpu_ms: list[float] = field(default_factory=list)  # one per run
    full: int = 0
    full_ms: float = 0.0
    longest_ms: float = 0.0

    def add(self, run: Setting) -> None:
        self.cpu_ms += run.cpu_ms
        self.full += run.full
        self.full_ms += run.full_ms
        self.longest_ms = max(self.longest_ms, run.longest_ms)


class FullCollections:
    """The full collections, counted into whichever setting is current."""

    def __init__(self) -> None:
        self.current: Setting | None = None
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2 or self.current is None:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        lasted = (time.perf_counter() - self._started) * 1000
        self.current.full += 1
        self.current.full_ms += lasted
        self.current.longest_ms = max(self.current.longest_ms, lasted)


def consume(region: str) -> None:
    """What a poller does with 10 messages of each queue: receive, record, delete."""
    sqs = sqs_backends[DEFAULT_ACCOUNT_ID][region]
    for name in QUEUES:
        messages = sqs.receive_message(
            name, 10, wait_seconds_timeout=0, visibility_timeout=30, message_attribute_names=["All"]
        )
        records = [
            sqs_record(message, f"arn:aws:sqs:{region}:{DEFAULT_ACCOUNT_ID}:{name}", region)
            for message in messages
        ]
        for record in records:
            sqs.delete_message(name, record["receiptHandle"])


def one_run(setting: str, cycles: int, lag: int) -> Setting:
    """One fresh cloud, `cycles` serving cycles under `setting`; what the collector did."""
    if setting == "tuned":
        tune_for_serving()
    measured = Setting(gc.get_threshold())
    cloud = LocalCloud(port=0).start()
    watch = FullCollections()
    gc.callbacks.append(watch)
    try:
        topic = setup(cloud)
        inserts, publishes = requests(topic, lag + cycles)
        send = sender(cloud._application())  # noqa: SLF001 - the app, without sockets

        for n in range(lag):  # the queues' standing backlog
            send(publishes[n])
        watch.current = measured
        started = time.process_time()
        for n in range(lag, lag + cycles):
            send(publishes[n])
            send(inserts[n])
            consume(cloud.region)
        measured.cpu_ms.append((time.process_time() - started) / cycles * 1000)
        watch.current = None
    finally:
        gc.callbacks.remove(watch)
        cloud.stop()
    return measured


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=3, help="processes per setting")
    options.add_argument("--cycles", type=int, default=600, help="cycles per run")
    options.add_argument("--lag", type=int, default=40, help="cycles a message waits")
    options.add_argument("--setting", choices=("default", "tuned"), help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.setting:  # one run, in a process of its own
        print(json.dumps(asdict(one_run(args.setting, args.cycles, args.lag))))
        return
    settings: dict[str, Setting] = {}
    for number in range(args.runs):
        for name in ("default", "tuned") if number % 2 == 0 else ("tuned", "default"):
            command = [sys.executable, __file__, "--setting", name]
            command += ["--cycles", str(args.cycles), "--lag", str(args.lag)]
            answer = subprocess.run(command, capture_output=True, text=True, check=True)
            run = Setting(**json.loads(answer.stdout.strip().splitlines()[-1]))
            run.thresholds = tuple(run.thresholds)  # a list in JSON
            settings.setdefault(name, Setting(run.thresholds)).add(run)
    report(settings, args)


def report(settings: dict[str, Setting], args: argparse.Namespace) -> None:
    print(
        f"the serving cycle in-process (PublishBatch(10), BatchExecuteStatement(25), 10 "
        f"messages of each queue consumed {args.lag} cycles late), {args.cycles} cycles "
        f"from a fresh cloud, {args.runs} runs each, alternating"
    )
    print(
        f"  {'setting':<8} {'thresholds':<16} {'CPU per cycle':>14} {'full collections':>17} "
        f"{'their total':>12} {'longest':>8}"
    )
    for name in ("default", "tuned"):
        setting = settings[name]
        print(
            f"  {name:<8} {setting.thresholds!s:<16} "
            f"{statistics.fmean(setting.cpu_ms):11.2f} ms {setting.full:17d} "
            f"{setting.full_ms:9.0f} ms {setting.longest_ms:5.0f} ms"
        )
    ratio = statistics.fmean(settings["tuned"].cpu_ms) / statistics.fmean(
        settings["default"].cpu_ms
    )
    print(f"  tuned / default, CPU per cycle (mean of runs): {ratio:.2f}")


if __name__ == "__main__":
    main()
