"""What every command shares: the app, options, errors and signals.

Options follow the AWS SDK's conventions and show where their value comes from: the help
of every option that an environment variable sets names it (`[env var: ...]`) and its
default. Flags take no value, so the help shows none. Output conventions (stdout for
results, stderr for progress, plain lines off a terminal, `NO_COLOR`, `--quiet`) live in
`cli.console`.
"""

from __future__ import annotations

import inspect
import ipaddress
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import urlsplit

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)
from pydantic import ValidationError
from rich.columns import Columns
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer import rich_utils
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from messaging.cli.console import err, out, set_quiet
from messaging.errors import MessagingError
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.settings import DEFAULT_STACK_NAME, Settings

if TYPE_CHECKING:
    from messaging.localcloud.faults import FaultPlan

__all__ = [
    "DEFAULT_TEMPLATE",
    "App",
    "Command",
    "EndpointUrl",
    "FaultOps",
    "FaultRate",
    "FaultSeed",
    "Group",
    "JitterMs",
    "Json",
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
    "is_local_endpoint",
    "out",
    "package_version",
    "print_event",
    "print_outputs",
    "session",
    "settings_from",
    "stop_on_signals",
    "unreachable_hint",
]


# Typed loosely: typer vendors its own click (typer._click) in some versions, not others.
def _flags_take_no_value(params: Any) -> Any:
    """typer shows a `<bool>` placeholder after every flag, as if it took a value."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


def reflowed(text: str | None) -> str | None:
    """A docstring's prose paragraphs each on one line, for the terminal to wrap.

    typer (0.29, rich markup) keeps a docstring's line breaks inside paragraphs, so at
    80 columns each source line wrapped on its own, leaving a word or two per line.
    Indented paragraphs (examples) keep their lines.
    """
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        paragraph
        if paragraph.startswith((" ", "\b"))
        else " ".join(line.strip() for line in paragraph.splitlines())
        for paragraph in paragraphs
    )


def _folding(parameter_help: Callable[..., Columns]) -> Callable[..., Columns]:
    """typer's help of one option, whose words longer than the column wrap, not cut.

    rich cuts a word wider than its table column with an ellipsis, and at 80 columns an
    option's help column is 20-30 characters wide: `[env var: MESSAGING_STACK_N…]`,
    `[default: /work/main/src/messagi…]`. typer (0.29) offers no setting for it, so its
    builder of an option's help is wrapped once, here, to let those words fold.
    """

    def folded(**kwargs: Any) -> Columns:
        columns = parameter_help(**kwargs)
        for item in columns.renderables:
            if isinstance(item, Text):
                item.overflow = "fold"
        return columns

    return folded


# A private name of typer's: if a release renames it, help goes back to cutting words
# (the help test at 80 columns says so), and the CLI keeps working.
if hasattr(rich_utils, "_get_parameter_help"):
    rich_utils._get_parameter_help = _folding(rich_utils._get_parameter_help)  # noqa: SLF001


class _OurHelp:
    """What commands and groups alike show: help reflowed, flags without a placeholder."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = reflowed(self.help)

    def get_params(self, ctx: Any) -> Any:
        return _flags_take_no_value(super().get_params(ctx))  # type: ignore[misc]


class Command(_OurHelp, TyperCommand):
    pass


class Group(_OurHelp, TyperGroup):
    pass


class App(typer.Typer):
    """typer's app whose commands show flags as flags."""

    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


app = App(
    cls=Group,
    help="Run, test and deploy the event-driven messaging system, on AWS or on the "
    "embedded local cloud.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
T = TypeVar("T")
DEFAULT_TEMPLATE = stack.default_template_path()


def package_version() -> str:
    try:
        return version("messaging")
    except PackageNotFoundError:  # running from a source tree that was never installed
        from messaging import __version__  # noqa: PLC0415

        return __version__


def _print_version(value: bool) -> None:
    if value:
        out.print(f"messaging {package_version()}", highlight=False)
        raise typer.Exit


@app.callback()
def _global_options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            envvar="MESSAGING_QUIET",
            show_envvar=True,
            help="Print results, warnings and errors only: no progress, notes or live views.",
        ),
    ] = False,
) -> None:
    """Run, test and deploy the event-driven messaging system, on AWS or on the embedded
    local cloud.

    Results go to stdout, progress and errors to stderr. Off a terminal, lines are never
    wrapped and live views become a plain progress line every few seconds; NO_COLOR turns
    colour off.
    """
    set_quiet(quiet)


StackName = Annotated[
    str | None,
    typer.Option(
        "--stack-name",
        envvar="MESSAGING_STACK_NAME",
        show_envvar=True,
        show_default=DEFAULT_STACK_NAME,
        help="CloudFormation stack name.",
    ),
]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        show_envvar=True,
        show_default="AWS itself",
        help="AWS or any compatible endpoint, e.g. http://127.0.0.1:4566 for `messaging up`.",
    ),
]
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        envvar=["AWS_REGION", "AWS_DEFAULT_REGION"],
        show_envvar=True,
        show_default="your AWS config's, else us-east-1",
        help="AWS region.",
    ),
]
Profile = Annotated[
    str | None,
    typer.Option(
        "--profile",
        envvar="AWS_PROFILE",
        show_envvar=True,
        show_default="boto3's credential chain",
        help="AWS profile (from ~/.aws/config).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
Wheelhouse = Annotated[
    Path | None,
    typer.Option(
        "--wheelhouse",
        envvar="MESSAGING_WHEELHOUSE",
        file_okay=False,
        metavar="DIR",
        show_envvar=True,
        show_default="the environment's lambda-wheels directory that `make` fills, "
        "else the package index",
        help="Build the Lambda functions' artifact offline, from the wheels in DIR "
        "(`messaging package --fetch-only` fills it).",
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


_LOCAL_HOSTS = {"localhost", "localhost.localdomain"}
_context: dict[str, Settings] = {}


def settings_from(**flags: str | None) -> Settings:
    try:
        settings = Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        raise fail(f"invalid settings: {problems}", code=2) from error
    _context["settings"] = settings  # what `guard` says errors against
    return settings


def is_local_endpoint(url: str | None) -> bool:
    """A loopback endpoint: `messaging up`, LocalStack, or another local cloud."""
    host = urlsplit(url).hostname if url else None
    if not host:
        return False
    if host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unreachable_hint(error: EndpointConnectionError) -> str:
    """Nothing answers at the endpoint: for a local one, the likely cause is a stopped cloud."""
    url = str(error.kwargs.get("endpoint_url", ""))
    if is_local_endpoint(url):
        return (
            f"{error}: nothing answers there. Is the local cloud running? Start it with "
            "`messaging up`, or point --endpoint-url (AWS_ENDPOINT_URL) at the one that is."
        )
    return f"{error}: check the network, and --endpoint-url if you set one."


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


def credentials_hint(error: BotoCoreError, settings: Settings | None) -> str:
    """What to do about a missing profile or missing credentials, in one line."""
    endpoint = settings.endpoint_url if settings is not None else None
    local = is_local_endpoint(endpoint)
    if isinstance(error, ProfileNotFound):
        if local:
            return (
                f"{error}: the local cloud at {endpoint} needs no profile; unset AWS_PROFILE "
                'and use placeholder credentials: eval "$(messaging env)"'
            )
        return f"{error}: check --profile / AWS_PROFILE against ~/.aws/config"
    if local:
        return (
            f"no AWS credentials to sign requests to {endpoint}: the local cloud accepts any, "
            'so set placeholders: eval "$(messaging env)" (or export '
            "AWS_ACCESS_KEY_ID=localcloud AWS_SECRET_ACCESS_KEY=localcloud)"
        )
    return (
        "no AWS credentials found: configure them (aws configure sso, AWS_PROFILE or "
        "--profile, an instance role), or point --endpoint-url at a local cloud"
    )


def guard(call: Callable[[], T]) -> T:
    """AWS and stack errors become one readable line and a non-zero exit, not a trace."""
    try:
        return call()
    except (stack.StackError, MessagingError) as error:
        raise fail(str(error)) from error
    except ClientError as error:
        raise fail(f"AWS said: {error}") from error
    except (NoCredentialsError, ProfileNotFound) as error:
        raise fail(credentials_hint(error, _context.get("settings"))) from error
    except EndpointConnectionError as error:
        raise fail(unreachable_hint(error)) from error
    except BotoCoreError as error:
        raise fail(str(error)) from error


def session(settings: Settings, **options: Any) -> Aws:
    """An AWS session for `settings`; a profile that does not exist is one line, not a trace."""
    return guard(lambda: Aws(settings, **options))


@contextmanager
def stop_on_signals(
    abort: Callable[[], None] | None = None,
) -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM, so long work can stop gracefully.

    With `abort`, a second Ctrl-C or SIGTERM calls it (from the main thread) instead of
    being ignored: for work whose graceful stop itself takes a while.
    """
    stop = threading.Event()

    def _set(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and abort is not None:
            abort()
        stop.set()

    previous = {sig: signal.signal(sig, _set) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
