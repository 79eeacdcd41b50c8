"""Service commands: `produce`, `consume`, `status`."""

from __future__ import annotations

import sys
import threading
import time
from typing import Annotated, Literal

import typer
from rich.live import Live
from rich.table import Table

from messaging import stack, status
from messaging.aws import Aws
from messaging.cli.common import (
    EndpointUrl,
    Profile,
    Region,
    StackName,
    app,
    guard,
    out,
    settings_from,
    stop_on_signals,
)
from messaging.services import SERVICES
from messaging.settings import Settings
from messaging.store import DynamoStore
from messaging.worker import Worker, WorkerOptions

__all__ = ["consume", "show_status"]

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
        threads = [threading.Thread(target=w.run, args=(stop,), name=w.name) for w, _ in workers]
        for thread in threads:
            thread.start()
        with Live(
            _worker_table(workers, started),
            console=out,
            refresh_per_second=4,
            transient=not out.is_terminal,
        ) as live:
            while any(thread.is_alive() for thread in threads):
                live.update(_worker_table(workers, started))
                time.sleep(0.25)
    out.print(_worker_table(workers, started))
    if any(w.stats["failed"] for w, _ in workers):
        out.print("[yellow]Some events failed; they stay in the queue and will be retried.")


@app.command("status")
def show_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Queue depths (visible, in flight, DLQ), stored items per service, lake objects.

    Example: messaging status --json
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws, outputs = _outputs(settings)
    current = guard(lambda: status.gather(aws, outputs))
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
    partitions = ", ".join(current.lake.partitions) or "none yet"
    out.print(f"lake: {current.lake.objects} objects; partitions: {partitions}")
