"""The `messaging` command: parse, call, render. No logic of its own."""

from __future__ import annotations

from messaging.cli import functions, infra, lake, services, simulate
from messaging.cli.common import app

__all__ = ["app", "main"]

_COMMANDS = (
    functions,
    infra,
    lake,
    services,
    simulate,
)  # importing them registers their commands on `app`


def main() -> None:
    app()
