"""Infrastructure commands: `up`, `deploy`, `destroy`, `outputs`."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from messaging.cli.common import (
    DEFAULT_TEMPLATE,
    EndpointUrl,
    FaultOps,
    FaultRate,
    FaultSeed,
    JitterMs,
    LatencyMs,
    Parameters,
    Profile,
    Region,
    StackName,
    Template,
    app,
    err,
    fail,
    fault_plan,
    guard,
    out,
    print_event,
    print_outputs,
    settings_from,
    stop_on_signals,
)
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import DEFAULT_STACK_NAME, Settings

if TYPE_CHECKING:
    from messaging.localcloud.server import LocalCloud

__all__ = ["deploy", "destroy", "outputs", "up"]


def _deploy(aws: Aws, stack_name: str, template: Path, parameters: list[str]) -> dict[str, str]:
    body = template.read_text(encoding="utf-8")
    try:
        params = stack.parse_parameters(parameters, stack.template_parameters(body))
        out.print(
            f"Deploying stack [bold]{stack_name}[/bold] to {aws.settings.endpoint_url or 'AWS'}"
            f" ({aws.region}) ..."
        )
        result = stack.deploy(aws.cloudformation(), stack_name, body, params, on_event=print_event)
    except stack.DeployError as error:
        err.print(f"[red]deploy failed:[/red] {error}")
        for event in error.events:
            err.print(
                f"  [red]{event.status}[/red] {event.resource_type} {event.logical_id}: "
                f"{event.reason}"
            )
        raise typer.Exit(1) from error
    except stack.StackError as error:
        raise fail(str(error)) from error
    if not result.changed:
        out.print("[green]No changes[/green]: the stack already matches the template.")
    else:
        out.print(f"[green]{result.status}[/green]")
    return result.outputs


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Address to bind. Loopback unless you mean it.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 4566,
    stack_name: Annotated[str, typer.Option("--stack-name", help="Stack to deploy.")] = (
        DEFAULT_STACK_NAME
    ),
    parameter: Parameters = None,
    no_deploy: Annotated[bool, typer.Option("--no-deploy", help="Start empty.")] = False,
    template: Template = DEFAULT_TEMPLATE,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fault_rate: FaultRate = 0.0,
    fault_ops: FaultOps = None,
    fault_seed: FaultSeed = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            file_okay=False,
            help="Keep the state here: restored on start, saved every --snapshot-interval "
            "and on stop. Without it, state is in memory and lost when `up` stops.",
        ),
    ] = None,
    snapshot_interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds between snapshots (with --state-dir)."),
    ] = 30.0,
) -> None:
    """Start the embedded local cloud in the foreground and deploy infra.yaml to it.

    It runs until Ctrl-C or SIGTERM; on stop it delivers every buffered Firehose
    record into S3. Any AWS client works against it: set the printed AWS_* variables,
    e.g. `aws sns list-topics` or boto3.

    State (stack, queues, tables, lake) is in memory: stopping loses it. With
    --state-dir it is restored on start and saved on stop and every
    --snapshot-interval seconds, so a crash loses at most that interval.

    With --latency-ms / --fault-rate it slows down and fails requests the way AWS
    does (throttling, 5xx, dropped connections), seeded by --fault-seed.

    Example: messaging up --port 4566 --state-dir .localcloud
    """
    # Imported here: only `up` needs moto, and the application never imports it.
    from messaging.localcloud.server import LocalCloud, is_loopback  # noqa: PLC0415
    from messaging.localcloud.state.persistence import Persistence, StateError  # noqa: PLC0415

    if not is_loopback(host):
        err.print(
            f"[yellow]warning:[/yellow] binding {host}: the local cloud has no "
            "authentication; anyone who can reach this address can use and reset it."
        )
    plan = fault_plan(latency_ms, jitter_ms, fault_rate, fault_ops, fault_seed)
    state = Persistence(state_dir, interval=snapshot_interval) if state_dir else None
    cloud = LocalCloud(host, port, faults=plan, state=state)
    try:
        cloud.start()
    except OSError as error:
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}; pass another --port",
            code=2,
        ) from error
    except StateError as error:
        raise fail(str(error), code=2) from error
    _describe_state(cloud, state_dir, snapshot_interval)
    try:
        with stop_on_signals() as stopping:
            _serve(
                cloud, stopping, stack_name, template, parameter or [], deploy_stack=not no_deploy
            )
    finally:
        out.print("Stopping: delivering buffered Firehose records ...")
        report = cloud.stop()
        if cloud.faults is not None:
            out.print(f"Injected {cloud.faults.total()} faults.")
        out.print(f"Delivered {report.delivered} buffered Firehose records.")
        if report.undelivered:
            err.print(f"[red]{report.undelivered} buffered records could not be delivered[/red]")
        if cloud.state_error is not None:
            err.print(f"[red]The state was not saved:[/red] {escape(cloud.state_error)}")
        if cloud.final_snapshot is not None:
            out.print(
                f"Saved the state to {state_dir} (snapshot {cloud.final_snapshot.sequence}).",
                highlight=False,
            )
        out.print("Stopped.")


def _describe_state(cloud: LocalCloud, state_dir: Path | None, interval: float) -> None:
    if state_dir is None:
        err.print(
            "State is in memory only: stopping `up` loses the stack, queues, tables and "
            "lake. Pass --state-dir DIR to keep them.",
            highlight=False,
        )
        return
    how = "restored from" if cloud.restored else "new, saved in"
    out.print(
        f"State: {how} {state_dir} (instance {cloud.instance_id}); saved every "
        f"{interval:g} s and on stop.",
        highlight=False,
        soft_wrap=True,
    )


def _serve(
    cloud: LocalCloud,
    stopping: threading.Event,
    stack_name: str,
    template: Path,
    parameters: list[str],
    *,
    deploy_stack: bool,
) -> None:
    out.print(f"Local cloud listening on [bold]{cloud.endpoint_url}[/bold]")
    if deploy_stack:
        settings = Settings(
            stack_name=stack_name, endpoint_url=cloud.endpoint_url, region=cloud.region
        )
        aws = Aws(settings, placeholder_credentials=cloud.placeholder_credentials)
        print_outputs(_deploy(aws, stack_name, template, parameters))
    out.print(
        "\nPoint any AWS client at it (placeholder credentials: the local cloud "
        "ignores signatures):",
        soft_wrap=True,
    )
    for key, value in cloud.client_environment().items():
        out.print(f"  export {key}={value}", highlight=False, soft_wrap=True)
    out.print("\nPress Ctrl-C to stop.", style="dim")
    while not stopping.wait(0.5):  # a timed wait lets the signal handler run promptly
        pass


@app.command()
def deploy(
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    parameter: Parameters = None,
    template: Template = DEFAULT_TEMPLATE,
) -> None:
    """Create or update the stack through a change set, showing progress.

    An update with nothing to change is not an error. A failed deploy prints the
    events that say why.

    Example: messaging deploy --parameter BufferIntervalSeconds=60
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    outputs = guard(lambda: _deploy(Aws(settings), settings.stack_name, template, parameter or []))
    print_outputs(outputs)


@app.command()
def destroy(
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the stack, after emptying its lake bucket (every object version).

    Example: messaging destroy --stack-name messaging-dev --yes
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    if not yes:
        typer.confirm(
            f"Delete stack {settings.stack_name} and every object in its lake?", abort=True
        )
    aws = Aws(settings)
    existed, objects = guard(
        lambda: stack.destroy(
            aws.cloudformation(), aws.s3(), settings.stack_name, on_event=print_event
        )
    )
    if not existed:
        out.print(f"Stack {settings.stack_name} does not exist; nothing to do.")
        return
    out.print(
        f"[green]Deleted[/green] stack {settings.stack_name} ({objects} lake objects removed)."
    )


@app.command()
def outputs(
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the stack outputs (how every command finds its resources).

    Example: messaging outputs --json
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws = Aws(settings)
    values = guard(lambda: stack.read_outputs(aws.cloudformation(), settings.stack_name))
    if as_json:
        sys.stdout.write(json.dumps(values, indent=2, sort_keys=True) + "\n")
    else:
        print_outputs(values)
