"""The function's third-party dependencies: which, at which versions, and their wheels.

What the function imports beyond the standard library is `FUNCTION_REQUIREMENTS`: boto3
(its client and serialiser) and pydantic with email-validator (the event codec). Each
is pinned to the version installed here, and every package pip pulls in with them is
constrained to the version installed here too, so the function runs exactly what the
tests ran. The list is explicit because the package's own metadata names everything
the CLI and the local cloud need (moto, duckdb...), which the function must not carry.

Wheels are for the Lambda platform (`LambdaPlatform.pip_target_options`) and never
built from source (`--only-binary=:all:`): from a wheelhouse (`--no-index
--find-links`), which `fetch_wheels` fills once (the Makefile's `$(VENV)/lambda-wheels`,
so that nothing downloads at test time), or from the package index when no wheelhouse
is given. pip is the slow part of a build and its output depends only on the platform
and the pins, so `install_dependencies` installs each combination once into a cache
directory and reuses it.

Known limit: pip evaluates environment markers against the running interpreter, not the
target one; the three requirements and their dependencies carry none that differ
between CPython 3.11 and 3.13 on Linux today.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Final

from messaging.ops.artifact.errors import ArtifactError
from messaging.ops.artifact.platform import LambdaPlatform

__all__ = [
    "FUNCTION_REQUIREMENTS",
    "default_cache_dir",
    "fetch_wheels",
    "install_dependencies",
    "pins",
]

FUNCTION_REQUIREMENTS: Final = ("boto3", "email-validator", "pydantic")
PIP_TIMEOUT: Final = 600.0  # seconds for one pip run (a cold download of ~20 MB of wheels)
# no __pycache__ (Lambda compiles on first import), no console-script warnings
INSTALL_OPTIONS: Final = ("install", "--quiet", "--no-compile", "--no-warn-script-location")


def pins() -> list[str]:
    """`name==version` of each requirement, as installed here."""
    try:
        return [f"{name}=={metadata.version(name)}" for name in FUNCTION_REQUIREMENTS]
    except metadata.PackageNotFoundError as error:
        raise ArtifactError(
            f"{error.name} is not installed here, so its version is unknown; install messaging "
            "with its dependencies first"
        ) from error


def _constraints() -> list[str]:
    """Every installed distribution at its installed version (what pip may pull in)."""
    installed = {
        dist.metadata["Name"].lower(): dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"] and dist.metadata["Name"].lower() != "messaging"
    }
    return [f"{name}=={version}" for name, version in sorted(installed.items())]


def _pip(arguments: list[str], what: str) -> None:
    command = [sys.executable, "-m", "pip", *arguments, "--disable-pip-version-check"]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter's pip, fixed arguments
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise ArtifactError(f"{what}: pip did not finish within {PIP_TIMEOUT:.0f} s") from error
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        reason = last[0] if last else (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArtifactError(f"{what}: {reason}")


def _with_constraints(directory: Path) -> list[str]:
    path = directory / "constraints.txt"
    path.write_text("\n".join(_constraints()) + "\n", encoding="utf-8")
    return ["--constraint", str(path)]


def fetch_wheels(wheelhouse: Path, platform: LambdaPlatform) -> None:
    """Download the wheels a build for `platform` needs into `wheelhouse` (an index call)."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        _pip(
            [
                "download",
                "--quiet",
                "--dest",
                str(wheelhouse),
                *platform.pip_target_options(),
                *_with_constraints(Path(scratch)),
                *pins(),
            ],
            f"downloading the function's wheels for {platform.runtime}/{platform.architecture}",
        )


def default_cache_dir() -> Path:
    """Where builds keep installed dependencies and artifacts (XDG's cache directory)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "messaging" / "lambda"


def _cache_key(platform: LambdaPlatform, wheelhouse: Path | None) -> str:
    described = {
        "pip": [*INSTALL_OPTIONS, *platform.pip_target_options()],  # how pip is asked
        "platform": [platform.python, platform.architecture],
        "pins": pins(),
        "constraints": _constraints(),
        "wheelhouse": sorted(p.name for p in wheelhouse.glob("*.whl")) if wheelhouse else None,
    }
    text = json.dumps(described, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def install_dependencies(
    platform: LambdaPlatform, *, wheelhouse: Path | None, cache_dir: Path | None = None
) -> Path:
    """A directory holding the dependencies installed for `platform`, as the zip's root.

    Installed once per platform, pins and wheelhouse content, under `cache_dir`; a build
    that finds it there reuses it (its name is that key). Written beside and renamed into
    place, so a crash or a concurrent build never leaves half a directory behind.
    """
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise ArtifactError(
            f"no wheelhouse at {wheelhouse}; fill it with `messaging package --wheelhouse "
            f"{wheelhouse} --fetch-only` (it needs the package index once)"
        )
    cache = (cache_dir or default_cache_dir()) / "dependencies"
    done = cache / _cache_key(platform, wheelhouse)
    if done.is_dir():
        return done
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache))
    try:
        source = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse else []
        _pip(
            [
                *INSTALL_OPTIONS,
                "--target",
                str(staging / "root"),
                *source,
                *platform.pip_target_options(),
                *_with_constraints(staging),
                *pins(),
            ],
            f"installing the function's dependencies for {platform.runtime}/"
            f"{platform.architecture}"
            + (f" from {wheelhouse}" if wheelhouse else " from the package index"),
        )
        try:
            (staging / "root").rename(done)
        except OSError:
            if not done.is_dir():  # not a concurrent build that finished first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return done
