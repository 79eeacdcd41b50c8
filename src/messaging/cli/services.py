"""Service commands: `produce`, `consume`, `status`."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Literal

import typer
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from messaging.cli.common import (
    EndpointUrl,
    Profile,
    Region,
    StackName,
    app,
    err,
    fail,
    guard,
    out,
    settings_from,
    stop_on_signals,
)
from messaging.consumer.worker import Worker, WorkerOptions
from messaging.core.events import ConsumerCreated
from messaging.core.services import SERVICES
from messaging.errors import MessagingError
from messaging.ops import stack, status
from messaging.ops.aws import Aws
from messaging.ops.redrive import RedriveError, redrive
from messaging.ops.settings import Settings
from messaging.producer import Producer
from messaging.producer.fakes import ConsumerFactory
from messaging.store import DynamoStore

__all__ = ["consume", "produce", "redrive_dlq", "show_status"]

COUNTERS = ("received", "handled", "duplicates", "failed", "undecodable", "released",
            "extended", "errors")  # fmt: skip


def _outputs(settings: Settings) -> tuple[Aws, stack.StackOutputs]:
    aws = Aws(settings)
    return aws, guard(lambda: stack.stack_outputs(aws.cloudformation(), settings.stack_name))


def _worker_table(workers: list[tuple[Worker, Aws]], started: float) -> Table:
    table = Table(
        "service",
        *COUNTERS,
        "requests",
        "req/event",
        "events/s",
        title="consume",
        title_justify="left",
    )
    elapsed = max(time.monotonic() - started, 1e-9)
    for worker, aws in workers:
        stats = worker.stats.snapshot()
        done = stats["handled"] + stats["duplicates"]
        requests = aws.requests.total
        table.add_row(
            worker.name,
            *(str(stats[name]) for name in COUNTERS),
            str(requests),
            f"{requests / done:.3f}" if done else "-",
            f"{done / elapsed:.0f}",
        )
    return table


def _timed(events: Iterator[ConsumerCreated], seconds: float) -> Iterator[ConsumerCreated]:
    deadline = time.monotonic() + seconds
    for event in events:
        if time.monotonic() >= deadline:
            return
        yield event


@app.command()
def produce(
    count: Annotated[int | None, typer.Option(min=1, help="Events to publish.")] = None,
    duration: Annotated[
        float | None,
        typer.Option(min=0.1, help="Publish for this many seconds instead of a count."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(min=0.001, help="Events per second (default: as fast as possible)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Same seed, same events (ids included): a re-run publishes duplicates."),
    ] = None,
    locale: Annotated[str, typer.Option(help="Faker locale of the consumers.")] = "en_US",
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="PublishBatch requests in flight.")
    ] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Publish realistic `consumer.created` events to the topic, in batches of 10.

    Failed entries of a batch are retried with back-off; nothing is dropped silently.
    Ctrl-C stops taking new events and finishes what was taken.

    Example: messaging produce --count 500 --seed 7
    """
    if (count is None) == (duration is None):
        raise fail("give exactly one of --count or --duration", code=2)
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, outputs = _outputs(settings)
    try:
        factory = ConsumerFactory(seed=seed, locale=locale)
        producer = Producer(aws.sns(), outputs.TopicArn, rate=rate, concurrency=concurrency)
    except (MessagingError, ValueError) as error:
        raise fail(str(error), code=2) from error
    events = (
        factory.events(count) if count is not None else _timed(factory.stream(), duration or 0.0)
    )
    with (
        Progress(
            TextColumn("publishing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as progress,
        stop_on_signals() as stop,
    ):
        task = progress.add_task("publish", total=count)
        stats = guard(
            lambda: producer.publish(
                events, on_published=lambda n: progress.advance(task, n), stop=stop
            )
        )
    report = {
        "events": stats.events,
        "published": stats.published,
        "failed": stats.failed,
        "requests": stats.requests,
        "http_requests": aws.requests.total,
        "requests_per_event": round(stats.requests_per_event, 4),
        "events_per_second": round(stats.published / max(stats.elapsed_seconds, 1e-9), 1),
        "seed": seed,
    }
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
    else:
        out.print(" ".join(f"{key}={value}" for key, value in report.items()))
    for failure in stats.failures[:10]:
        err.print(f"[red]failed:[/red] event {failure.event_id}: {failure.code}")
    if stats.aborted:
        err.print(f"[red]aborted:[/red] {stats.aborted}")
    if stats.failed:
        raise typer.Exit(1)


def _report(worker: Worker, aws: Aws) -> dict[str, int | float | None]:
    stats = worker.stats.snapshot()
    done = stats["handled"] + stats["duplicates"]
    return {
        **stats,
        "http_requests": aws.requests.total,
        "requests_per_event": round(aws.requests.total / done, 4) if done else None,
    }


@app.command()
def consume(
    service: Annotated[
        Literal["orders", "payments", "all"], typer.Argument(help="Which service to run.")
    ],
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Pollers per service.")] = 4,
    until_empty: Annotated[
        bool,
        typer.Option(
            "--until-empty", help="Stop once the queue has nothing visible, delayed or in flight."
        ),
    ] = False,
    max_messages: Annotated[
        int | None,
        typer.Option(min=1, help="Stop after receiving this many messages (per service)."),
    ] = None,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final counters as JSON.")] = (
        False
    ),
) -> None:
    """Run the orders and/or payments service: poll, handle, store, acknowledge.

    Safe to run as many copies as you like: every write is idempotent, and a redelivered
    event is counted as a duplicate. Ctrl-C or SIGTERM stops polling, finishes the work
    in flight and acknowledges it before exiting.

    Example: messaging consume all --until-empty
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    _, outputs = _outputs(settings)
    values = outputs.model_dump()
    names = list(SERVICES) if service == "all" else [service]
    options = WorkerOptions(
        concurrency=concurrency, until_empty=until_empty, max_messages=max_messages
    )
    workers: list[tuple[Worker, Aws]] = []
    for name in names:
        spec = SERVICES[name]
        aws = Aws(settings)  # one session per service: its requests are its own
        store = DynamoStore(aws.dynamodb(), values[spec.table_output])
        worker = Worker(name, aws.sqs(), values[spec.queue_output], spec.handle, store, options)
        workers.append((worker, aws))
    started = time.monotonic()
    with stop_on_signals() as stop:
        # From here on, Ctrl-C and SIGTERM stop gracefully; say so (scripts wait for it).
        err.print(
            f"consuming {', '.join(names)}; Ctrl-C or SIGTERM stops gracefully", highlight=False
        )
        threads = [threading.Thread(target=w.run, args=(stop,), name=w.name) for w, _ in workers]
        for thread in threads:
            thread.start()
        # The live table goes to stderr and vanishes: stdout keeps only the final report.
        with Live(
            _worker_table(workers, started), console=err, refresh_per_second=4, transient=True
        ) as live:
            while any(thread.is_alive() for thread in threads):
                live.update(_worker_table(workers, started))
                time.sleep(0.25)
    reports = {worker.name: _report(worker, aws) for worker, aws in workers}
    if as_json:
        sys.stdout.write(json.dumps(reports) + "\n")
    else:
        for name, report in reports.items():
            line = " ".join(f"{key}={value}" for key, value in report.items())
            out.print(f"{name}: {line}", soft_wrap=True, highlight=False)
    if any(w.stats["failed"] for w, _ in workers):
        err.print("[yellow]Some events failed; they stay in the queue and will be retried.")


@app.command("status")
def show_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Count stored items with a Scan (Select=COUNT) instead of DescribeTable's "
            "ItemCount. It reads every item: on AWS about 61,000 read units (~USD 0.008 on "
            "demand) per million items of 0.5 KB.",
        ),
    ] = False,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Queue depths (visible, in flight, DLQ), stored items per service, lake objects.

    Stored items are DescribeTable's ItemCount unless --exact: free and instant, but on
    AWS refreshed only about every six hours.

    Example: messaging status --json
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, outputs = _outputs(settings)
    current = guard(lambda: status.gather(aws, outputs, exact=exact))
    if as_json:
        sys.stdout.write(current.model_dump_json(indent=2) + "\n")
        return
    table = Table(
        "service", "visible", "in flight", "DLQ", "stored", title="status", title_justify="left"
    )
    for name, depth in current.queues.items():
        table.add_row(
            name,
            str(depth.visible),
            str(depth.in_flight),
            str(depth.dlq),
            str(current.tables[name]),
        )
    out.print(table)
    counted = current.counted
    cost = f"; {counted.read_units:g} read units" if counted.method == "exact" else ""
    out.print(
        f"stored: {counted.method} ({counted.note}; {counted.requests} requests{cost})",
        highlight=False,
        soft_wrap=True,
    )
    partitions = ", ".join(current.lake.partitions) or "none yet"
    out.print(f"lake: {current.lake.objects} objects; partitions: {partitions}")


@app.command("redrive")
def redrive_dlq(
    service: Annotated[
        Literal["orders", "payments"], typer.Argument(help="Whose dead-letter queue to move back.")
    ],
    max_messages: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Move at most this many (default: all it holds now). Uses receive and "
            "send instead of a message move task.",
        ),
    ] = None,
    rate: Annotated[
        int | None,
        typer.Option(min=1, max=500, help="Messages per second (default: as SQS decides)."),
    ] = None,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Move a service's DLQ messages back to its queue, once the cause is fixed.

    It uses SQS's message move task (StartMessageMoveTask) where the endpoint has it:
    it moves the messages the DLQ holds when it starts, no others, so it ends even if
    some fail again, and shows progress. Ctrl-C cancels it; what moved stays moved.
    Elsewhere it receives, sends and then deletes, so a crash can duplicate a message
    (the services absorb duplicates), never lose one.

    Example: messaging redrive orders
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, outputs = _outputs(settings)
    spec = SERVICES[service]
    values = outputs.model_dump()

    def progress(moved: int, to_move: int | None) -> None:
        err.print(f"{service}: moved {moved} of {to_move if to_move is not None else '?'}")

    with stop_on_signals() as stop:
        try:
            report = guard(
                lambda: redrive(
                    aws.sqs(),
                    values[spec.dlq_output],
                    values[spec.queue_output],
                    max_messages=max_messages,
                    rate=rate,
                    on_progress=progress,
                    stop=stop,
                )
            )
        except RedriveError as error:
            raise fail(str(error)) from error
    out.print(
        f"{service}: moved {report.moved} messages from the DLQ back to the queue "
        f"({report.method}, {report.status.lower()})",
        highlight=False,
    )
    if report.status == "FAILED":
        err.print(f"[red]the redrive failed:[/red] {report.reason}; the rest stays in the DLQ")
        raise typer.Exit(1)
    if report.failed:
        err.print(f"[yellow]{report.failed} messages could not be moved; they stay in the DLQ")
        raise typer.Exit(1)
