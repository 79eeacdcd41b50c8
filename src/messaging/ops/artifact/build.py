"""The function artifact: a reproducible zip of the function's code and its dependencies.

At the zip's root, as Lambda's Python runtime expects them: the `messaging` package
(only what the function imports: `core`, `consumer`, `store`, and the package's own
`__init__` and `errors`) and the dependencies installed for the Lambda platform
(`dependencies`). The same inputs always give the same bytes:

- entries sorted by name, each stamped 1980-01-01 00:00 (zip's earliest date) with
  permissions 0644 (Lambda needs the files readable by its runtime user), stored as
  created on Unix so that those permissions hold when unpacked;
- no `__pycache__` or `.pyc` (Lambda compiles on first import), no console scripts;
- deflate at a fixed level.

So the artifact's SHA-256 names it (`Artifact.key`): an unchanged build is the same key,
and a deploy with the same key changes no function. Because the same inputs give the
same bytes, a build whose inputs (the installed dependencies and the package's files)
were zipped before is taken from the cache instead of zipped again (`reuse`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import messaging
from messaging.ops.artifact.dependencies import default_cache_dir, install_dependencies
from messaging.ops.artifact.platform import LambdaPlatform

__all__ = ["FUNCTION_PACKAGES", "Artifact", "build", "package_entries", "write_zip"]

FUNCTION_PACKAGES: Final = ("core", "consumer", "store")  # what the handler imports
FUNCTION_MODULES: Final = ("__init__.py", "errors.py")
NOT_SHIPPED: Final = frozenset({"bin"})  # console scripts pip wrote: the function runs none
ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
FILE_MODE: Final = 0o100644  # a regular file, rw-r--r--
UNIX: Final = 3  # zip "version made by" host system: the mode bits above are honoured
LEVEL: Final = 6
FORMAT: Final = "1"  # bump when the zip's layout or settings change: old zips go stale


@dataclass(frozen=True)
class Artifact:
    """A built artifact on disk, named by its content."""

    path: Path
    sha256: str
    size: int
    platform: LambdaPlatform

    @property
    def key(self) -> str:
        """Its S3 key: the content hash, so equal builds share one key."""
        where = f"{self.platform.runtime}-{self.platform.architecture}"
        return f"messaging/lambda/{where}/{self.sha256}.zip"


def _tree(root: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_dir() or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        yield f"{prefix}{relative.as_posix()}", path


def package_entries() -> list[tuple[str, Path]]:
    """(name in the zip, file) for the part of `messaging` the function imports."""
    root = Path(messaging.__file__).parent
    entries = [(f"messaging/{name}", root / name) for name in FUNCTION_MODULES]
    for package in FUNCTION_PACKAGES:
        entries += [
            (name, path)
            for name, path in _tree(root / package, f"messaging/{package}/")
            if path.suffix == ".py" or path.name == "py.typed"
        ]
    return entries


def _dependency_entries(root: Path) -> list[tuple[str, Path]]:
    return [
        (name, path)
        for name, path in _tree(root, "")
        if name.split("/", 1)[0] not in NOT_SHIPPED and not name.startswith("messaging/")
    ]


def write_zip(entries: list[tuple[str, Path]], destination: Path) -> str:
    """Write `entries` reproducibly; the SHA-256 of the bytes written."""
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise ValueError("an entry name appears twice")
    with zipfile.ZipFile(destination, "w") as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = FILE_MODE << 16
            info.create_system = UNIX
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=LEVEL)
    return _file_sha256(destination)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inputs_key(dependencies: Path | None, package: list[tuple[str, Path]]) -> str:
    """What the bytes of a build depend on: the installed dependencies (their directory
    is named by their own key; None: none) and every file of the package part."""
    named = dependencies.name if dependencies is not None else "-"
    digest = hashlib.sha256(f"{FORMAT}:{LEVEL}:{named}".encode())
    for name, path in sorted(package):
        digest.update(f"\0{name}\0{_file_sha256(path)}".encode())
    return digest.hexdigest()[:32]


def _keep(built: Path, cached: Path) -> None:
    """Copy a build into the cache, whole or not at all (renamed into place)."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(suffix=".partial", dir=cached.parent)
    os.close(handle)
    shutil.copyfile(built, scratch)
    Path(scratch).replace(cached)


def build(
    platform: LambdaPlatform,
    out_dir: Path,
    *,
    wheelhouse: Path | None,
    cache_dir: Path | None = None,
    reuse: bool = True,
    dependencies: bool = True,
) -> Artifact:
    """Build the artifact for `platform` into `out_dir` (named by its hash); without
    `dependencies`, the package part alone (see `ops.hosting.ArtifactSource`)."""
    cache = cache_dir or default_cache_dir()
    installed = (
        install_dependencies(platform, wheelhouse=wheelhouse, cache_dir=cache)
        if dependencies
        else None
    )
    package = package_entries()
    zipped = cache / "artifacts" / f"{_inputs_key(installed, package)}.zip"
    out_dir.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".artifact-", suffix=".zip", dir=out_dir)
    os.close(handle)
    written = Path(scratch)
    try:
        if reuse and zipped.is_file():
            shutil.copyfile(zipped, written)
            sha256 = _file_sha256(written)
        else:
            extra = _dependency_entries(installed) if installed is not None else []
            sha256 = write_zip(package + extra, written)
            _keep(written, zipped)
        final = out_dir / f"messaging-lambda-{sha256[:16]}.zip"
        written.replace(final)
    finally:
        written.unlink(missing_ok=True)
    return Artifact(final, sha256, final.stat().st_size, platform)
