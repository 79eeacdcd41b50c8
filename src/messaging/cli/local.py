"""What a command needs before it starts: its extra installed, paths it will write writable,
and for the local cloud, no AWS set-up at all.

A plain `pip install messaging` is the core; `up` and a local `simulate` need the `local`
extra, `lake query` the `lake` extra, `simulate --chart` the `chart` extra. A command
whose extra is missing says which one to install, in one line, before doing anything.

The local cloud needs no AWS profile and no credentials: its clients use placeholders
(it ignores signatures). moto reads the AWS profile when it is imported (a class body
makes a `boto3.Session()`), so a profile that does not exist (`AWS_PROFILE=doesnotexist`)
crashed `messaging up` and `make run` before they started. A process that runs the
local cloud therefore drops the profile variables first: nothing in it talks to AWS.
"""

from __future__ import annotations

import os
import tempfile
from importlib.util import find_spec
from pathlib import Path

from messaging.cli.common import fail
from messaging.cli.console import note

__all__ = [
    "EXTRAS",
    "PROFILE_VARIABLES",
    "check_output_path",
    "missing_modules",
    "require_extra",
    "without_aws_profile",
]

EXTRAS: dict[str, tuple[str, ...]] = {
    "local": ("moto", "waitress", "sortedcontainers", "flask"),
    "lake": ("duckdb", "pyarrow"),
    "chart": ("matplotlib",),
}
PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def missing_modules(extra: str) -> list[str]:
    return [module for module in EXTRAS[extra] if find_spec(module) is None]


def require_extra(extra: str, what: str) -> None:
    """Fail in one line, naming the extra to install, when `extra`'s modules are missing."""
    missing = missing_modules(extra)
    if missing:
        raise fail(
            f"{what} needs the [{extra}] extra ({', '.join(missing)} not installed): "
            f"pip install 'messaging[{extra}]' (or pipx install 'messaging[{extra}]')",
            code=2,
        )


def without_aws_profile() -> None:
    """Drop the AWS profile variables from this process: the local cloud uses placeholders."""
    ignored = {name: os.environ.pop(name) for name in PROFILE_VARIABLES if name in os.environ}
    if ignored:
        shown = ", ".join(f"{name}={value}" for name, value in ignored.items())
        note(f"Ignoring {shown}: the local cloud needs no profile (placeholder credentials)")


def check_output_path(path: Path, option: str) -> None:
    """Fail now, not after a long run, if `path` cannot be written (its folder is made)."""
    if path.is_dir():
        raise fail(f"{option} {path} is a directory; give a file name", code=2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("a"):  # appends nothing, truncates nothing
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".messaging-check-"):
                pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise fail(
            f"{option} {path} cannot be written ({reason}); give another path", code=2
        ) from error
