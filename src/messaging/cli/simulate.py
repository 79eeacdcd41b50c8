"""The main job: `messaging simulate`."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from messaging import lake
from messaging.cli.common import (
    EndpointUrl,
    FaultOps,
    FaultRate,
    FaultSeed,
    JitterMs,
    Json,
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
from messaging.cli.console import LiveView, note
from messaging.cli.local import check_output_path, require_extra, without_aws_profile
from messaging.ops.hosting import ArtifactSource
from messaging.simulation.dashboard import render, summary_line
from messaging.simulation.run import Sample, Simulation, SimulationError, SimulationOptions
from messaging.simulation.verify import Report, summary_lines

if TYPE_CHECKING:
    from messaging.localcloud.faults import FaultPlan
    from messaging.localcloud.process import CloudProcess, CloudStopped

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
    report_json: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="Write the report as JSON (checked writable before the run)."
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Draw queue depth, throughput and lake objects over time (PNG; needs the "
            "chart extra).",
        ),
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
    as_json: Json = False,
) -> None:
    """Run the whole system and prove that every event reached every destination.

    With no endpoint (and no --aws) it starts the local cloud in a process of its own on
    a free port (so the cloud and the run use a core each), and stops it when the run
    ends, however it ends; that needs no AWS profile or credentials. An existing stack is
    used as it is (it says which buffering it found); a parameter option
    (--buffer-interval, ...) changes the stack, and it says so. It runs the producer and
    both services at once under a live view, then drains the queues, waits for Firehose
    to flush, and verifies every event it produced in both stores and the lake. Only its
    own events are judged: a backlog the stack held before is consumed and reported
    apart.

    Ctrl-C stops producing early; the run still drains, waits for Firehose and verifies,
    and reports `interrupted`. A second Ctrl-C aborts at once, without verifying.

    Exit status: 0 if events were produced, none was lost and no effect was applied
    twice; 1 if not (or the run could not finish); 130 if it was interrupted (verified
    all the same).

    The fault options make the local cloud it starts slow and unreliable the way AWS
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
    local = not use_aws and settings.endpoint_url is None
    # Everything a finished run needs is checked before it starts.
    if local:
        require_extra("local", "messaging simulate on the embedded local cloud")
    if chart is not None:
        require_extra("chart", "--chart")
        _check_chart_format(chart)
        check_output_path(chart, "--chart")
    if report_json is not None:
        check_output_path(report_json, "--report-json")
    plan = fault_plan(latency_ms, jitter_ms, fault_rate, fault_ops, fault_seed)
    if plan is not None and not local:
        raise fail(
            "fault injection needs the local cloud simulate starts (no endpoint, no --aws)", code=2
        )
    cloud: CloudProcess | None = None
    credentials = None
    if local:
        without_aws_profile()  # the local cloud's process inherits this environment
        cloud = _start_cloud(plan)
        settings = settings.model_copy(
            update={"endpoint_url": cloud.endpoint_url, "region": cloud.region, "profile": None}
        )
        credentials = cloud.placeholder_credentials
        note(
            f"Started the local cloud on {cloud.endpoint_url} (process {cloud.pid}; "
            "it stops with this run)",
            style="",
        )
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
    simulation = Simulation(
        settings,
        options,
        placeholder_credentials=credentials,
        # On the local cloud it starts, that cloud's runtime provides the dependencies.
        artifacts=ArtifactSource(
            **({"wheelhouse": wheelhouse} if wheelhouse else {}), dependencies=not local
        ),
        on_event=lambda event: print_event(event, console=err),
        on_note=note,
    )
    try:
        report = _run(simulation)
    except BaseException:
        if cloud is not None:
            _stop_cloud(cloud)
        raise
    if cloud is not None:
        stopped = _stop_cloud(cloud)
        if stopped is not None and stopped.faults_injected is not None:
            report = report.model_copy(update={"faults_injected": stopped.faults_injected})
    _show(report, simulation.lake_objects, as_json=as_json)
    written = _write_outputs(report, simulation.samples, report_json, chart, options)
    if not report.ok or not written:
        raise typer.Exit(1)
    if report.interrupted:
        raise typer.Exit(INTERRUPTED_EXIT_CODE)


INTERRUPTED_EXIT_CODE = 130  # as a shell reports a Ctrl-C


def _start_cloud(plan: FaultPlan | None) -> CloudProcess:
    """The local cloud in its own process: it gets a core of its own (issue #21)."""
    from messaging.localcloud.process import CloudProcess, CloudProcessError  # noqa: PLC0415

    try:
        return CloudProcess(faults=plan).start()
    except CloudProcessError as error:
        raise fail(f"{error}; nothing was run") from error


def _stop_cloud(cloud: CloudProcess) -> CloudStopped | None:
    """Stop the local cloud's process; a failure to stop it cleanly is said, not raised
    (it is killed then): the run's report stands either way."""
    from messaging.localcloud.process import CloudProcessError  # noqa: PLC0415

    try:
        stopped = cloud.stop()
    except CloudProcessError as error:
        err.print(f"[yellow]warning:[/yellow] {error}; it was killed", highlight=False)
        return None
    if stopped.undelivered:
        err.print(
            f"[yellow]warning:[/yellow] the local cloud stopped with {stopped.undelivered} "
            "Firehose records undelivered",
            highlight=False,
        )
    return stopped


def _check_chart_format(chart: Path) -> None:
    from matplotlib.figure import Figure  # noqa: PLC0415 - only with --chart

    formats = Figure().canvas.get_supported_filetypes()
    suffix = chart.suffix.lstrip(".").lower()
    if suffix not in formats:
        known = ", ".join(sorted(formats))
        raise fail(f"--chart {chart}: unknown image format {suffix!r}; use one of {known}", 2)


def _unverified(phase: str) -> str:
    return {
        "deploying": "nothing was produced yet",
        "producing": "both stores and the lake",
        "draining": "both stores (their queues were still draining) and the lake",
        "flushing": "the lake (Firehose may still hold events in its buffer) and both stores",
        "verifying": "the report (verification was under way)",
    }.get(phase, "everything")


def _run(simulation: Simulation) -> Report:
    def abort() -> None:
        """The second Ctrl-C: say what was not verified, and leave at once."""
        err.print(
            f"aborted while {simulation.phase}: {simulation.ledger.published} events were "
            f"published; not verified: {_unverified(simulation.phase)}. No report was written.",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        # Threads end with it; the local cloud's process sees its stdin close, and stops.
        os._exit(INTERRUPTED_EXIT_CODE)

    duration = simulation.options.duration
    with (
        LiveView(
            lambda: render(simulation.samples, duration),
            lambda: summary_line(simulation.samples, duration),
        ) as view,
        stop_on_signals(abort=abort) as stop,
    ):
        simulation.on_sample = lambda _: view.update()
        try:
            return guard(lambda: simulation.run(stop))
        except SimulationError as error:
            raise fail(f"{error}; nothing was verified") from error


def _show(report: Report, objects: list[lake.LakeObject], *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    console = err if as_json else out
    style = "green" if report.ok else "red"
    for line in summary_lines(report):
        console.print(line, style=style, highlight=False, soft_wrap=True, markup=False)
    console.print(_lake_table(objects))


def _write_outputs(
    report: Report,
    samples: list[Sample],
    report_json: Path | None,
    chart: Path | None,
    options: SimulationOptions,
) -> bool:
    """Write the report and draw the chart; a failure of one is one line, not the other's."""
    written = True
    if report_json is not None:
        try:
            report_json.write_text(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
            note(f"report: {report_json}", style="")
        except OSError as error:
            err.print(f"[red]error:[/red] cannot write {report_json}: {error.strerror}")
            written = False
    if chart is not None and samples:
        from messaging.simulation.chart import draw  # noqa: PLC0415 - matplotlib only when asked

        title = f"simulate {options.duration:.0f}s @ {options.rate}/s"
        try:
            note(f"chart: {draw(samples, chart, title=title, cost=report.aws_cost)}", style="")
        except OSError as error:
            err.print(f"[red]error:[/red] cannot write {chart}: {error.strerror}")
            written = False
    return written
