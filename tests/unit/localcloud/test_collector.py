"""A serving process makes full collections rare; young cycles are still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from messaging.localcloud.collector import FULL_COLLECTION_AFTER, tune_for_serving

CPYTHON_DEFAULTS = (700, 10, 10)


@pytest.fixture
def defaults() -> Iterator[None]:
    """CPython's thresholds during the test, the suite's own afterwards."""
    saved, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(*CPYTHON_DEFAULTS)
    gc.enable()
    gc.collect()  # the long-lived total is now the whole heap
    try:
        yield
    finally:
        gc.set_threshold(*saved)
        if not enabled:
            gc.disable()


class Collections:
    """Counts the collections of each generation while it is open."""

    def __init__(self) -> None:
        self.by_generation = [0, 0, 0]

    def __enter__(self) -> Collections:
        gc.callbacks.append(self._count)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._count)

    def _count(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.by_generation[info["generation"]] += 1


def grow_the_heap() -> Collections:
    """Keep as many new containers as half the heap plus 100,000, as stored items grow."""
    count = len(gc.get_objects()) // 2 + 100_000
    with Collections() as seen:
        kept: list[list[object]] = [[] for _ in range(count)]
    del kept
    return seen


def test_a_growing_heap_makes_full_collections_by_default(defaults: None) -> None:
    assert grow_the_heap().by_generation[2] >= 1


def test_tuned_a_growing_heap_makes_no_full_collection(defaults: None) -> None:
    tune_for_serving()

    seen = grow_the_heap()

    assert seen.by_generation[2] == 0
    assert seen.by_generation[0] > 0  # the young generation is collected as before


def test_tuned_a_cycle_that_dies_young_is_still_collected(defaults: None) -> None:
    tune_for_serving()

    class Node:
        pass

    node = Node()
    node.itself = node  # type: ignore[attr-defined]
    gone = weakref.ref(node)
    del node
    with Collections() as seen:
        churn: list[list[object]] = [[] for _ in range(10_000)]  # young collections run
    del churn

    assert gone() is None
    assert seen.by_generation[2] == 0


def test_only_the_full_collections_threshold_changes(defaults: None) -> None:
    tune_for_serving()

    assert gc.get_threshold() == (*CPYTHON_DEFAULTS[:2], FULL_COLLECTION_AFTER)
