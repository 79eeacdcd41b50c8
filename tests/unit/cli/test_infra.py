"""`messaging up` refuses a state directory it cannot use: one line, exit 2, no traceback."""

from __future__ import annotations

import fcntl
from pathlib import Path

from typer.testing import CliRunner

from messaging.cli import app


def up(state: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["up", "--port", "0", "--no-deploy", "--state-dir", str(state)]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_an_unreadable_state_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "state.pickle").write_bytes(b"not a snapshot")
    code, output = up(tmp_path)
    assert code == 2
    assert output.startswith("error: the saved state is unreadable")
    assert "away to start empty" in output
    assert "Traceback" not in output


def test_a_directory_in_use_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `up` holds it
        code, output = up(tmp_path)
    assert code == 2
    assert output.strip().splitlines() == [
        f"error: {tmp_path} is in use by another `messaging up`; stop it or pass another "
        "--state-dir"
    ]
