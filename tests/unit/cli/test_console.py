"""Plain, unwrapped lines off a terminal; colour only where wanted; live views only on a TTY."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from messaging.cli import console
from messaging.cli.console import LiveView, Output
from tests.support import FakeClock


def test_off_a_terminal_a_long_line_is_never_wrapped_whatever_columns_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    buffer = io.StringIO()
    output = Output(file=buffer)
    long = " ".join(f"word{n}" for n in range(60))  # ~400 characters
    output.print(long)
    table = Table("key", "value")
    table.add_row("k", "v" * 300)
    output.print(table)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == long
    assert any("v" * 300 in line for line in lines)  # a cell is not folded either


def test_a_terminal_keeps_its_width_and_no_color_drops_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.StringIO()
    terminal = Output(file=buffer, force_terminal=True, width=40)
    terminal.print("x " * 30)
    assert len(buffer.getvalue().splitlines()) == 2  # wrapped at 40 on a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    coloured = io.StringIO()
    Output(file=coloured, force_terminal=True).print("[red]alarm[/red] [bold]bold[/bold]")
    assert "\x1b[31m" not in coloured.getvalue()
    assert "alarm" in coloured.getvalue()


def test_off_a_terminal_a_live_view_is_a_plain_line_every_few_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(console, "err", Output(file=buffer))
    clock = FakeClock(0.0)
    count = [0]
    view = LiveView(lambda: "frame", lambda: f"progress {count[0]}", every=5.0, clock=clock)
    with view:
        for _ in range(12):
            count[0] += 1
            clock.advance(1.0)
            view.update()
    assert buffer.getvalue().splitlines() == ["progress 5", "progress 10"]


def test_quiet_drops_notes_and_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(console, "err", Output(file=buffer))
    monkeypatch.setitem(console._state, "quiet", True)
    clock = FakeClock(0.0)
    with LiveView(lambda: "frame", lambda: "progress", every=1.0, clock=clock) as view:
        clock.advance(10)
        view.update()
    console.note("a note")
    assert buffer.getvalue() == ""
    monkeypatch.setitem(console._state, "quiet", False)
    console.note("a [bracketed] note")
    assert buffer.getvalue() == "a [bracketed] note\n"
