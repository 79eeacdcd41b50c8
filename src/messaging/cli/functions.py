"""The `logs` command: a Lambda-hosted service's log lines (START, its output, END, REPORT)."""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from messaging.cli.common import (
    EndpointUrl,
    Profile,
    Region,
    StackName,
    app,
    fail,
    guard,
    settings_from,
    stop_on_signals,
)
from messaging.core.services import SERVICES
from messaging.ops import stack
from messaging.ops.aws import Aws
from messaging.ops.functions import FUNCTION_OUTPUTS, LogsError, log_events

__all__ = ["logs", "parse_since"]

_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str) -> float:
    """`10m`, `2h`, `30s`, `1d` -> seconds."""
    match = _SINCE.match(text.strip())
    if not match:
        raise ValueError(f"--since takes a number and a unit (s, m, h, d), e.g. 10m; got {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@app.command("logs")
def logs(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
    since: Annotated[str, typer.Option(help="How far back to start: 30s, 10m, 2h, 1d.")] = "10m",
    pattern: Annotated[
        str | None,
        typer.Option("--filter", help="CloudWatch Logs filter pattern, e.g. REPORT or ERROR."),
    ] = None,
    stack_name: StackName = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    profile: Profile = None,
) -> None:
    """Log lines of a service hosted as a Lambda function (group /aws/lambda/<function>).

    Each invocation writes START, the function's output, END and REPORT (duration,
    billed duration, memory). The function is found through the stack output
    <Service>FunctionName.

    Example: messaging logs orders --since 1h --filter REPORT
    """
    if service not in SERVICES:
        raise fail(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}", code=2)
    try:
        seconds = parse_since(since)
    except ValueError as error:
        raise fail(str(error), code=2) from error
    settings = settings_from(
        stack_name=stack_name, endpoint_url=endpoint_url, region=region, profile=profile
    )
    aws = Aws(settings)
    outputs = guard(lambda: stack.read_outputs(aws.cloudformation(), settings.stack_name))
    output = FUNCTION_OUTPUTS[service]
    function = outputs.get(output)
    if not function:
        raise fail(
            f"stack {settings.stack_name} has no output {output}: {service} does not run on "
            "Lambda in this stack (deploy with the services on Lambda, or read the logs of "
            "`messaging consume`)"
        )
    since_ms = int((time.time() - seconds) * 1000)
    with stop_on_signals() as stop:

        def print_events() -> None:
            for event in log_events(
                aws, function, since_ms=since_ms, pattern=pattern, follow=follow, stop=stop
            ):
                stamp = datetime.fromtimestamp(event.timestamp / 1000, UTC)
                sys.stdout.write(f"{stamp:%Y-%m-%dT%H:%M:%S.%f}"[:23] + "Z " + event.message + "\n")
                sys.stdout.flush()

        try:
            guard(print_events)
        except LogsError as error:
            raise fail(str(error)) from error
