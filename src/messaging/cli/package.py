"""`messaging package`: build the Lambda functions' artifact, or fetch its wheels."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from messaging.cli.common import DEFAULT_TEMPLATE, Template, Wheelhouse, app, err, guard, out
from messaging.ops.artifact import LambdaPlatform, build, fetch_wheels, platform_of
from messaging.ops.hosting import default_wheelhouse

__all__ = ["package"]


@app.command()
def package(
    out_dir: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Directory to write the zip into.")
    ] = Path("out"),
    wheelhouse: Wheelhouse = None,
    fetch_only: Annotated[
        bool,
        typer.Option(
            "--fetch-only",
            help="Only download the wheels the artifact needs into --wheelhouse (from the "
            "package index), so that later builds need no network.",
        ),
    ] = False,
    this_machine: Annotated[
        bool,
        typer.Option(
            "--for-this-machine",
            help="Target this machine's Python and architecture instead of the template's "
            "Lambda runtime, to run the artifact here (the tests do).",
        ),
    ] = False,
    template: Template = DEFAULT_TEMPLATE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Build the Lambda functions' artifact as `messaging deploy` does, without deploying.

    The zip holds the part of the package the functions import and its dependencies,
    as wheels for the template's runtime and architecture (python3.13 on arm64), with
    sorted entries, fixed timestamps and permissions and no __pycache__: the same
    inputs give the same bytes, and its SHA-256 is its S3 key.

    Example: messaging package --wheelhouse .venv/lambda-wheels --fetch-only
    """
    body = template.read_text(encoding="utf-8")

    def target() -> LambdaPlatform:
        return LambdaPlatform.this_machine() if this_machine else platform_of(body)

    platform = guard(target)
    if fetch_only:
        if wheelhouse is None:
            err.print("[red]error:[/red] --fetch-only needs --wheelhouse DIR to fill")
            raise typer.Exit(2)
        guard(lambda: fetch_wheels(wheelhouse, platform))
        out.print(
            f"Fetched the wheels for {platform.runtime}/{platform.architecture} into {wheelhouse}",
            highlight=False,
        )
        return
    source = wheelhouse or default_wheelhouse()
    artifact = guard(lambda: build(platform, out_dir, wheelhouse=source))
    result = {
        "path": str(artifact.path),
        "sha256": artifact.sha256,
        "bytes": artifact.size,
        "key": artifact.key,
        "runtime": platform.runtime,
        "architecture": platform.architecture,
        "wheelhouse": str(source) if source else None,
    }
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    out.print(f"{artifact.path}  {artifact.size / 1e6:.1f} MB", highlight=False)
    out.print(f"  sha256  {artifact.sha256}", highlight=False)
    out.print(f"  key     {artifact.key}", highlight=False, soft_wrap=True)
