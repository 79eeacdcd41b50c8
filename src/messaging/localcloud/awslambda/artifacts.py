"""A function's code: the deployment package checked as Lambda checks it, then unpacked.

Lambda refuses a package that is not a zip, or whose unzipped size is over 250 MB
(262,144,000 bytes); so does the local cloud, when the function is created or its code
updated. The package is unpacked once per code hash into a directory of this process
(what Lambda calls /var/task), never outside it: a member whose path would leave it
(absolute, `..`) is refused as a corrupt package.

What differs from Lambda: a package built for the Lambda platform holds compiled wheels
for Amazon Linux and Lambda's Python, which this machine may not run. Worker processes
(`bootstrap.arrange_imports`) import the package's own `messaging` from it, ahead of
everything; every other top-level name comes from the local cloud's environment first,
and from the package only when that environment lacks it (the handler's own modules).
So the package's third-party dependencies run as the local cloud's versions, which can
differ from the ones deployed to AWS.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path, PurePosixPath

__all__ = ["MAX_UNZIPPED_BYTES", "CodeCache", "PackageError", "check_package"]

MAX_UNZIPPED_BYTES = 262_144_000


class PackageError(ValueError):
    """A deployment package Lambda would refuse (the message is Lambda's)."""


def check_package(code: bytes) -> None:
    """Refuse what Lambda refuses: not a zip, too large unzipped, unsafe member paths."""
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as package:
            members = package.infolist()
    except zipfile.BadZipFile:
        raise PackageError(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED_BYTES:
        raise PackageError(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
    for member in members:
        path = PurePosixPath(member.filename)
        if path.is_absolute() or ".." in path.parts:
            raise PackageError(
                f"Could not unzip uploaded file: unsafe path {member.filename!r} in the package."
            )


class CodeCache:
    """Unpacked packages by code hash, under one temporary directory of this process."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._lock = threading.Lock()

    def directory(self, digest: str, code: bytes) -> Path:
        """The package unpacked (once per hash)."""
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="localcloud-lambda-"))
            target = self._root / digest
            if not target.is_dir():
                check_package(code)
                staging = self._root / f".{digest}.partial"
                shutil.rmtree(staging, ignore_errors=True)
                with zipfile.ZipFile(io.BytesIO(code)) as package:
                    package.extractall(staging)
                staging.rename(target)
            return target

    @property
    def root(self) -> Path:
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="localcloud-lambda-"))
            return self._root

    def clear(self) -> None:
        with self._lock:
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None
