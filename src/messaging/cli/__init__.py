"""The `messaging` command: parse, call, render. No logic of its own."""

from __future__ import annotations

from messaging.cli import environment, functions, infra, lake, package, services, simulate
from messaging.cli.common import app

__all__ = ["app", "main"]

# Importing them registers their commands on `app`, in this order in the help.
_COMMANDS = (infra, services, functions, package, simulate, lake, environment)


def main() -> None:
    app()
