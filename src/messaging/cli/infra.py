"""The `messaging` command: parse, call, render. No logic of its own."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from rich.console import Console

from messaging import stack
from messaging.aws import Aws
from messaging.settings import DEFAULT_STACK_NAME, Settings

__all__ = ["app", "main"]

app = typer.Typer(
    help="Run, test and deploy the event-driven messaging system, on AWS or on the "
    "embedded local cloud.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
T = TypeVar("T")
DEFAULT_TEMPLATE = stack.default_template_path()
out = Console()
err = Console(stderr=True)

StackName = Annotated[
    str | None,
    typer.Option("--stack-name", help="CloudFormation stack name [env: MESSAGING_STACK_NAME]"),
]
EndpointUrl = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="AWS or any compatible endpoint [env: AWS_ENDPOINT_URL]"),
]
Region = Annotated[str | None, typer.Option("--region", help="AWS region [env: AWS_REGION]")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile [env: AWS_PROFILE]")]
Parameters = Annotated[
    list[str] | None,
    typer.Option(
        "--parameter",
        "-p",
        metavar="KEY=VALUE",
        help="Template parameter override; repeat for several.",
    ),
]
Template = Annotated[
    Path,
    typer.Option(
        "--template",
        help="CloudFormation template to deploy.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


def _settings(**flags: str | None) -> Settings:
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        raise _fail(f"invalid settings: {problems}", code=2) from error


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _print_event(event: stack.StackEvent) -> None:
    colour = "red" if event.failed else ("green" if event.status.endswith("COMPLETE") else "cyan")
    reason = f"  [red]{event.reason}[/red]" if event.reason and event.failed else ""
    out.print(
        f"  [{colour}]{event.status:<20}[/{colour}] {event.logical_id:<24} "
        f"[dim]{event.resource_type}[/dim]{reason}",
        soft_wrap=True,
    )


def _print_outputs(outputs: dict[str, str]) -> None:
    # Plain aligned lines, never truncated: these values get copied into shells.
    out.print("[bold]Stack outputs[/bold]")
    width = max(map(len, outputs), default=0)
    for key in sorted(outputs):
        out.print(f"  {key:<{width}}  {outputs[key]}", soft_wrap=True, highlight=False)


def _deploy(aws: Aws, stack_name: str, template: Path, parameters: list[str]) -> dict[str, str]:
    body = template.read_text(encoding="utf-8")
    try:
        params = stack.parse_parameters(parameters, stack.template_parameters(body))
        out.print(
            f"Deploying stack [bold]{stack_name}[/bold] to {aws.settings.endpoint_url or 'AWS'}"
            f" ({aws.region}) ..."
        )
        result = stack.deploy(aws.cloudformation(), stack_name, body, params, on_event=_print_event)
    except stack.DeployError as error:
        err.print(f"[red]deploy failed:[/red] {error}")
        for event in error.events:
            err.print(
                f"  [red]{event.status}[/red] {event.resource_type} {event.logical_id}: "
                f"{event.reason}"
            )
        raise typer.Exit(1) from error
    except stack.StackError as error:
        raise _fail(str(error)) from error
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
) -> None:
    """Start the embedded local cloud in the foreground and deploy infra.yaml to it.

    It runs until Ctrl-C or SIGTERM; on stop it delivers every buffered Firehose
    record, so nothing is lost. Any AWS client works against it: set the printed
    AWS_* variables, e.g. `aws sns list-topics` or boto3.

    Example: messaging up --port 4566 --parameter BufferIntervalSeconds=3
    """
    # Imported here: only `up` needs moto, and the application never imports it.
    from messaging.localcloud.server import LocalCloud, is_loopback  # noqa: PLC0415

    if not is_loopback(host):
        err.print(
            f"[yellow]warning:[/yellow] binding {host}: the local cloud has no "
            "authentication; anyone who can reach this address can use and reset it."
        )
    cloud = LocalCloud(host, port)
    try:
        cloud.start()
    except OSError as error:
        raise _fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}; pass another --port",
            code=2,
        ) from error
    stopping = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    try:
        env = cloud.client_environment()
        out.print(f"Local cloud listening on [bold]{cloud.endpoint_url}[/bold]")
        if not no_deploy:
            settings = Settings(
                stack_name=stack_name, endpoint_url=cloud.endpoint_url, region=cloud.region
            )
            aws = Aws(settings, placeholder_credentials=cloud.placeholder_credentials)
            _print_outputs(_deploy(aws, stack_name, template, parameter or []))
        out.print(
            "\nPoint any AWS client at it (placeholder credentials: the local cloud "
            "ignores signatures):",
            soft_wrap=True,
        )
        for key, value in env.items():
            out.print(f"  export {key}={value}", highlight=False, soft_wrap=True)
        out.print("\nPress Ctrl-C to stop.", style="dim")
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        out.print("Stopping: delivering buffered Firehose records ...")
        report = cloud.stop()
        out.print(f"Delivered {report.delivered} buffered Firehose records.")
        if report.undelivered:
            err.print(f"[red]{report.undelivered} buffered records could not be delivered[/red]")
        out.print("Stopped.")


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
    settings = _settings(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    outputs = _guard(lambda: _deploy(Aws(settings), settings.stack_name, template, parameter or []))
    _print_outputs(outputs)


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
    settings = _settings(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    if not yes:
        typer.confirm(
            f"Delete stack {settings.stack_name} and every object in its lake?", abort=True
        )
    aws = Aws(settings)
    existed, objects = _guard(
        lambda: stack.destroy(
            aws.cloudformation(), aws.s3(), settings.stack_name, on_event=_print_event
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
    settings = _settings(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws = Aws(settings)
    values = _guard(lambda: stack.read_outputs(aws.cloudformation(), settings.stack_name))
    if as_json:
        sys.stdout.write(json.dumps(values, indent=2, sort_keys=True) + "\n")
    else:
        _print_outputs(values)


def _guard(call: Callable[[], T]) -> T:
    """AWS and stack errors become one readable line and a non-zero exit, not a trace."""
    try:
        return call()
    except stack.StackError as error:
        raise _fail(str(error)) from error
    except ClientError as error:
        raise _fail(f"AWS said: {error}") from error
    except BotoCoreError as error:  # no credentials, endpoint unreachable, ...
        raise _fail(str(error)) from error


def main() -> None:
    app()
