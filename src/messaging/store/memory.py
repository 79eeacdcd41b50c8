"""The memory backend: a dict with DynamoDB's rules, for tests and for one process.

Items are checked with the same serialiser the DynamoDB backend uses, so a unit that
DynamoDB could not hold (a float) fails here too: a handler tested against memory
behaves the same against the table. Known limits: the 400 KB item size is not checked;
the store lives and dies with the process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Unpack

from boto3.dynamodb.types import TypeSerializer

from messaging.store.base import EXISTS, NO_REASON, IdempotentStore, OutlineOptions

__all__ = ["MemoryStore"]

_Item = tuple[str, dict[str, Any]]


class MemoryStore(IdempotentStore[_Item]):
    """`items` (key -> item) is there for tests to inspect."""

    def __init__(self, **options: Unpack[OutlineOptions]) -> None:
        super().__init__(**options)
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._serializer = TypeSerializer()

    def _prepare(self, key: str, document: Mapping[str, Any]) -> _Item:
        for value in document.values():
            self._serializer.serialize(value)  # raises on what DynamoDB cannot hold
        return key, dict(document)

    def _create_all(self, items: list[_Item]) -> list[str] | None:
        with self._lock:
            codes = [EXISTS if key in self.items else NO_REASON for key, _ in items]
            if EXISTS in codes:
                return codes
            self.items.update(items)
            return None
