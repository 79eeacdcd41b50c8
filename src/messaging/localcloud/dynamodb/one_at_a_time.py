"""DynamoDB's requests served one at a time, so that each is atomic, as on DynamoDB.

The gap it closes: the server gives each request a thread, and moto's DynamoDB has no
locks, so two requests on one table ran interleaved, switching between each other's
bytecodes. Found by a `messaging simulate` run that reported 2 events lost and 5
duplicate effects while its tables held every event once (issue #21's measurements,
bench/RESULTS.md):

- The Scan index (`scan.IndexedItems`, a sorted list) is updated in several steps. Two
  inserts at once left keys out of order (4 threads writing 20,000 keys each, the
  interpreter switching often: the order came out unsorted), so Scan's binary search
  started pages in the wrong place and skipped or repeated items.
- A conditional put reads, then writes. Two INSERTs of one key at once could both
  succeed, where DynamoDB lets exactly one create the item.
- A transaction's check and its writes (`transactions`) could have another write
  between them.

So each DynamoDB request holds one lock while moto serves it: a write, a Scan page or a
transaction is whole before the next begins, which is what DynamoDB promises per item
and per transaction. It costs little here: the cloud's requests already take turns at
the one interpreter, and a request holds the lock only for its action (its body was read
before, its answer is sent after). Requests to other services do not wait for it.

A DynamoDB request is told by its `X-Amz-Target` (`DynamoDB_20120810.PutItem`), which
every DynamoDB API call carries; DynamoDB Streams' (`DynamoDBStreams_...`) only read.
Known limit: code that calls the backend directly, not through the server (unit tests,
a snapshot's restore before serving), is not serialised by this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["DynamoDBOneAtATime", "is_dynamodb"]

_TARGET_PREFIX = "DynamoDB_"
# One for the process: moto's backends, which it guards, are the process's, whichever
# server instance (or in-process app) a request came through.
_PROCESS_LOCK = threading.Lock()


def is_dynamodb(environ: dict[str, Any]) -> bool:
    """Whether a request is a DynamoDB API call (not DynamoDB Streams)."""
    return str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(_TARGET_PREFIX)


class DynamoDBOneAtATime:
    """WSGI: DynamoDB's requests pass one at a time; the others pass straight through."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], lock: threading.Lock | None = None
    ) -> None:
        self.app = app
        self.lock = _PROCESS_LOCK if lock is None else lock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not is_dynamodb(environ):
            return self.app(environ, start_response)
        with self.lock:
            return self.app(environ, start_response)
