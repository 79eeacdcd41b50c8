"""Before a command starts: its extra, its output paths, and no AWS profile for local work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer

from messaging.cli import local


def test_a_missing_extra_is_named_with_the_command_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    local.require_extra("lake", "lake query")  # installed here: nothing happens
    monkeypatch.setitem(local.EXTRAS, "lake", ("duckdb", "no_such_module_here"))
    with pytest.raises(typer.Exit) as exited:
        local.require_extra("lake", "messaging lake query")
    assert exited.value.exit_code == 2
    assert capsys.readouterr().err == (
        "error: messaging lake query needs the [lake] extra (no_such_module_here not "
        "installed): pip install 'messaging[lake]' (or pipx install 'messaging[lake]')\n"
    )


def test_output_paths_are_made_or_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = tmp_path / "out" / "deeper" / "r.json"
    local.check_output_path(nested, "--report-json")
    assert nested.parent.is_dir()
    assert not nested.exists()  # checked, not written
    assert list(nested.parent.iterdir()) == []  # and no probe left behind
    existing = tmp_path / "old.json"
    existing.write_text("kept")
    local.check_output_path(existing, "--report-json")
    assert existing.read_text() == "kept"
    blocker = tmp_path / "file"
    blocker.write_text("")
    for bad, reason in ((blocker / "r.json", "cannot be written"), (tmp_path, "is a directory")):
        with pytest.raises(typer.Exit):
            local.check_output_path(bad, "--report-json")
        assert reason in capsys.readouterr().err


def test_the_local_cloud_process_drops_the_aws_profile(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "doesnotexist")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "other")
    local.without_aws_profile()
    assert "AWS_PROFILE" not in os.environ
    assert "AWS_DEFAULT_PROFILE" not in os.environ
    assert "Ignoring AWS_PROFILE=doesnotexist, AWS_DEFAULT_PROFILE=other" in capsys.readouterr().err
