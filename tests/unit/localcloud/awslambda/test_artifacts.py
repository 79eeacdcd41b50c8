from __future__ import annotations

import io
import zipfile

import pytest

from messaging.localcloud.awslambda.artifacts import CodeCache, PackageError, check_package
from tests.support.lambdas import package


def test_a_zip_is_unpacked_once_per_hash() -> None:
    cache = CodeCache()
    try:
        first = cache.directory("abc", package())
        assert (first / "handlers.py").is_file()
        assert cache.directory("abc", b"ignored: cached") == first
    finally:
        cache.clear()
    assert not first.exists()


def test_what_lambda_cannot_unzip_is_refused() -> None:
    with pytest.raises(PackageError, match="Could not unzip"):
        check_package(b"not a zip")


def test_a_member_leaving_the_directory_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.py", "x = 1")
    with pytest.raises(PackageError, match="unsafe path"):
        check_package(buffer.getvalue())
