"""A process's CPU so far, read from /proc: the benchmarks' measure of the server's work.

Why /proc: the local cloud runs in its own process, and its CPU per request is the figure
that says where the time goes. `resource` only reports the caller and its waited-for
children.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` so far."""
    # The command name (field 2) may hold spaces and parentheses: split after its ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS
