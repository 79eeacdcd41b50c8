"""What every command shares: the app, options, consoles, errors and signals."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from messaging.errors import MessagingError
from messaging.ops import stack
from messaging.ops.settings import Settings

if TYPE_CHECKING:
    from messaging.localcloud.faults import FaultPlan

__all__ = [
    "DEFAULT_TEMPLATE",
    "EndpointUrl",
    "FaultOps",
    "FaultRate",
    "FaultSeed",
    "JitterMs",
    "LatencyMs",
    "Parameters",
    "Profile",
    "Region",
    "StackName",
    "Template",
    "Wheelhouse",
    "app",
    "err",
    "fail",
    "fault_plan",
    "guard",
    "out",
    "print_event",
    "print_outputs",
    "settings_from",
    "stop_on_signals",
]

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
Wheelhouse = Annotated[
    Path | None,
    typer.Option(
        "--wheelhouse",
        envvar="MESSAGING_WHEELHOUSE",
        file_okay=False,
        metavar="DIR",
        help="Build the Lambda functions' artifact offline, from the wheels in DIR "
        "(`messaging package --fetch-only` fills it). Default: the environment's "
        "lambda-wheels directory that `make` fills, else the package index. "
        "[env: MESSAGING_WHEELHOUSE]",
    ),
]
Parameters = Annotated[
    list[str] | None,
    typer.Option(
        "--parameter",
        "-p",
        metavar="KEY=VALUE",
        help="Template parameter override; repeat for several.",
    ),
]
LatencyMs = Annotated[
    float, typer.Option(min=0, help="Local cloud: delay added to every request, in ms.")
]
JitterMs = Annotated[
    float, typer.Option(min=0, help="Local cloud: extra random delay, uniform in 0..N ms.")
]
FaultRate = Annotated[
    float,
    typer.Option(
        min=0,
        max=1,
        help="Local cloud: share of requests that fail (throttle, 500, 503, "
        "connection dropped before or after serving).",
    ),
]
FaultOps = Annotated[
    str | None,
    typer.Option(
        help="Local cloud: only these operations fail, e.g. sqs:ReceiveMessage,sns:Publish "
        "(default: every operation)."
    ),
]
FaultSeed = Annotated[
    int | None, typer.Option(help="Local cloud: seed of the fault sequence, to replay a run.")
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


def fault_plan(
    latency_ms: float,
    jitter_ms: float,
    fault_rate: float,
    fault_ops: str | None,
    fault_seed: int | None,
) -> FaultPlan | None:
    """The local cloud's fault injection, or None when nothing is asked for."""
    from messaging.localcloud.faults import FaultPlan, parse_operations  # noqa: PLC0415

    try:
        plan = FaultPlan(
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            fault_rate=fault_rate,
            operations=parse_operations(fault_ops),
            seed=fault_seed,
        )
    except ValueError as error:
        raise fail(str(error), code=2) from error
    return plan if plan.active else None


def settings_from(**flags: str | None) -> Settings:
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        raise fail(f"invalid settings: {problems}", code=2) from error


def fail(message: str, code: int = 1) -> typer.Exit:
    """One line on stderr however long (no wrapping), with no markup taken from data."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def print_event(event: stack.StackEvent, console: Console = out) -> None:
    colour = "red" if event.failed else ("green" if event.status.endswith("COMPLETE") else "cyan")
    reason = f"  [red]{escape(event.reason)}[/red]" if event.reason and event.failed else ""
    console.print(
        f"  [{colour}]{event.status:<20}[/{colour}] {event.logical_id:<24} "
        f"[dim]{event.resource_type}[/dim]{reason}",
        soft_wrap=True,
    )


def print_outputs(outputs: dict[str, str]) -> None:
    # Plain aligned lines, never truncated: these values get copied into shells.
    out.print("[bold]Stack outputs[/bold]")
    width = max(map(len, outputs), default=0)
    for key in sorted(outputs):
        out.print(f"  {key:<{width}}  {outputs[key]}", soft_wrap=True, highlight=False)


def guard(call: Callable[[], T]) -> T:
    """AWS and stack errors become one readable line and a non-zero exit, not a trace."""
    try:
        return call()
    except (stack.StackError, MessagingError) as error:
        raise fail(str(error)) from error
    except ClientError as error:
        raise fail(f"AWS said: {error}") from error
    except BotoCoreError as error:  # no credentials, endpoint unreachable, ...
        raise fail(str(error)) from error


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM, so long work can stop gracefully."""
    stop = threading.Event()

    def _set(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _set) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
