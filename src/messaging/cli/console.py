"""Where the CLI writes, and how: terminals get colour and live views, pipes get plain lines.

Conventions every command follows through this module:

- stdout carries the result (a report, a table, JSON); stderr carries progress, notes,
  warnings and errors, so `messaging status --json | jq` always sees clean data;
- off a terminal (a pipe, a file, CI logs) nothing is wrapped, whatever `COLUMNS` says:
  one fact stays on one line, for grep; live views are not drawn (their last frame used
  to be glued to the next line), a plain progress line is printed every few seconds
  instead;
- `NO_COLOR` (https://no-color.org) turns colour off; rich reads it itself;
- `--quiet` (`messaging --quiet <command>`) keeps results, warnings and errors and drops
  progress and notes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from rich.console import Console, ConsoleDimensions, RenderableType
from rich.live import Live
from rich.markup import escape

__all__ = ["PLAIN_WIDTH", "LiveView", "Output", "err", "note", "out", "quiet", "set_quiet"]

# Off a terminal, a line is as long as it needs to be: rich wraps at the width it has.
PLAIN_WIDTH = 100_000
PLAIN_PROGRESS_EVERY = 5.0  # seconds between plain progress lines off a terminal

_state = {"quiet": False}


class Output(Console):
    """A rich console that never wraps when its stream is not a terminal."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        if self.is_terminal:
            return size  # type: ignore[no-any-return]
        return ConsoleDimensions(PLAIN_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = Output()
err = Output(stderr=True)


def quiet() -> bool:
    return _state["quiet"]


def set_quiet(value: bool) -> None:
    _state["quiet"] = value


def note(message: str, *, style: str = "dim") -> None:
    """A line of progress or context on stderr; `--quiet` drops it."""
    if not quiet():
        text = f"[{style}]{escape(message)}[/{style}]" if style else escape(message)
        err.print(text, soft_wrap=True, highlight=False)


class LiveView:
    """A live view on a terminal; off one, a plain line every few seconds; none if quiet.

    `render` draws the view; `line` says the same in one line of text. Call `update()`
    whenever the numbers change (from any thread).
    """

    def __init__(
        self,
        render: Callable[[], RenderableType],
        line: Callable[[], str | None],
        *,
        transient: bool = False,
        every: float = PLAIN_PROGRESS_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._render = render
        self._line = line
        self._transient = transient
        self._every = every
        self._clock = clock
        self._live: Live | None = None
        self._last_line = clock()

    def __enter__(self) -> Self:
        if not quiet() and err.is_terminal:
            self._live = Live(
                self._render(), console=err, refresh_per_second=4, transient=self._transient
            )
            self._live.start()
        return self

    def update(self) -> None:
        if self._live is not None:
            self._live.update(self._render())
            return
        now = self._clock()
        if quiet() or now - self._last_line < self._every:
            return
        self._last_line = now
        text = self._line()
        if text:
            err.print(text, soft_wrap=True, highlight=False, markup=False)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
