"""Infrastructure commands: `up`, `deploy`, `destroy`, `outputs`."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from messaging.cli.common import (
    DEFAULT_TEMPLATE,
    EndpointUrl,
    FaultOps,
    FaultRate,
    FaultSeed,
    JitterMs,
    Json,
    LatencyMs,
    Parameters,
    Profile,
    Region,
    StackName,
    Template,
    Wheelhouse,
    app,
    err,
    fail,
    fault_plan,
    guard,
    out,
    print_event,
    print_outputs,
    session,
    settings_from,
    stop_on_signals,
)
from messaging.cli.local import require_extra, without_aws_profile
from messaging.cli.stack_view import print_inventory, print_preview
from messaging.ops import hosting, stack
from messaging.ops.artifact import ArtifactError
from messaging.ops.aws import DEPLOY_ATTEMPTS, Aws, default_config
from messaging.ops.settings import Settings

if TYPE_CHECKING:
    from messaging.localcloud.server import LocalCloud

__all__ = ["deploy", "destroy", "outputs", "up"]


def _deploy(
    aws: Aws,
    stack_name: str,
    template: Path,
    parameters: list[str],
    flags: DeployFlags | None = None,
) -> dict[str, str]:
    """Deploy and show it happening; every failure is one line saying what to do."""
    flags = flags or DeployFlags()
    body = template.read_text(encoding="utf-8")
    try:
        params = stack.parse_parameters(parameters, stack.template_parameters(body))
        target = aws.settings.endpoint_url or "AWS"
        err.print(f"Deploying stack [bold]{stack_name}[/bold] to {target} ({aws.region}) ...")
        params = _with_hosting(aws, stack_name, body, params, flags)
        result = stack.deploy(
            aws.cloudformation(),
            stack_name,
            body,
            params,
            reset_parameters=flags.reset_parameters,
            allow_data_loss=flags.allow_data_loss,
            continue_rollback=flags.continue_rollback,
            skip_resources=flags.skip_resources,
            on_event=lambda event: print_event(event, console=err if flags.as_json else out),
        )
    except stack.DeployError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True, highlight=False)
        for event in error.events:
            err.print(
                f"  [red]{event.status}[/red] {event.resource_type} {event.logical_id}: "
                f"{escape(str(event.reason))}",
                soft_wrap=True,
                highlight=False,
            )
        raise typer.Exit(1) from error
    except (stack.StackError, ArtifactError) as error:
        raise fail(str(error)) from error
    for note in result.notes:
        err.print(f"[dim]note: {escape(note)}[/dim]", soft_wrap=True, highlight=False)
    if result.kept:
        err.print(f"[dim]Kept current values: {', '.join(result.kept)}[/dim]", soft_wrap=True)
    if flags.as_json:
        sys.stdout.write(json.dumps(_result_data(result), indent=2) + "\n")
    elif not result.changed:
        out.print("[green]No changes[/green]: the stack already matches the template.")
    else:
        out.print(f"[green]{result.status}[/green]")
    return result.outputs


def _with_hosting(
    aws: Aws,
    stack_name: str,
    body: str,
    params: dict[str, str],
    flags: DeployFlags,
    *,
    upload: bool = True,
) -> dict[str, str]:
    """The given parameters plus what hosting the services needs (the artifact's place)."""
    current = stack.describe_stack(aws.cloudformation(), stack_name)
    plan = hosting.prepare(
        aws.s3(),
        aws.client("sts"),
        aws.region,
        body,
        params,
        current,
        reset=flags.reset_parameters,
        source=flags.source,
        upload=upload,
    )
    for note in plan.notes:
        err.print(f"[dim]{escape(note)}[/dim]", soft_wrap=True, highlight=False)
    return {**params, **plan.parameters}


def _result_data(result: stack.DeployResult) -> dict[str, Any]:
    return {
        "stack_name": result.stack_name,
        "status": result.status,
        "changed": result.changed,
        "kept": result.kept,
        "notes": result.notes,
        "changes": [c.model_dump(mode="json") for c in result.changes],
        "outputs": result.outputs,
    }


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Address to bind. Loopback unless you mean it.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 4566,
    stack_name: StackName = None,
    parameter: Parameters = None,
    no_deploy: Annotated[bool, typer.Option("--no-deploy", help="Start empty.")] = False,
    template: Template = DEFAULT_TEMPLATE,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fault_rate: FaultRate = 0.0,
    fault_ops: FaultOps = None,
    fault_seed: FaultSeed = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin",
            metavar="ORIGIN",
            help="A web origin (e.g. https://app.example) whose pages may call the local "
            "cloud, with CORS. Repeatable. None by default: browsers are refused.",
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            metavar="NAME",
            help="A Host name clients may use besides loopback and --host (e.g. the name "
            "of this machine in a docker network). Repeatable.",
        ),
    ] = None,
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
    wheelhouse: Wheelhouse = None,
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

    Only your own clients get in: a request from a web page (an Origin or Referer
    not allowed with --cors-origin) or for another Host name (DNS rebinding) is
    refused with 403. POST /moto-api/reset empties everything; GET
    /_localcloud/health reports each service.

    It needs no AWS profile or credentials: AWS_PROFILE is ignored here.

    Example: messaging up --port 4566 --state-dir .localcloud
    """
    require_extra("local", "messaging up")
    stack_name = settings_from(stack_name=stack_name).stack_name
    without_aws_profile()  # before moto is imported: it reads the profile
    # Imported here: only `up` needs moto, and the application never imports it.
    from messaging.localcloud.server import (  # noqa: PLC0415
        GuardPolicy,
        LocalCloud,
        LocalCloudNotReadyError,
        is_loopback,
    )

    try:
        policy = GuardPolicy.build(host, cors_origin or [], allow_host or [])
    except ValueError as error:
        raise fail(f"--cors-origin: {error}", code=2) from error
    from messaging.localcloud.collector import tune_for_serving  # noqa: PLC0415
    from messaging.localcloud.state.persistence import Persistence, StateError  # noqa: PLC0415

    if not is_loopback(host):
        err.print(
            f"[yellow]warning:[/yellow] binding {host}: the local cloud has no "
            "authentication; anyone who can reach this address can use and reset it."
        )
    plan = fault_plan(latency_ms, jitter_ms, fault_rate, fault_ops, fault_seed)
    state = Persistence(state_dir, interval=snapshot_interval) if state_dir else None
    cloud = LocalCloud(host, port, faults=plan, policy=policy, state=state)
    try:
        cloud.start()
    except LocalCloudNotReadyError as error:
        cloud.stop()
        raise fail(
            f"the local cloud started but is not ready: {error}; see the log above"
        ) from error
    except OSError as error:
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}; pass another --port",
            code=2,
        ) from error
    except StateError as error:
        raise fail(str(error), code=2) from error
    tune_for_serving()
    _describe_state(cloud, state_dir, snapshot_interval)
    try:
        with stop_on_signals() as stopping:
            _serve(
                cloud,
                stopping,
                stack_name,
                template,
                parameter or [],
                deploy_stack=not no_deploy,
                # Its own runtime provides the functions' dependencies (`ArtifactSource`).
                flags=DeployFlags(source=replace(_source(wheelhouse), dependencies=False)),
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
    flags: DeployFlags,
) -> None:
    out.print(f"Local cloud listening on [bold]{cloud.endpoint_url}[/bold]")
    if cloud.policy.cors_origins:
        origins = ", ".join(sorted(cloud.policy.cors_origins))
        out.print(f"Web pages allowed (CORS): {origins}", highlight=False, soft_wrap=True)
    if deploy_stack:
        settings = Settings(
            stack_name=stack_name, endpoint_url=cloud.endpoint_url, region=cloud.region
        )
        aws = Aws(settings, placeholder_credentials=cloud.placeholder_credentials)
        print_outputs(_deploy(aws, stack_name, template, parameters, flags))
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


@dataclass(frozen=True)
class DeployFlags:
    reset_parameters: bool = False
    allow_data_loss: bool = False
    continue_rollback: bool = False
    skip_resources: list[str] = field(default_factory=list)
    as_json: bool = False
    source: hosting.ArtifactSource = field(default_factory=hosting.ArtifactSource)


def _source(wheelhouse: Path | None) -> hosting.ArtifactSource:
    return hosting.ArtifactSource(wheelhouse) if wheelhouse else hosting.ArtifactSource()


def _deploy_aws(settings: Settings) -> Aws:
    return session(settings, config=default_config(max_attempts=DEPLOY_ATTEMPTS))


@app.command()
def deploy(
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    parameter: Parameters = None,
    template: Template = DEFAULT_TEMPLATE,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show every change (action, resource, type, Replacement, properties) "
            "and change nothing.",
        ),
    ] = False,
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss",
            help="Deploy even if a table, bucket or queue would be replaced or removed "
            "(refused otherwise, naming each one and why).",
        ),
    ] = False,
    reset_parameters: Annotated[
        bool,
        typer.Option(
            "--reset-parameters",
            help="Parameters not given go back to their defaults (by default they keep "
            "the stack's current values).",
        ),
    ] = False,
    continue_rollback: Annotated[
        bool,
        typer.Option(
            "--continue-rollback",
            help="First continue a failed rollback (UPDATE_ROLLBACK_FAILED), then deploy.",
        ),
    ] = False,
    skip_resource: Annotated[
        list[str] | None,
        typer.Option(
            "--skip-resource",
            metavar="LOGICAL_ID",
            help="With --continue-rollback: a resource that cannot be rolled back; "
            "CloudFormation leaves it as it is. Repeat for several.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the preview or the result as JSON on stdout.")
    ] = False,
    wheelhouse: Wheelhouse = None,
) -> None:
    """Create or update the stack through a change set, showing progress.

    Parameters you do not pass keep the stack's current values (--reset-parameters puts
    them back to the defaults). An update that would replace or remove a table, bucket
    or queue is refused unless --allow-data-loss. An update with nothing to change is
    not an error. A failed deploy prints the events that say why; a stack left in
    ROLLBACK_COMPLETE by a failed first deploy is deleted and created again.

    With ServicesHost lambda (the default) it first builds the functions' artifact
    (the package and its dependencies, as wheels for the template's Lambda runtime and
    architecture), uploads it to its hardened artifact bucket under a key holding its
    SHA-256, and passes that to the stack: an unchanged build changes no function.
    -p ServicesHost=external deploys queues and tables only, for `messaging consume`.

    Example: messaging deploy --parameter BufferIntervalSeconds=120 --dry-run
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    if skip_resource and not continue_rollback:
        raise fail("--skip-resource goes with --continue-rollback", code=2)
    aws = _deploy_aws(settings)
    flags = DeployFlags(
        reset_parameters,
        allow_data_loss,
        continue_rollback,
        skip_resource or [],
        as_json,
        _source(wheelhouse),
    )
    if dry_run:
        _preview(aws, settings.stack_name, template, parameter or [], flags)
        return
    outputs = guard(lambda: _deploy(aws, settings.stack_name, template, parameter or [], flags))
    if not as_json:
        print_outputs(outputs)


def _preview(
    aws: Aws, stack_name: str, template: Path, parameters: list[str], flags: DeployFlags
) -> None:
    body = template.read_text(encoding="utf-8")

    def run() -> stack.Preview:
        params = stack.parse_parameters(parameters, stack.template_parameters(body))
        # The artifact is built (its key is what a function's change shows), not uploaded.
        params = _with_hosting(aws, stack_name, body, params, flags, upload=False)
        return stack.preview(
            aws.cloudformation(), stack_name, body, params, reset_parameters=flags.reset_parameters
        )

    preview = guard(run)
    if flags.as_json:
        sys.stdout.write(json.dumps(preview.model_dump(mode="json"), indent=2) + "\n")
    else:
        print_preview(out, preview)


@app.command()
def destroy(
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Json = False,
    keep_data: Annotated[
        bool,
        typer.Option(
            "--keep-data",
            help="Delete the stack but keep its tables, buckets and key (the template "
            "retains them); by default they are deleted too.",
        ),
    ] = False,
    retain: Annotated[
        list[str] | None,
        typer.Option(
            "--retain",
            metavar="LOGICAL_ID",
            help="For a stack whose deletion failed (DELETE_FAILED): a resource to leave "
            "in place. Repeat for several.",
        ),
    ] = None,
) -> None:
    """Delete the stack and, unless --keep-data, every table, bucket and message it holds.

    It first says what data it will delete (items per table, objects in the lake, access
    logs counted apart, messages in the queues), then asks. Buckets are emptied (every
    object version) and deleted, tables deleted, the tables' key scheduled for deletion.

    Example: messaging destroy --stack-name messaging-dev --yes
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws = _deploy_aws(settings)
    clients = stack.DestroyClients(
        aws.cloudformation(), aws.s3(), aws.dynamodb(), aws.sqs(), aws.client("kms")
    )
    found = guard(lambda: stack.inventory(clients, settings.stack_name))
    if found is None:
        if as_json:
            _write_json({"stack_name": settings.stack_name, "existed": False})
        else:
            out.print(f"Stack {settings.stack_name} does not exist; nothing to do.")
        return
    print_inventory(err if as_json else out, found, keep_data=keep_data)
    if not yes:
        what = "(its data is kept)" if keep_data else "and all of this data"
        # On stderr, so that stdout holds only the result (--json).
        typer.confirm(f"Delete stack {settings.stack_name} {what}?", abort=True, err=True)
    result = guard(
        lambda: stack.destroy(
            clients,
            settings.stack_name,
            found=found,
            retain=retain or [],
            keep_data=keep_data,
            on_event=lambda event: print_event(event, console=err if as_json else out),
        )
    )
    if as_json:
        _write_json({"stack_name": settings.stack_name, **_destroy_data(found, result)})
        return
    out.print(
        f"[green]Deleted[/green] stack {settings.stack_name} ({result.objects_deleted} objects "
        f"removed; deleted after the stack: {', '.join(result.deleted) or 'nothing'}).",
        soft_wrap=True,
    )
    if result.kept:
        out.print(f"Kept: {', '.join(result.kept)}", soft_wrap=True)


def _destroy_data(found: stack.Inventory, result: stack.DestroyResult) -> dict[str, Any]:
    return {
        "existed": result.existed,
        "status_before": found.status,
        "tables": {name: items for _, name, items in found.tables},
        "buckets": {
            bucket.name: {
                "objects": bucket.objects,
                "versions": bucket.versions,
                "bytes": bucket.size,
                "access_logs": bucket.access_logs,
            }
            for bucket in found.buckets
        },
        "queues": {url.rsplit("/", 1)[-1]: messages for _, url, messages in found.queues},
        "objects_deleted": result.objects_deleted,
        "deleted_after_stack": result.deleted,
        "kept": result.kept,
    }


def _write_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@app.command()
def outputs(
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the stack outputs (how every command finds its resources).

    A stack that failed, or was never created, has none: it says so and what to do.

    Example: messaging outputs --json
    """
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws = session(settings)
    values = guard(lambda: stack.read_outputs(aws.cloudformation(), settings.stack_name))
    if as_json:
        sys.stdout.write(json.dumps(values, indent=2, sort_keys=True) + "\n")
    else:
        print_outputs(values)
