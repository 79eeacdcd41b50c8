"""The cycle collector, tuned for a process that serves the local cloud.

The gap it closes: CPython runs a full collection after every 10 collections of the
middle generation (about every 70,000 allocations), and a full collection walks every
tracked object while it holds the interpreter. The local cloud's heap is large and keeps
growing: moto's models, botocore's service models, and every stored item and message
(about 600,000 objects after one 15 s run at 478 events/s). In that run the cloud made
14 full collections averaging 177 ms, 2.5 s of its CPU, and every request in flight
stood still during each one.

So a full collection waits for 1,000 middle-generation collections instead of 10.
CPython's own rule still applies on top: no full collection until the long-lived
objects have grown by a quarter since the last one. The young generations are collected
as before, and reference counting frees everything outside reference cycles at once;
only garbage in cycles that reached the oldest generation waits longer.

Not `gc.freeze()` as well: a frozen cycle is never collected, and a reset or a deleted
table would leave what start-up restored in memory for good.

For the serving process only (`messaging up`, the child `simulate` starts): a process
that starts clouds in-process, such as the tests, keeps the interpreter's defaults.
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = ["FULL_COLLECTION_AFTER", "tune_for_serving"]

FULL_COLLECTION_AFTER: Final = 1_000  # middle-generation collections (CPython: 10)


def tune_for_serving() -> None:
    """Make full collections rare (see the module docstring); the rest as it was."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
