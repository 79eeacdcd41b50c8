"""The artifact is reproducible: the same inputs give the same bytes, so the same key."""

from __future__ import annotations

import os
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from messaging.ops.artifact import (
    FUNCTION_REQUIREMENTS,
    ArtifactError,
    LambdaPlatform,
    build,
    install_dependencies,
    package_entries,
    pins,
)
from messaging.ops.artifact.build import write_zip
from messaging.ops.hosting import ArtifactSource


def test_a_zip_is_sorted_stamped_and_permissioned_whatever_the_files_are(tmp_path: Path) -> None:
    (tmp_path / "b.py").write_text("b = 1\n")
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "a.py").chmod(0o700)
    entries = [("pkg/b.py", tmp_path / "b.py"), ("pkg/a.py", tmp_path / "a.py")]
    first = write_zip(entries, tmp_path / "one.zip")
    os.utime(tmp_path / "a.py", (1_000_000_000, 1_000_000_000))  # another mtime
    assert write_zip(list(reversed(entries)), tmp_path / "two.zip") == first
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert archive.namelist() == ["pkg/a.py", "pkg/b.py"]
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_a_name_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("")
    with pytest.raises(ValueError, match="twice"):
        write_zip([("a", tmp_path / "a"), ("a", tmp_path / "a")], tmp_path / "x.zip")


def test_the_package_part_is_what_the_function_imports_and_nothing_else() -> None:
    names = {name for name, _ in package_entries()}
    assert {
        "messaging/__init__.py",
        "messaging/errors.py",
        "messaging/consumer/lambda_handler.py",
        "messaging/consumer/batch.py",
        "messaging/core/events.py",
        "messaging/store/dynamodb.py",
    } <= names
    roots = {name.split("/")[1] for name in names}
    assert roots == {"__init__.py", "errors.py", "core", "consumer", "store"}
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_dependencies_are_pinned_to_the_versions_installed_here() -> None:
    assert pins() == [f"{name}=={metadata.version(name)}" for name in FUNCTION_REQUIREMENTS]


def test_a_missing_wheelhouse_says_how_to_fill_it(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="--fetch-only"):
        install_dependencies(LambdaPlatform(), wheelhouse=tmp_path / "nowhere")


def test_a_wheelhouse_without_the_wheels_fails_with_pips_reason(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    with pytest.raises(ArtifactError, match="installing the function's dependencies"):
        install_dependencies(
            LambdaPlatform(), wheelhouse=tmp_path / "wheels", cache_dir=tmp_path / "cache"
        )
    assert not any((tmp_path / "cache" / "dependencies").iterdir())  # nothing half-installed


def test_two_builds_are_the_same_bytes_with_lambda_wheels_inside(
    tmp_path: Path, artifacts: ArtifactSource
) -> None:
    target = LambdaPlatform("3.13", "arm64")
    wheels, cache = artifacts.wheelhouse, artifacts.cache_dir
    one = build(target, tmp_path / "one", wheelhouse=wheels, cache_dir=cache, reuse=False)
    # Zipped again, not copied: the same bytes.
    two = build(target, tmp_path / "two", wheelhouse=wheels, cache_dir=cache, reuse=False)
    assert one.sha256 == two.sha256
    assert one.path.read_bytes() == two.path.read_bytes()
    cached = build(target, tmp_path / "three", wheelhouse=wheels, cache_dir=cache)
    assert cached.path.read_bytes() == one.path.read_bytes()  # the same inputs, from the cache
    assert one.key == f"messaging/lambda/python3.13-arm64/{one.sha256}.zip"
    with zipfile.ZipFile(one.path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith("bin/") for n in names)
    # The compiled part is for Lambda's platform, not this machine's.
    compiled = [n for n in names if n.startswith("pydantic_core/") and n.endswith(".so")]
    assert compiled == ["pydantic_core/_pydantic_core.cpython-313-aarch64-linux-gnu.so"]
    for package in ("boto3", "botocore", "pydantic", "email_validator", "messaging"):
        assert f"{package}/__init__.py" in names
    assert "messaging/localcloud/__init__.py" not in names


def test_for_the_local_clouds_runtime_the_package_alone_is_built_without_pip(
    tmp_path: Path,
) -> None:
    # No wheelhouse and no package index: a build that needed either would fail here.
    built = build(
        LambdaPlatform(),
        tmp_path / "out",
        wheelhouse=tmp_path / "nowhere",
        cache_dir=tmp_path / "cache",
        dependencies=False,
    )
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
    assert names == sorted(name for name, _ in package_entries())
    assert not (tmp_path / "cache" / "dependencies").exists()
