"""The main job: `messaging simulate`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live
from rich.table import Table

from messaging import lake
from messaging.cli.common import (
    EndpointUrl,
    FaultOps,
    FaultRate,
    FaultSeed,
    JitterMs,
    LatencyMs,
    Profile,
    Region,
    StackName,
    Wheelhouse,
    app,
    err,
    fail,
    fault_plan,
    guard,
    out,
    print_event,
    settings_from,
    stop_on_signals,
)
from messaging.ops.hosting import ArtifactSource
from messaging.ops.settings import Settings
from messaging.simulation.dashboard import render
from messaging.simulation.run import Sample, Simulation, SimulationError, SimulationOptions
from messaging.simulation.verify import Report, summary_lines

if TYPE_CHECKING:
    from messaging.localcloud.server import LocalCloud

__all__ = ["ServicesMode", "simulate"]


class ServicesMode(StrEnum):
    """Where `simulate` runs the services (`messaging.simulation.hosts.HOSTS`)."""

    LAMBDA = "lambda"
    WORKERS = "workers"


def _lake_table(objects: list[lake.LakeObject]) -> Table:
    summary = lake.summarize(objects)
    table = Table("partition", "objects", "bytes", title="lake", title_justify="left")
    for partition in summary.partitions:
        in_partition = [o for o in objects if o.partition == partition]
        table.add_row(
            f"landing_date={partition}",
            str(len(in_partition)),
            f"{sum(o.size for o in in_partition):,}",
        )
    return table


@app.command()
def simulate(
    rate: Annotated[float, typer.Option(min=0.1, help="Events per second.")] = 50.0,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of producing.")] = 30.0,
    seed: Annotated[int | None, typer.Option(help="Reproducible events (ids included).")] = None,
    buffer_interval: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=900,
            help="Set the stack's Firehose BufferIntervalSeconds (default: an existing "
            "stack's is kept; a new stack gets 10).",
        ),
    ] = None,
    buffer_size_mb: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=128,
            help="Set the stack's Firehose BufferSizeMB (default: kept; a new stack gets 5).",
        ),
    ] = None,
    visibility_timeout: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=43200,
            help="Set the queues' VisibilityTimeoutSeconds: how long a lost "
            "receive hides a message (default: the stack's is kept; a new stack gets 30).",
        ),
    ] = None,
    services: Annotated[
        ServicesMode,
        typer.Option(
            "--services",
            help="Where the services run: lambda (the stack's Lambda functions behind their "
            "SQS event source mappings, as hosted on AWS) or workers (long-running workers "
            "in this process, on a stack with ServicesHost=external). The stack is switched "
            "to match, and says so.",
        ),
    ] = ServicesMode.LAMBDA,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Pollers per service; batches in flight (with --services workers)."
        ),
    ] = 4,
    report_json: Annotated[Path | None, typer.Option(help="Write the report as JSON.")] = None,
    chart: Annotated[
        Path | None,
        typer.Option(help="Draw queue depth, throughput and lake objects over time (PNG)."),
    ] = None,
    use_aws: Annotated[
        bool,
        typer.Option(
            "--aws", help="Run against AWS itself (your credential chain), not a local cloud."
        ),
    ] = (False),
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fault_rate: FaultRate = 0.0,
    fault_ops: FaultOps = None,
    fault_seed: FaultSeed = None,
    endpoint_url: EndpointUrl = None,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    wheelhouse: Wheelhouse = None,
) -> None:
    """Run the whole system and prove that every event reached every destination.

    With no endpoint (and no --aws) it starts the local cloud in-process on a free port.
    An existing stack is used as it is (it says which buffering it found); a parameter
    option (--buffer-interval, ...) changes the stack, and it says so. It runs the
    producer and both services at once under a live view, then drains the queues, waits
    for Firehose to flush, and verifies every produced event in both stores and the lake.
    Exit status 0 only if nothing was lost and no effect was applied twice.

    The fault options make the in-process local cloud slow and unreliable the way AWS
    can be; the run must still lose nothing.

    By default the services run as the stack's Lambda functions (their code built and
    uploaded as `messaging deploy` does), followed through their CloudWatch Logs; with
    --services workers they run in this process instead.

    Example: messaging simulate --duration 10 --rate 20 --buffer-interval 2 --report-json r.json
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    if use_aws and settings.endpoint_url:
        raise fail("--aws and an endpoint URL contradict each other", code=2)
    plan = fault_plan(latency_ms, jitter_ms, fault_rate, fault_ops, fault_seed)
    local = not use_aws and settings.endpoint_url is None
    if plan is not None and not local:
        raise fail(
            "fault injection needs the in-process local cloud (no endpoint, no --aws)", code=2
        )
    cloud: LocalCloud | None = None
    credentials = None
    if local:
        from messaging.localcloud.server import LocalCloud  # noqa: PLC0415 - local only

        cloud = LocalCloud(port=0, faults=plan).start()
        settings = settings.model_copy(
            update={"endpoint_url": cloud.endpoint_url, "region": cloud.region}
        )
        credentials = cloud.placeholder_credentials
        err.print(f"Started the local cloud on {cloud.endpoint_url}")
    options = SimulationOptions(
        rate=rate,
        duration=duration,
        seed=seed,
        buffer_interval=buffer_interval,
        buffer_size_mb=buffer_size_mb,
        concurrency=concurrency,
        visibility_timeout=visibility_timeout,
        services=services.value,
    )
    artifacts = ArtifactSource(wheelhouse) if wheelhouse else ArtifactSource()
    try:
        report, samples, objects = _run(options, settings, credentials, artifacts)
    finally:
        if cloud is not None:
            cloud.stop()
    if cloud is not None and cloud.faults is not None:
        report = report.model_copy(update={"faults_injected": cloud.faults.total()})
    for line in summary_lines(report):
        out.print(line, style="green" if report.ok else "red", highlight=False, soft_wrap=True)
    out.print(_lake_table(objects))
    if report_json is not None:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        report_json.write_text(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
        out.print(f"report: {report_json}")
    if chart is not None and samples:
        from messaging.simulation.chart import draw  # noqa: PLC0415 - matplotlib only when asked

        title = f"simulate {duration:.0f}s @ {rate}/s"
        out.print(f"chart: {draw(samples, chart, title=title, cost=report.aws_cost)}")
    if not report.ok:
        raise typer.Exit(1)


def _run(
    options: SimulationOptions,
    settings: Settings,
    credentials: tuple[str, str] | None,
    artifacts: ArtifactSource,
) -> tuple[Report, list[Sample], list[lake.LakeObject]]:
    with Live(render([], options.duration), console=err, refresh_per_second=4) as live:
        simulation = Simulation(
            settings,
            options,
            placeholder_credentials=credentials,
            artifacts=artifacts,
            on_sample=lambda _: live.update(render(simulation.samples, options.duration)),
            on_event=print_event,
            on_note=lambda note: err.print(f"[dim]{note}[/dim]", soft_wrap=True, highlight=False),
        )
        with stop_on_signals() as stop:
            try:
                report = guard(lambda: simulation.run(stop))
            except SimulationError as error:
                raise fail(f"{error}; nothing was verified") from error
    return report, simulation.samples, simulation.lake_objects
