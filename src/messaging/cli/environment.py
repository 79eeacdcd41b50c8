"""`messaging env`: the variables that point a shell (and every AWS tool in it) at a local cloud.

As awslocal does for LocalStack, but with the SDK's own variables, so that the aws CLI,
boto3, Terraform or any SDK in that shell talk to the local cloud unchanged:
`eval "$(messaging env)"`. The credentials are placeholders (the local cloud ignores
signatures); a profile and a session token the shell may hold are unset, because an
explicit profile would win over them (and a profile that does not exist fails every
call).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import PurePath
from typing import Annotated, Literal

import typer

from messaging.cli.common import Json, StackName, app, fail, is_local_endpoint, settings_from
from messaging.cli.console import note, out

__all__ = ["PLACEHOLDER_KEY", "Shell", "exports", "local_environment", "unsets"]

Shell = Literal["bash", "zsh", "fish", "powershell"]
SHELLS: tuple[Shell, ...] = ("bash", "zsh", "fish", "powershell")
# The local cloud's placeholder (`localcloud.server.PLACEHOLDER_KEY`; a test keeps them
# equal): not a secret, it grants nothing anywhere.
PLACEHOLDER_KEY = "localcloud"
DEFAULT_ENDPOINT = "http://127.0.0.1:4566"  # `messaging up`'s default
DEFAULT_REGION = "us-east-1"
# Would override the placeholders, or fail every call when the profile does not exist.
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")


def local_environment(endpoint: str, region: str, stack_name: str | None) -> dict[str, str]:
    variables = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": PLACEHOLDER_KEY,
        "AWS_SECRET_ACCESS_KEY": PLACEHOLDER_KEY,
    }
    if stack_name is not None:
        variables["MESSAGING_STACK_NAME"] = stack_name
    return variables


def _single_quoted(value: str, shell: Shell) -> str:
    if shell == "powershell":
        return "'" + value.replace("'", "''") + "'"
    if shell == "fish":
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "'\"'\"'") + "'"


def exports(variables: dict[str, str], shell: Shell) -> list[str]:
    """One line per variable, in `shell`'s syntax, values quoted for it."""
    lines = []
    for name, value in variables.items():
        quoted = _single_quoted(value, shell)
        if shell == "fish":
            lines.append(f"set -gx {name} {quoted};")
        elif shell == "powershell":
            lines.append(f"$Env:{name} = {quoted}")
        else:
            lines.append(f"export {name}={quoted}")
    return lines


def unsets(names: tuple[str, ...], shell: Shell) -> list[str]:
    if shell == "fish":
        return [f"set -e {name};" for name in names]
    if shell == "powershell":
        return [f"Remove-Item Env:{name} -ErrorAction SilentlyContinue" for name in names]
    return [f"unset {' '.join(names)}"]


def _default_shell() -> Shell:
    name = PurePath(os.environ.get("SHELL", "")).name
    for shell in SHELLS:
        if name == shell:
            return shell
    return "bash"


@app.command("env")
def print_environment(
    shell: Annotated[
        Shell | None,
        typer.Option(
            "--shell",
            show_default="your $SHELL, else bash",
            help="Syntax of the lines: bash, zsh, fish or powershell.",
        ),
    ] = None,
    endpoint_url: Annotated[
        str,
        typer.Option("--endpoint-url", help="The local cloud's endpoint (see `messaging up`)."),
    ] = DEFAULT_ENDPOINT,
    region: Annotated[str, typer.Option("--region", help="Region to use.")] = DEFAULT_REGION,
    stack_name: StackName = None,
    as_json: Json = False,
) -> None:
    """Print the variables that point this shell's AWS tools at a local cloud.

    No AWS profile or credentials needed: the keys are placeholders, and AWS_PROFILE,
    AWS_DEFAULT_PROFILE and AWS_SESSION_TOKEN are unset.

    Examples:

      eval "$(messaging env)"                        # bash, zsh

      messaging env --shell fish | source

      messaging env --shell powershell | Invoke-Expression
    """
    settings = settings_from(endpoint_url=endpoint_url, stack_name=stack_name)
    endpoint = settings.endpoint_url or DEFAULT_ENDPOINT
    if not is_local_endpoint(endpoint):
        raise fail(
            f"{endpoint} is not a local endpoint (loopback); these placeholder credentials "
            "work only against a local cloud",
            code=2,
        )
    variables = local_environment(endpoint, region, stack_name)
    if as_json:
        sys.stdout.write(json.dumps({"set": variables, "unset": list(UNSET)}) + "\n")
        return
    chosen = shell or _default_shell()
    for line in [*unsets(UNSET, chosen), *exports(variables, chosen)]:
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    if out.is_terminal:
        note('Apply them with: eval "$(messaging env)"  (fish: messaging env | source)')
