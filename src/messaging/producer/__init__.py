"""Publishing `consumer.created` events: the batched, paced publisher (`publisher`), and
realistic fake consumers (`fakes`, which loads Faker, so it is not imported here)."""

from messaging.producer.publisher import (
    ATTRIBUTE,
    MAX_BATCH_BYTES,
    MAX_BATCH_ENTRIES,
    Failure,
    Producer,
    ProducerError,
    ProducerStats,
)

__all__ = [
    "ATTRIBUTE",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
    "Failure",
    "Producer",
    "ProducerError",
    "ProducerStats",
]
