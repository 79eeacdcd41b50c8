"""What a handler records and what a commit answers: units of work and their results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeAlias

from messaging.errors import MessagingError

__all__ = ["CommitFailure", "Outcome", "Store", "StoreError", "UnitOfWork", "UnitResult"]


class StoreError(MessagingError):
    """A unit of work that breaks the store's rules (one event creating a key twice)."""


class Outcome(StrEnum):
    APPLIED = "applied"  # the unit's items were created now
    DUPLICATE = "duplicate"  # an item of the unit already existed: nothing changed


@dataclass(frozen=True)
class CommitFailure:
    """A unit that was not committed, and why; the message comes back and is tried again.

    `dependency` tells an outage from a fault of the unit: True when the store itself
    failed (throttled, unreachable, denied) and any unit would have failed the same way;
    False when this unit could not be stored (an item DynamoDB cannot hold, a store bug
    that this unit alone triggers). `fatal`: no retry can mend the failure
    (`messaging.core.retry.is_fatal`), so a long-running consumer should stop.
    """

    reason: str
    dependency: bool
    fatal: bool = False


UnitResult: TypeAlias = Outcome | CommitFailure


@dataclass
class UnitOfWork:
    """The effects of one event, applied all together or not at all."""

    creates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def create(self, key: str, item: Mapping[str, Any]) -> None:
        """Create `item` under `key`, unless an item with that key already exists."""
        if key in self.creates:
            raise StoreError(f"one event creates {key!r} twice")
        self.creates[key] = dict(item)


class Store(Protocol):
    """What the consumer core needs from a store: one answer per unit, in order."""

    def commit(self, units: Sequence[UnitOfWork]) -> list[UnitResult]: ...
