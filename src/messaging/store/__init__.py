"""Idempotent service stores: each event's effects apply once, however often it arrives.

`base` holds the algorithm, once (`IdempotentStore`); `dynamodb` and `memory` implement
its two primitives; `types` holds what handlers record and what a commit answers.
"""

from messaging.store.base import MAX_TRANSACTION_ITEMS, IdempotentStore, is_dependency_failure
from messaging.store.dynamodb import DynamoStore
from messaging.store.memory import MemoryStore
from messaging.store.types import (
    CommitFailure,
    Outcome,
    Store,
    StoreError,
    UnitOfWork,
    UnitResult,
)

__all__ = [
    "MAX_TRANSACTION_ITEMS",
    "CommitFailure",
    "DynamoStore",
    "IdempotentStore",
    "MemoryStore",
    "Outcome",
    "Store",
    "StoreError",
    "UnitOfWork",
    "UnitResult",
    "is_dependency_failure",
]
