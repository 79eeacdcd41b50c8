"""The local cloud's full collections: CPython's default against `collector.tune_for_serving`.

Issue #21. A full collection walks every tracked object while it holds the interpreter.
A serving cloud's heap grows with every stored item, and many objects live just long
enough to reach the oldest generation and then die (a message waits in its queue until a
poller takes it), which is what brings the next full collection on.

This replays that cycle through the local cloud in-process, from a fresh cloud as
`messaging up` starts: a PublishBatch of 10 events fanned out to two queues, and a
BatchExecuteStatement of 25 INSERTs, through the local cloud's app (`protocol_layer.py`'s
requests); from each queue, 10 messages received and deleted in-process, as an event
source mapping's poller does, `--lag` cycles after they were sent. It alternates, round
by round in the same process:

- default: CPython's thresholds (a full collection after 10 middle-generation ones);
- tuned: what `messaging up` sets (`localcloud/collector.py`).

It prints each setting's process CPU per cycle over all its rounds (the collector's
work included: a median of rounds would leave out the rounds a full collection fell
in), its full collections, their total and the longest (the interpreter stands still
through each).

    .venv/bin/python bench/full_collections.py [--rounds 12] [--per-round 50] [--lag 40]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends
from werkzeug.test import Client

from messaging.localcloud.awslambda.poller import sqs_record
from messaging.localcloud.collector import tune_for_serving
from messaging.localcloud.server import LocalCloud
from protocol_layer import Captured, requests, setup

QUEUES = ("orders", "payments")


@dataclass
class Setting:
    thresholds: tuple[int, int, int]
    cpu_ms: list[float] = field(default_factory=list)
    full: int = 0
    full_ms: float = 0.0
    longest_ms: float = 0.0


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


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=12)
    options.add_argument("--per-round", type=int, default=50, help="cycles per round")
    options.add_argument("--lag", type=int, default=40, help="cycles a message waits")
    args = options.parse_args()
    defaults = gc.get_threshold()
    tune_for_serving()
    settings = {"default": Setting(defaults), "tuned": Setting(gc.get_threshold())}
    gc.set_threshold(*defaults)
    cloud = LocalCloud(port=0).start()
    watch = FullCollections()
    gc.callbacks.append(watch)
    try:
        topic = setup(cloud)
        cycles = args.lag + 2 * args.rounds * args.per_round
        inserts, publishes = requests(topic, cycles)
        client = Client(cloud._application())  # noqa: SLF001 - the app, without sockets

        def send(request: Captured) -> None:
            method, _url, headers, body = request
            sent = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
            answer = client.open("/", method=method, headers=sent, data=body)
            if answer.status_code != 200:
                raise RuntimeError(f"{answer.status_code}: {answer.get_data()[:300]!r}")

        for n in range(args.lag):  # the queues' standing backlog
            send(publishes[n])
        taken = args.lag
        for number in range(args.rounds):
            for name in ("default", "tuned") if number % 2 else ("tuned", "default"):
                setting = watch.current = settings[name]
                gc.set_threshold(*setting.thresholds)
                started = time.process_time()
                for n in range(taken, taken + args.per_round):
                    send(publishes[n])
                    send(inserts[n])
                    consume(cloud.region)
                setting.cpu_ms.append((time.process_time() - started) / args.per_round * 1000)
                taken += args.per_round
        watch.current = None
    finally:
        gc.callbacks.remove(watch)
        gc.set_threshold(*defaults)
        cloud.stop()
    report(settings, args)


def report(settings: dict[str, Setting], args: argparse.Namespace) -> None:
    print(
        f"the serving cycle in-process (PublishBatch(10), BatchExecuteStatement(25), 10 "
        f"messages of each queue consumed {args.lag} cycles late), {args.rounds} alternating "
        f"rounds of {args.per_round} cycles each"
    )
    print(
        f"  {'setting':<8} {'thresholds':<16} {'CPU per cycle':>14} {'full collections':>17} "
        f"{'their total':>12} {'longest':>8}"
    )
    for name, setting in settings.items():
        print(
            f"  {name:<8} {setting.thresholds!s:<16} "
            f"{statistics.fmean(setting.cpu_ms):11.2f} ms {setting.full:17d} "
            f"{setting.full_ms:9.0f} ms {setting.longest_ms:5.0f} ms"
        )
    ratio = statistics.fmean(settings["tuned"].cpu_ms) / statistics.fmean(
        settings["default"].cpu_ms
    )
    print(f"  tuned / default, CPU per cycle: {ratio:.2f}")


if __name__ == "__main__":
    main()
