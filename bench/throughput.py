"""Throughput: end to end, against a seed-style loop, under latency, and how it scales.

The local cloud runs in its own process (`messaging up`), as a remote service would,
so the server and the clients each get a core. This process is one host running the
whole system: the producer and both services, as threads. Every figure is measured in
this one run, so the ratios hold even on a noisy machine:

- producer alone: events/s, requests, and where the time goes (client CPU, server CPU);
- end to end: events/s from the first publish until both stores hold every event, and
  the requests per event, all-in (publish, receive, delete, store writes, heartbeats,
  empty polls, shutdown);
- a seed-style loop on the same cloud: one Publish per event, one ReceiveMessage (1
  message) and one DeleteMessage per message, one store write per event;
- latency hiding: one consumer's events/s over a preloaded queue, with and without
  `--latency-ms` injected on every request, at `--concurrency` pollers and at twice
  that (latency is hidden by having more requests in flight: Little's law);
- scaling: end to end at two sizes and two poller counts;
- the main job itself (issue #21, `simulate_phase`): `messaging simulate` on the same
  cloud and stack, its end-to-end events/s at saturation (and its ratio to the seed-style
  loop above), its requests per event, and its latency p50/p95 at 50 events/s; with
  `--find-max`, the highest rate at which the queues do not grow. Saturation runs twice:
  the first run starts every execution environment of the functions (about 0.6 s of CPU
  each, taken from the same two cores), the second finds them warm, as a service's
  steady state does; the figure is the second, and the first is printed beside it.
  The warm run lasts `--saturation-seconds` (30): end to end counts from the first
  publish to the last store, and the last events wait out the mapping's 1 s batching
  window, so a run stores its last events about a second after its last publish
  whatever its length. That second is 6% of a 15 s run and 3% of a 30 s one; the
  figure is the pipeline's steady rate, so the longer run measures it better (each
  line prints that tail).

The bench's own phases run on a stack with `ServicesHost=external` (nothing else
consumes the queues); simulate then switches the stack to `--services` (Lambda by
default), which is why it runs last.

    .venv/bin/python bench/throughput.py [--events 6000] [--latency-ms 20] [--concurrency 4]
        [--simulate-rate 5000] [--simulate-seconds 15] [--saturation-seconds 30]
        [--services lambda] [--find-max]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerOptions
from messaging.core.events import ConsumerCreated, decode, encode
from messaging.core.services import SERVICES
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import Settings
from messaging.producer import ATTRIBUTE, Producer
from messaging.producer.fakes import ConsumerFactory
from messaging.store import DynamoStore, UnitOfWork
from proc_stat import cpu_seconds
from simulate_phase import SimulateRun, find_max, simulate

STACK = "bench"
CREDENTIALS = ("bench", "bench")  # placeholders: the local cloud accepts any
BIN = Path(sys.executable).parent


# -- the local cloud, in its own process ----------------------------------------------


@dataclass
class CloudProcess:
    process: subprocess.Popen[str]
    endpoint: str

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far."""
        return cpu_seconds(self.process.pid)

    def session(self) -> Aws:
        settings = Settings(endpoint_url=self.endpoint, region="us-east-1", stack_name=STACK)
        return Aws(settings, placeholder_credentials=CREDENTIALS)

    def outputs(self) -> dict[str, str]:
        return stack.read_outputs(self.session().cloudformation(), STACK)


@contextmanager
def cloud_process(*args: str) -> Iterator[CloudProcess]:
    """`messaging up` on a free port, deployed; stopped with SIGTERM on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [
            *(str(BIN / "messaging"), "up", "--port", "0", "--stack-name", STACK),
            *("--parameter", "ServicesHost=external", *args),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "COLUMNS": "200"},
    )
    if process.stdout is None:
        sys.exit("messaging up: no output pipe")
    lines: list[str] = []
    endpoint = ""
    for line in process.stdout:
        lines.append(line)
        if "listening on" in line:
            endpoint = line.strip().rsplit(" ", 1)[1]
        if "Press Ctrl-C to stop." in line:
            break
    else:
        sys.exit("messaging up stopped before it was ready:\n" + "".join(lines[-30:]))
    # Keep reading its output, so a full pipe never blocks the server.
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        yield CloudProcess(process, endpoint)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


# -- measuring ------------------------------------------------------------------------


@dataclass
class Measure:
    """Wall time, this process's CPU and the server's CPU over one phase."""

    cloud: CloudProcess
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @contextmanager
    def running(self) -> Iterator[Measure]:
        wall, cpu, server = time.perf_counter(), time.process_time(), self.cloud.cpu_seconds()
        yield self
        self.wall = time.perf_counter() - wall
        self.client_cpu = time.process_time() - cpu
        self.server_cpu = self.cloud.cpu_seconds() - server

    @property
    def cpu(self) -> float:
        """Both processes' CPU seconds over the phase."""
        return self.client_cpu + self.server_cpu

    def cpu_ms_per(self, events: int) -> float:
        """Both processes' CPU per event: what bounds the rate once both cores are busy."""
        return self.cpu / max(1, events) * 1000

    @property
    def cores(self) -> float:
        return self.cpu / self.wall


def events(count: int, seed: int) -> list[ConsumerCreated]:
    return list(ConsumerFactory(seed=seed).events(count))


def wait_for(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            sys.exit(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.005)


@dataclass
class Services:
    """Both services (or some), through the one runner, each with its own counted session."""

    cloud: CloudProcess
    outputs: dict[str, str]
    concurrency: int
    names: tuple[str, ...] = ("orders", "payments")
    runner: Runner[Aws] | None = None

    def start(self) -> None:
        # A short long poll, so stopping after the run does not wait 20 s.
        options = WorkerOptions(concurrency=self.concurrency, wait_seconds=2)
        specs = [SERVICES[name] for name in self.names]
        self.runner = Runner(specs, self.outputs, lambda _: self.cloud.session(), options)
        self.runner.start()

    @property
    def sessions(self) -> list[Aws]:
        return [run.session for run in self.runner.runs] if self.runner else []

    def done(self, count: int) -> bool:
        if self.runner is None or self.runner.errors:
            sys.exit(f"a service stopped: {self.runner.errors if self.runner else 'not started'}")
        return all(run.done >= count for run in self.runner.runs)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()


def producer(cloud: CloudProcess, outputs: dict[str, str]) -> tuple[Producer, Aws]:
    aws = cloud.session()
    return Producer(aws.sns(), outputs["TopicArn"], linger=0.05), aws


# -- phases ---------------------------------------------------------------------------


@dataclass
class ProducerFigures:
    events: int
    generate_seconds: float
    measure: Measure
    requests: int

    @property
    def rate(self) -> float:
        return self.events / self.measure.wall


def producer_alone(cloud: CloudProcess, outputs: dict[str, str], count: int) -> ProducerFigures:
    started = time.perf_counter()
    batch = events(count, seed=101)
    generate = time.perf_counter() - started
    publisher, aws = producer(cloud, outputs)
    with Measure(cloud).running() as measure:
        stats = publisher.publish(batch)
    if stats.published != count:
        sys.exit(f"producer: {stats.published} of {count} published")
    return ProducerFigures(count, generate, measure, aws.requests.total)


def consume_preloaded(
    cloud: CloudProcess, outputs: dict[str, str], count: int, concurrency: int
) -> float:
    """Orders alone over a queue holding `count` events: events/s until all are stored."""
    services = Services(cloud, outputs, concurrency, names=("orders",))
    started = time.perf_counter()
    services.start()
    wait_for(lambda: services.done(count), 600, "orders to drain the queue")
    elapsed = time.perf_counter() - started
    services.stop()
    return count / elapsed


def one_consumer(count: int, concurrency: int, *cloud_args: str) -> float:
    """Orders alone over a preloaded queue, on a fresh cloud started with `cloud_args`."""
    with cloud_process(*cloud_args) as cloud:
        outputs = cloud.outputs()
        publisher, _ = producer(cloud, outputs)
        publisher.publish(events(count, seed=404))
        return consume_preloaded(cloud, outputs, count, concurrency)


def drain(cloud: CloudProcess, outputs: dict[str, str], names: tuple[str, ...]) -> None:
    """Empty the named services' queues (untimed), so the next phase starts clean."""
    sqs = cloud.session().sqs()
    for name in names:
        url, deadline = outputs[SERVICES[name].queue_output], time.monotonic() + 70
        while True:
            try:
                sqs.purge_queue(QueueUrl=url)
                break
            except sqs.exceptions.PurgeQueueInProgress:  # one purge a minute per queue
                if time.monotonic() > deadline:
                    raise
                time.sleep(5)


@dataclass
class EndToEnd:
    events: int
    concurrency: int
    measure: Measure
    requests: int
    breakdown: dict[str, int]
    publish_seconds: float  # when the producer had published every event

    @property
    def rate(self) -> float:
        return self.events / self.measure.wall

    @property
    def per_event(self) -> float:
        return self.requests / self.events


def end_to_end(
    cloud: CloudProcess, outputs: dict[str, str], count: int, concurrency: int, seed: int
) -> EndToEnd:
    """Producer and both services at once; the clock stops when both stores hold all."""
    batch = events(count, seed)
    services = Services(cloud, outputs, concurrency)
    publisher, producer_aws = producer(cloud, outputs)
    published_at: list[float] = []

    def publish() -> None:
        publisher.publish(batch)
        published_at.append(time.perf_counter())

    with Measure(cloud).running() as measure:
        started = time.perf_counter()
        services.start()
        publishing = threading.Thread(target=publish)
        publishing.start()
        wait_for(lambda: services.done(count), 600, "both services to store every event")
    publishing.join()
    services.stop()  # the shutdown's requests are counted too
    sessions = [producer_aws, *services.sessions]
    breakdown: dict[str, int] = {}
    for aws in sessions:
        for operation, n in aws.requests.snapshot().items():
            breakdown[operation] = breakdown.get(operation, 0) + n
    return EndToEnd(
        count, concurrency, measure, sum(breakdown.values()), breakdown,
        published_at[0] - started,
    )  # fmt: skip


@dataclass
class RequestCosts:
    """Server CPU per request of each kind the pipeline sends (ms), and per event."""

    publish_batch: float
    receive: float
    delete_batch: float
    transact: float

    @property
    def per_event(self) -> float:
        """Server CPU per event end to end: one publish, then both services' share."""
        consume = self.receive / 10 + self.delete_batch / 10 + self.transact / 100
        return self.publish_batch / 10 + 2 * consume


def request_costs(cloud: CloudProcess, outputs: dict[str, str], count: int) -> RequestCosts:
    """One request at a time, so the server's CPU between two reads is that request's.

    It consumes whatever the orders queue holds first (its own events come after), and
    purges nothing: SQS allows one PurgeQueue per queue per 60 seconds.
    """
    publisher, _ = producer(cloud, outputs)
    publisher.publish(events(50, seed=506))  # warm: the first call of a service loads models
    batch = events(count, seed=505)
    before = cloud.cpu_seconds()
    publisher.publish(batch)
    publish = (cloud.cpu_seconds() - before) / (count / 10)
    session = cloud.session()
    spec = SERVICES["orders"]
    sqs, url = session.sqs(), outputs[spec.queue_output]
    store = DynamoStore(session.dynamodb(), outputs[spec.table_output])
    spent = dict.fromkeys(("receive", "delete", "transact"), 0.0)
    calls = dict.fromkeys(spent, 0)

    def timed(kind: str, call: Callable[..., Any], **arguments: Any) -> Any:
        before = cloud.cpu_seconds()
        result = call(**arguments)
        spent[kind] += cloud.cpu_seconds() - before
        calls[kind] += 1
        return result

    units: list[UnitOfWork] = []
    for _ in range(count // 10):
        response = timed("receive", sqs.receive_message,
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"])  # fmt: skip
        messages = response.get("Messages", [])
        for message in messages:
            unit = UnitOfWork()
            spec.handle(decode(message["Body"]), unit)
            units.append(unit)
        if len(units) >= 100:
            timed("transact", store.commit, units=units)
            units = []
        entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                   for n, m in enumerate(messages)]  # fmt: skip
        timed("delete", sqs.delete_message_batch, QueueUrl=url, Entries=entries)
    ms = {kind: spent[kind] / max(1, calls[kind]) * 1000 for kind in spent}
    return RequestCosts(publish * 1000, ms["receive"], ms["delete"], ms["transact"])


@dataclass
class SeedStyle:
    events: int  # handled by both services within the time box
    requests: int
    # Its CPU includes the events published but not yet handled at the deadline, so
    # CPU per event here errs high, by the producer's lead over the services.
    measure: Measure

    @property
    def rate(self) -> float:
        return self.events / self.measure.wall


def seed_style(
    cloud: CloudProcess, outputs: dict[str, str], count: int, time_box: float
) -> SeedStyle:
    """The seed's pattern: a Publish per event; per message a receive of 1 and a delete.

    It is slow by design, so it runs for at most `time_box` seconds and its rate counts
    the events both services stored by then.
    """
    batch = events(count, seed=303)
    aws = cloud.session()
    sns, topic = aws.sns(), outputs["TopicArn"]
    deadline = time.monotonic() + time_box
    # The subscriptions filter on this attribute, as they would for the seed's events.
    attributes: dict[str, Any] = {
        ATTRIBUTE: {"DataType": "String", "StringValue": "consumer.created"}
    }

    def publish() -> None:
        for event in batch:
            if time.monotonic() > deadline:
                return
            sns.publish(TopicArn=topic, Message=encode(event), MessageAttributes=attributes)

    handled = dict.fromkeys(SERVICES, 0)
    sessions = [aws]

    def consume(name: str) -> None:
        spec = SERVICES[name]
        session = cloud.session()
        sessions.append(session)
        sqs, url = session.sqs(), outputs[spec.queue_output]
        store = DynamoStore(session.dynamodb(), outputs[spec.table_output])
        while handled[name] < count and time.monotonic() < deadline:
            response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
            for message in response.get("Messages", []):
                unit = UnitOfWork()
                spec.handle(decode(message["Body"]), unit)
                store.commit([unit])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                handled[name] += 1

    threads = [threading.Thread(target=publish)]
    threads += [threading.Thread(target=consume, args=(name,)) for name in SERVICES]
    with Measure(cloud).running() as measure:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    requests = sum(session.requests.total for session in sessions)
    return SeedStyle(min(handled.values()), requests, measure)


# -- report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MainJob:
    first: SimulateRun  # the first run on the services' hosts: every one starts cold
    saturated: SimulateRun  # the same run again, on the hosts the first one left warm
    modest: SimulateRun
    max_rate: float | None
    probes: list[SimulateRun]


def main_job_runs(cloud: CloudProcess, args: argparse.Namespace) -> MainJob:
    """`messaging simulate` on this cloud and stack: at saturation twice (the first run
    starts every function's execution environments; the second is the steady state, on
    the environments the first left warm, for `--saturation-seconds`), at a modest rate,
    and (with --find-max) the highest rate that keeps up."""
    print(f"\nmain job (messaging simulate --services {args.services}), same cloud and stack:")
    first = simulate(
        cloud.endpoint, STACK, args.simulate_rate, args.simulate_seconds, args.services
    )
    print(f"  saturation, first run (cold starts): {first.line()}")
    saturated = simulate(
        cloud.endpoint, STACK, args.simulate_rate, args.saturation_seconds, args.services
    )
    print(f"  saturation, warm: {saturated.line()}")
    modest = simulate(
        cloud.endpoint, STACK, args.latency_rate, args.simulate_seconds, args.services
    )
    print(f"  modest: {modest.line()}")
    max_rate: float | None = None
    probes: list[SimulateRun] = []
    if args.find_max:
        max_rate, probes = find_max(
            cloud.endpoint, STACK, args.find_max_start, 20.0, args.services, steps=7
        )
    return MainJob(first, saturated, modest, max_rate, probes)


def print_main_job(job: MainJob, seed_rate: float, args: argparse.Namespace) -> None:
    saturated, modest = job.saturated, job.modest
    print("figures (targets from issue #21; messaging simulate's own report):")
    row(f"simulate end-to-end events/s at saturation ({args.services}, warm)",
        f"{saturated.end_to_end:,.1f}", ">= 500")  # fmt: skip
    row("  the same, first run (every execution environment starts cold)",
        f"{job.first.end_to_end:,.1f}", "report")  # fmt: skip
    row("simulate end to end / seed-style, same stack, same run",
        f"{saturated.end_to_end / max(seed_rate, 1e-9):.1f}x", ">= 8x")  # fmt: skip
    row("simulate requests per event (pipeline), at saturation",
        f"{saturated.requests_per_event:.3f}", "<= 0.6")  # fmt: skip
    row(f"simulate latency p50 | p95 at {args.latency_rate:g} events/s (ms)",
        f"{modest.latency['p50']} | {modest.latency['p95']}", "report")  # fmt: skip
    if args.find_max:
        shown = f"{job.max_rate:,.0f}" if job.max_rate is not None else "none kept up"
        row("highest asked rate at which the queues do not grow", shown, "report")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  machine load average (1, 5, 15 min) at the end: {load}")


def row(figure: str, value: str, target: str) -> None:
    print(f"  {figure:<62} {value:>12}  {target}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=6000, help="end-to-end run size")
    parser.add_argument("--seed-events", type=int, default=2000, help="seed-style run size")
    parser.add_argument(
        "--seed-seconds", type=float, default=20.0, help="time box of the seed-style loop"
    )
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4, help="pollers per service")
    parser.add_argument(
        "--simulate-rate", type=float, default=5000.0, help="simulate's rate at saturation"
    )
    parser.add_argument(
        "--simulate-seconds", type=float, default=15.0, help="the first and the modest runs"
    )
    parser.add_argument(
        "--saturation-seconds", type=float, default=30.0, help="the warm run at saturation"
    )
    parser.add_argument("--latency-rate", type=float, default=50.0)
    parser.add_argument("--services", choices=("lambda", "workers"), default="lambda")
    parser.add_argument(
        "--find-max", action="store_true", help="also find the highest rate that keeps up"
    )
    parser.add_argument("--find-max-start", type=float, default=100.0)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    small = max(10, args.events // 3)
    print(f"throughput bench: {os.cpu_count()} cores, local cloud in its own process")
    # Every process of the run (cloud, clients, function workers) runs this interpreter;
    # its build moves every figure (an optimised build, with PGO and LTO, took 21% less
    # CPU per request than an unoptimised one of 3.11 in bench/RESULTS.md).
    print(
        f"interpreter: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable}), built {platform.python_build()[1]}"
    )

    with cloud_process() as cloud:
        outputs = cloud.outputs()
        alone = producer_alone(cloud, outputs, args.events)
        drain(cloud, outputs, ("orders", "payments"))
        e2e = end_to_end(cloud, outputs, args.events, args.concurrency, seed=202)
        e2e_small = end_to_end(cloud, outputs, small, args.concurrency, seed=204)
        e2e_narrow = end_to_end(cloud, outputs, args.events, max(1, args.concurrency // 2), 206)
        seed = seed_style(cloud, outputs, args.seed_events, args.seed_seconds)
        costs = request_costs(cloud, outputs, 2000)
        # The seed-style loop is time-boxed: it leaves events behind, which simulate's
        # services would consume, and count as the run's requests, as a backlog.
        drain(cloud, outputs, ("orders", "payments"))
        main_job = main_job_runs(cloud, args)

    # Latency hiding: the same phase on fresh clouds, without and with latency, at the
    # end-to-end poller count and at twice it.
    hiding: dict[int, tuple[float, float]] = {}
    for pollers in (args.concurrency, 2 * args.concurrency):
        hiding[pollers] = (
            one_consumer(args.events, pollers),
            one_consumer(args.events, pollers, "--latency-ms", str(args.latency_ms)),
        )

    m = alone.measure
    print(f"\nproducer alone, {alone.events} events (generated beforehand in "
          f"{alone.generate_seconds * 1000 / alone.events:.2f} ms/event):")  # fmt: skip
    print(f"  {alone.rate:,.0f} events/s, {alone.requests} requests "
          f"({alone.requests / alone.events:.3f}/event)")  # fmt: skip
    print(f"  where the time goes: wall {m.wall:.2f}s; client CPU {m.client_cpu:.2f}s "
          f"({m.client_cpu / alone.requests * 1000:.1f} ms/request); "
          f"server CPU {m.server_cpu:.2f}s ({m.server_cpu / alone.requests * 1000:.1f} ms/request, "
          f"{m.server_cpu / m.wall:.0%} of a core)")  # fmt: skip

    print("\nend to end (publish -> both stores), same run:")
    for run in (e2e, e2e_small, e2e_narrow):
        print(f"  {run.events:>6} events, {run.concurrency} pollers/service: "
              f"{run.rate:,.0f} events/s, {run.per_event:.3f} requests/event; "
              f"published in {run.publish_seconds:.1f}s of {run.measure.wall:.1f}s; "
              f"client CPU {run.measure.client_cpu / run.measure.wall:.0%}, "
              f"server CPU {run.measure.server_cpu / run.measure.wall:.0%} of a core")  # fmt: skip
    print("  requests: " + ", ".join(f"{k}={v}" for k, v in sorted(e2e.breakdown.items())))

    print("\nwhere the server's time goes, one request at a time (ms of CPU per request):")
    print(f"  PublishBatch(10) {costs.publish_batch:.1f}; ReceiveMessage(10) {costs.receive:.1f}; "
          f"DeleteMessageBatch(10) {costs.delete_batch:.1f}; "
          f"TransactWriteItems(100) {costs.transact:.1f}")  # fmt: skip
    print(f"  = {costs.per_event:.2f} ms per event end to end; one core caps the local cloud "
          f"near {1000 / costs.per_event:,.0f} events/s")  # fmt: skip

    ours, theirs = e2e.measure.cpu_ms_per(e2e.events), seed.measure.cpu_ms_per(seed.events)
    print("\nCPU per event, client + server, same run (the rates' ratio follows it once "
          "both are CPU-bound):")  # fmt: skip
    print(f"  end to end {ours:.2f} ms ({e2e.measure.cores:.2f} cores busy); "
          f"seed-style {theirs:.2f} ms ({seed.measure.cores:.2f} cores busy); "
          f"ratio {theirs / ours:.1f}x")  # fmt: skip

    print("\nfigures (targets from issue #6):")
    row("end-to-end events/s over HTTP, 2 cores", f"{e2e.rate:,.0f}", ">= 500")
    row("requests per event, all-in, at saturation", f"{e2e.per_event:.3f}", "<= 0.6")
    row(f"seed-style loop events/s ({seed.events} events in {seed.measure.wall:.0f}s)",
        f"{seed.rate:,.1f}", "")  # fmt: skip
    row("seed-style requests per event", f"{seed.requests / max(1, seed.events):.2f}", "")
    row("end to end / seed-style", f"{e2e.rate / seed.rate:.1f}x", ">= 15x")
    for pollers, (no_latency, with_latency) in hiding.items():
        row(f"one consumer, {pollers} pollers, events/s: no latency | {args.latency_ms:g} ms",
            f"{no_latency:,.0f} | {with_latency:,.0f}", "")  # fmt: skip
        row(f"latency hiding, {pollers} pollers: with / without",
            f"{with_latency / no_latency:.2f}", ">= 0.8")  # fmt: skip
    row("producer alone, events/s", f"{alone.rate:,.0f}", "report")
    row(f"scaling: {e2e.events} / {e2e_small.events} events, events/s ratio",
        f"{e2e.rate / e2e_small.rate:.2f}", "~1 (flat)")  # fmt: skip
    row(f"scaling: {e2e.concurrency} / {e2e_narrow.concurrency} pollers, events/s ratio",
        f"{e2e.rate / e2e_narrow.rate:.2f}", "")  # fmt: skip
    print_main_job(main_job, seed.rate, args)
    print(f"\nreproduce: {Path(sys.executable).name} bench/throughput.py --events {args.events} "
          f"--seed-events {args.seed_events} --seed-seconds {args.seed_seconds:g} "
          f"--latency-ms {args.latency_ms:g} "
          f"--concurrency {args.concurrency} --simulate-rate {args.simulate_rate:g} "
          f"--simulate-seconds {args.simulate_seconds:g} "
          f"--saturation-seconds {args.saturation_seconds:g} --latency-rate {args.latency_rate:g} "
          f"--services {args.services}{' --find-max' if args.find_max else ''}")  # fmt: skip


if __name__ == "__main__":
    main()
