"""The `messaging` command: parse, call, render. No logic of its own."""

from __future__ import annotations

from messaging.cli import functions, infra, lake, package, services, simulate
from messaging.cli.common import app

__all__ = ["app", "main"]

# Importing them registers their commands on `app`.
_COMMANDS = (functions, infra, lake, package, services, simulate)


def main() -> None:
    app()
