"""Service commands: `produce`, `consume`, `status`."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from typing import Annotated, Literal

import typer
from rich.table import Table

from messaging.cli.common import (
    EndpointUrl,
    Json,
    Profile,
    Region,
    StackName,
    app,
    err,
    fail,
    guard,
    out,
    session,
    settings_from,
    stop_on_signals,
)
from messaging.cli.console import LiveView, note
from messaging.consumer.runner import Runner
from messaging.consumer.state import WorkerOptions, WorkerStats
from messaging.core.events import ConsumerCreated
from messaging.core.services import SERVICES
from messaging.errors import MessagingError
from messaging.ops import stack, status
from messaging.ops.aws import Aws
from messaging.ops.functions import function_names
from messaging.ops.redrive import RedriveError, redrive
from messaging.ops.settings import Settings
from messaging.producer import Producer
from messaging.producer.fakes import ConsumerFactory

__all__ = ["consume", "produce", "redrive_dlq", "show_status"]


DLQ_EXIT_CODE = 3  # consume did its work, but messages were dead-lettered meanwhile


def _outputs(settings: Settings) -> tuple[Aws, stack.StackOutputs]:
    aws = session(settings)
    return aws, guard(lambda: stack.stack_outputs(aws.cloudformation(), settings.stack_name))


def _worker_table(runner: Runner[Aws], started: float) -> Table:
    table = Table(
        "service",
        *WorkerStats.FIELDS,
        "requests",
        "req/event",
        "events/s",
        title="consume",
        title_justify="left",
    )
    elapsed = max(time.monotonic() - started, 1e-9)
    for run in runner.runs:
        stats = run.worker.stats.snapshot()
        done = stats["handled"] + stats["duplicates"]
        requests = run.session.requests.total
        table.add_row(
            run.name,
            *(str(stats[name]) for name in WorkerStats.FIELDS),
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
    as_json: Json = False,
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
        producer = Producer(aws.publisher(), outputs.TopicArn, rate=rate, concurrency=concurrency)
    except (MessagingError, ValueError) as error:
        raise fail(str(error), code=2) from error
    events = (
        factory.events(count) if count is not None else _timed(factory.stream(), duration or 0.0)
    )
    published = [0]

    def progress_line() -> str:
        total = f" of {count}" if count is not None else ""
        return f"published {published[0]}{total}"

    def advance(n: int) -> None:
        published[0] += n
        view.update()

    with (
        LiveView(progress_line, progress_line, transient=True) as view,
        stop_on_signals() as stop,
    ):
        stats = guard(lambda: producer.publish(events, on_published=advance, stop=stop))
    # The publishing bill: SNS requests, retries included (the stack lookup is not one).
    requests = sum(n for op, n in aws.requests.snapshot().items() if op.startswith("sns:"))
    report = {
        "events": stats.events,
        "published": stats.published,
        "failed": stats.failed,
        "requests": requests,
        "requests_per_event": round(requests / stats.events, 4) if stats.events else 0.0,
        "seconds": round(stats.elapsed_seconds, 1),
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


def _report(stats: dict[str, int], requests: int) -> dict[str, int | float | None]:
    done = stats["handled"] + stats["duplicates"]
    return {
        **stats,
        "requests": requests,  # every HTTP request of the service, retries included
        "requests_per_event": round(requests / done, 4) if done else None,
    }


def _dlq_depths(aws: Aws, outputs: stack.StackOutputs, names: list[str]) -> dict[str, int]:
    values = outputs.model_dump()
    return {name: sum(status.queue_depth(aws, values[SERVICES[name].dlq_output])) for name in names}


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
    fail_on_dlq: Annotated[
        bool,
        typer.Option(
            "--fail-on-dlq/--no-fail-on-dlq",
            help=f"Exit {DLQ_EXIT_CODE} if messages reached a dead-letter queue while it ran.",
        ),
    ] = True,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: Json = False,
) -> None:
    """Run the orders and/or payments service: poll, handle, store, acknowledge.

    Safe to run as many copies as you like: every write is idempotent, and a redelivered
    event is counted as a duplicate. A store outage pauses polling and holds the work
    received instead of sending it to the DLQ. Ctrl-C or SIGTERM stops polling, finishes
    the work in flight and acknowledges it before exiting.

    Exit status: 0 when it did what was asked; 1 when a worker cannot make progress
    (threads hung or dying), for a process manager to restart it; 3 when messages reached
    a service's dead-letter queue while it ran (the DLQ held more at the end than at the
    start; --no-fail-on-dlq exits 0 then). On AWS the DLQ's count is approximate and can
    lag by a minute.

    Example: messaging consume all --until-empty
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, outputs = _outputs(settings)
    names: list[str] = list(SERVICES) if service == "all" else [service]
    options = WorkerOptions(
        concurrency=concurrency, until_empty=until_empty, max_messages=max_messages
    )
    dlq_before = guard(lambda: _dlq_depths(aws, outputs, names))
    # One session per service: its requests are its own.
    try:
        runner = Runner(
            [SERVICES[n] for n in names], outputs.model_dump(), lambda _: Aws(settings), options
        )
    except MessagingError as error:
        raise fail(str(error)) from error
    started = time.monotonic()

    def line() -> str:
        return "; ".join(
            f"{run.name}: handled {run.worker.stats['handled']}, "
            f"duplicates {run.worker.stats['duplicates']}, failed {run.worker.stats['failed']}"
            for run in runner.runs
        )

    with stop_on_signals() as stop:
        # From here on, Ctrl-C and SIGTERM stop gracefully; say so (scripts wait for it).
        err.print(
            f"consuming {', '.join(names)}; Ctrl-C or SIGTERM stops gracefully", highlight=False
        )
        runner.start(stop)
        # The live table goes to stderr and vanishes: stdout keeps only the final report.
        with LiveView(lambda: _worker_table(runner, started), line, transient=True) as view:
            while runner.alive:
                view.update()
                runner.join(0.25)
    dlq_after = guard(lambda: _dlq_depths(aws, outputs, names))
    reports = {
        run.name: {
            **_report(run.worker.stats.snapshot(), run.session.requests.total),
            "dlq_added": max(0, dlq_after[run.name] - dlq_before[run.name]),
        }
        for run in runner.runs
    }
    if as_json:
        sys.stdout.write(json.dumps(reports) + "\n")
    else:
        for name, report in reports.items():
            text = " ".join(f"{key}={value}" for key, value in report.items())
            out.print(f"{name}: {text}", soft_wrap=True, highlight=False)
    if runner.errors:
        raise fail("; ".join(runner.errors))  # each says what to do: restart the process
    if any(run.worker.stats["failed"] for run in runner.runs):
        err.print("[yellow]Some events failed; they stay in the queue and will be retried.")
    dead = {name: report["dlq_added"] for name, report in reports.items() if report["dlq_added"]}
    if dead:
        where = ", ".join(f"{count} to the {name} DLQ" for name, count in dead.items())
        message = (
            f"messages were dead-lettered while consuming ({where}): inspect them, fix the "
            f"cause, then `messaging redrive {next(iter(dead))}`"
        )
        if fail_on_dlq:
            raise fail(message, code=DLQ_EXIT_CODE)
        err.print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True, highlight=False)


def _functions_table(current: status.SystemStatus) -> Table:
    """Per Lambda-hosted service (a column each, so 80 columns fit): its function, its
    mapping's state, backlog, concurrency, invocations, errors and SQS requests."""

    def shown(value: object) -> str:
        return "-" if value is None else str(value)

    table = Table("", *current.functions, title="lambda", title_justify="left")
    rows: dict[str, list[str]] = {
        "function": [],
        "mapping": [],
        "backlog": [],
        "concurrency now/peak/max": [],
        "invocations": [],
        "errors": [],
        "SQS requests": [],
    }
    for name, function in current.functions.items():
        limits = (function.concurrency, function.peak_concurrency, function.maximum_concurrency)
        requests = None if function.sqs_requests is None else sum(function.sqs_requests.values())
        rows["function"].append(function.function)
        rows["mapping"].append(shown(function.mapping_state))
        rows["backlog"].append(
            shown(current.queues[name].visible if name in current.queues else None)
        )
        rows["concurrency now/peak/max"].append("/".join(shown(v) for v in limits))
        rows["invocations"].append(shown(function.invocations))
        rows["errors"].append(shown(function.invocation_errors))
        rows["SQS requests"].append(shown(requests))
    for label, values in rows.items():
        table.add_row(label, *values)
    return table


@app.command("status")
def show_status(
    as_json: Json = False,
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
    """Queue depths (visible, in flight, DLQ), stored items per service, lake objects,
    and for services on Lambda their event source mapping (state, backlog, concurrency,
    invocations, the mapping's SQS requests).

    Stored items are DescribeTable's ItemCount unless --exact: free and instant, but on
    AWS refreshed only about every six hours.

    Example: messaging status --json
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, outputs = _outputs(settings)
    raw = guard(lambda: stack.read_outputs(aws.cloudformation(), settings.stack_name))
    names = function_names(raw)
    current = guard(lambda: status.gather(aws, outputs, exact=exact, functions=names))
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
    if current.functions:
        out.print(_functions_table(current))
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
    as_json: Json = False,
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
        note(f"{service}: moved {moved} of {to_move if to_move is not None else '?'}", style="")

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
    if as_json:
        sys.stdout.write(json.dumps({"service": service, **dataclasses.asdict(report)}) + "\n")
    else:
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
