"""What AWS bills for, counted from the client side: billing units per `service:Operation`.

A request count is a proxy for the bill; this is the bill's own units. A `UsageMeter`
listens to botocore's events on a session or client:

- `before-send` (once per HTTP attempt, retries included): the request and its bytes;
- `provide-client-params` (once per call, with the call's own parameters): what the
  request carries, in the units AWS bills it by. SNS Publish/PublishBatch and SQS
  SendMessage(Batch) bill one request per started 64 KiB of payload (the messages'
  bodies and attributes), a batch being one request; every published message is also
  one Firehose record (the topic's Firehose subscription), which Firehose bills rounded
  up to 5 KiB. DynamoDB bills write units: 1 per started KiB of the item for a put
  (conditional or not, and also when the condition fails), 2 per KiB for a put inside
  TransactWriteItems. PartiQL bills the same per statement: an `INSERT` in
  ExecuteStatement or BatchExecuteStatement is a put (1 per started KiB, also when it
  fails with `DuplicateItem`), twice that in ExecuteTransaction; the item is read from
  the statement's names and its parameters (`messaging.core.partiql`);
- `after-call` (once per call, with the parsed answer): SQS ReceiveMessage bills one
  request per started 64 KiB of the messages it returns, and an empty receive still
  bills one; DynamoDB reads bill half a unit per started 4 KiB read (eventually
  consistent), from the items returned.

It is importable by the Lambda function (no dependency beyond the standard library), so
the function logs its own usage in the same units (`Usage.as_dict`).

Known limits: units are computed from the request, not read from DynamoDB's
`ConsumedCapacity` (the local cloud answers a fixed figure there); a throttled attempt
is counted as a request but its units are counted once per call; UpdateItem and
DeleteItem are billed as one unit each (the item's size is not known to the client);
KMS calls SNS makes for an encrypted topic happen server-side and are not seen here.
PartiQL statements other than the recognised INSERT form (UPDATE, DELETE, literal
values) bill one write unit each, SELECTs none (their reads are not metered), and a
statement the server refuses as invalid (no table, an item it cannot hold) is still
counted, as a refused PutItem is.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

from messaging.core.partiql import parse_insert

__all__ = [
    "FIREHOSE_RECORD_UNIT",
    "REQUEST_CHUNK",
    "Usage",
    "UsageMeter",
    "billed_chunks",
    "firehose_billed_bytes",
    "item_size",
    "merge",
    "statement_write_units",
    "write_units",
]

logger = logging.getLogger(__name__)

REQUEST_CHUNK: Final = 64 * 1024  # SNS and SQS bill each started 64 KiB as one request
FIREHOSE_RECORD_UNIT: Final = 5 * 1024  # Firehose rounds every record up to 5 KiB
WRITE_UNIT: Final = 1024  # a DynamoDB write unit covers 1 KiB of item
READ_UNIT: Final = 4 * 1024  # a read unit covers 4 KiB (eventually consistent: half a unit)
TRANSACTION_FACTOR: Final = 2  # a write inside a transaction costs twice


def billed_chunks(payload_bytes: int) -> int:
    """Requests billed for one SNS/SQS request of `payload_bytes`: at least one."""
    return max(1, math.ceil(payload_bytes / REQUEST_CHUNK))


def firehose_billed_bytes(record_bytes: int) -> int:
    """What Firehose bills for one record: its size rounded up to 5 KiB."""
    return max(1, math.ceil(record_bytes / FIREHOSE_RECORD_UNIT)) * FIREHOSE_RECORD_UNIT


def _utf8_size(text: Any) -> int:
    """Bytes of `str(text)` in UTF-8; an ASCII string's length (`isascii` is O(1))."""
    if text.__class__ is str and text.isascii():
        return len(text)
    return len(str(text).encode())


def _value_size(value: Any) -> int:  # noqa: PLR0911 - one answer per type
    """Bytes of one AttributeValue, by DynamoDB's item-size rules (0 if malformed).

    Every function meters every item it writes, so this runs per attribute of every
    event, twice: plain dicts and ASCII strings are sized without `isinstance` against
    `Mapping` or an encoded copy (21 -> 13 µs per item, issue #21).
    """
    if value.__class__ is not dict and not isinstance(value, Mapping):
        return 0  # DynamoDB rejects it; the meter must never fail the call itself
    if len(value) != 1:
        return 0
    ((kind, inner),) = value.items()
    if kind == "S":
        return _utf8_size(inner)
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(_utf8_size(k) + _value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in inner)
    return len(str(inner).encode())


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values."""
    return sum(_utf8_size(name) + _value_size(value) for name, value in item.items())


def write_units(item: Mapping[str, Mapping[str, Any]], *, transaction: bool = False) -> int:
    """Write units of one put: 1 per started KiB, twice inside a transaction."""
    units = max(1, math.ceil(item_size(item) / WRITE_UNIT))
    return units * (TRANSACTION_FACTOR if transaction else 1)


def statement_write_units(statement: Mapping[str, Any], *, transaction: bool = False) -> int:
    """Write units of one PartiQL statement (`Statement`, `Parameters`), as billed."""
    text = str(statement.get("Statement", ""))
    insert = parse_insert(text)
    parameters = statement.get("Parameters") or []
    if insert is not None:
        if len(parameters) != len(insert.names):
            return 0  # refused before any write: "Number of parameters ... don't match"
        return write_units(
            dict(zip(insert.names, parameters, strict=True)), transaction=transaction
        )
    if text.lstrip()[:6].upper() == "SELECT":
        return 0
    return TRANSACTION_FACTOR if transaction else 1  # UPDATE/DELETE: the item's size unknown


@dataclass
class Usage:
    """One `service:Operation`'s billing units over a run (or one invocation)."""

    requests: int = 0  # HTTP attempts, retries included
    billed_requests: int = 0  # SNS/SQS: started 64 KiB chunks per call
    payload_bytes: int = 0  # HTTP request bodies
    records: int = 0  # messages published, sent, received or deleted
    record_bytes: int = 0  # their payload
    firehose_bytes: int = 0  # SNS -> Firehose records, each rounded up to 5 KiB
    write_units: float = 0.0
    read_units: float = 0.0
    empty_receives: int = 0

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, float]:
        """Only the units that are not zero (for a compact log line)."""
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Usage:
        known = {f.name for f in fields(cls)}
        usage = cls()
        for key, value in values.items():
            if key in known and isinstance(value, int | float):
                setattr(usage, key, type(getattr(usage, key))(value))
        return usage


def merge(into: dict[str, Usage], more: Mapping[str, Usage]) -> dict[str, Usage]:
    """Add `more` into `into`, by `service:Operation`."""
    for key, usage in more.items():
        into.setdefault(key, Usage()).add(usage)
    return into


def _message_bytes(body: str, attributes: Mapping[str, Any] | None) -> int:
    size = len(body.encode())
    for name, attribute in (attributes or {}).items():
        size += len(name.encode()) + len(str(attribute.get("DataType", "")).encode())
        value = attribute.get("StringValue", attribute.get("BinaryValue", b""))
        size += len(value) if isinstance(value, bytes | bytearray) else len(str(value).encode())
    return size


class UsageMeter:
    """Billing units by `service:Operation`, fed by botocore's events (thread-safe)."""

    def __init__(self, *, firehose_subscribed: bool = True) -> None:
        # Each published SNS message is one Firehose record when the topic feeds a stream.
        self.firehose_subscribed = firehose_subscribed
        self._usage: dict[str, Usage] = {}
        self._lock = threading.Lock()
        self.unmetered = 0  # calls whose parameters or answer could not be read

    def register(self, events: Any) -> None:
        """Listen on a session's or a client's event system (`.events` / `.meta.events`)."""
        events.register("before-send", self.on_before_send)
        events.register("provide-client-params", self.on_params)
        events.register("after-call", self.on_after_call)

    def _add(self, event_name: str, **units: float) -> None:
        service, operation = event_name.split(".")[1:3]
        with self._lock:
            usage = self._usage.setdefault(f"{service}:{operation}", Usage())
            for name, value in units.items():
                setattr(usage, name, getattr(usage, name) + value)

    def on_before_send(self, event_name: str, request: Any = None, **_: Any) -> None:
        body = getattr(request, "body", None)
        size = len(body) if isinstance(body, bytes | bytearray | str) else 0
        self._add(event_name, requests=1, payload_bytes=size)

    def on_params(self, event_name: str, params: Mapping[str, Any] | None = None, **_: Any) -> None:
        try:
            self._meter_params(event_name, params)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self._unmetered(event_name, error)

    def _unmetered(self, event_name: str, error: Exception) -> None:
        """A call whose parameters or answer the meter cannot read: AWS will reject it or
        botocore will; metering must never fail the call, so it is counted and logged."""
        with self._lock:
            self.unmetered += 1
        logger.debug("not metered: %s (%s: %s)", event_name, type(error).__name__, error)

    def _meter_params(self, event_name: str, params: Mapping[str, Any] | None) -> None:
        operation = event_name.rsplit(".", maxsplit=1)[-1]
        params = params or {}
        if operation in ("Publish", "SendMessage"):
            sizes = [
                _message_bytes(
                    params.get("Message", params.get("MessageBody", "")),
                    params.get("MessageAttributes"),
                )
            ]
            self._messages(event_name, sizes, published=operation == "Publish")
        elif operation in ("PublishBatch", "SendMessageBatch"):
            entries = params.get("PublishBatchRequestEntries", params.get("Entries", []))
            sizes = [
                _message_bytes(
                    e.get("Message", e.get("MessageBody", "")), e.get("MessageAttributes")
                )
                for e in entries
            ]
            self._messages(event_name, sizes, published=operation == "PublishBatch")
        elif operation in ("DeleteMessageBatch", "ChangeMessageVisibilityBatch"):
            self._add(event_name, billed_requests=1, records=len(params.get("Entries", [])))
        elif operation in ("DeleteMessage", "ChangeMessageVisibility"):
            self._add(event_name, billed_requests=1, records=1)
        elif operation == "PutItem":
            self._add(event_name, write_units=write_units(params.get("Item", {})), records=1)
        elif operation == "TransactWriteItems":
            puts = [
                entry["Put"].get("Item", {})
                for entry in params.get("TransactItems", [])
                if isinstance(entry, Mapping) and isinstance(entry.get("Put"), Mapping)
            ]
            other = len(params.get("TransactItems", [])) - len(puts)
            units = sum(write_units(item, transaction=True) for item in puts) + 2 * other
            self._add(event_name, write_units=units, records=len(puts) + other)
        elif operation == "BatchWriteItem":
            requests = [r for rs in params.get("RequestItems", {}).values() for r in rs]
            units = sum(
                write_units(r["PutRequest"]["Item"]) if "PutRequest" in r else 1 for r in requests
            )
            self._add(event_name, write_units=units, records=len(requests))
        elif operation in ("UpdateItem", "DeleteItem"):
            self._add(event_name, write_units=1, records=1)
        elif operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
            statements = params.get("Statements", params.get("TransactStatements", [params]))
            transaction = operation == "ExecuteTransaction"
            units = sum(statement_write_units(s, transaction=transaction) for s in statements)
            self._add(event_name, write_units=units, records=len(statements))

    def _messages(self, event_name: str, sizes: Iterable[int], *, published: bool) -> None:
        sizes = list(sizes)
        firehose = sum(firehose_billed_bytes(s) for s in sizes) if published else 0
        self._add(
            event_name,
            billed_requests=billed_chunks(sum(sizes)),
            records=len(sizes),
            record_bytes=sum(sizes),
            firehose_bytes=firehose if self.firehose_subscribed else 0,
        )

    def on_after_call(
        self, event_name: str, parsed: Mapping[str, Any] | None = None, **_: Any
    ) -> None:
        try:
            self._meter_answer(event_name, parsed)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self._unmetered(event_name, error)

    def _meter_answer(self, event_name: str, parsed: Mapping[str, Any] | None) -> None:
        operation = event_name.rsplit(".", maxsplit=1)[-1]
        parsed = parsed or {}
        if "Error" in parsed:  # a failed call returns nothing billable beyond its request
            return
        if operation == "ReceiveMessage":
            messages = parsed.get("Messages", [])
            sizes = [
                _message_bytes(m.get("Body", ""), m.get("MessageAttributes")) for m in messages
            ]
            self._add(
                event_name,
                billed_requests=billed_chunks(sum(sizes)),
                records=len(sizes),
                record_bytes=sum(sizes),
                empty_receives=0 if sizes else 1,
            )
        elif operation in ("GetItem", "Query", "Scan", "BatchGetItem"):
            items = parsed.get("Items") or ([parsed["Item"]] if parsed.get("Item") else [])
            for found in (parsed.get("Responses") or {}).values():
                items = [*items, *found]
            size = sum(item_size(item) for item in items)
            self._add(event_name, read_units=max(1, math.ceil(size / READ_UNIT)) / 2)

    def snapshot(self) -> dict[str, Usage]:
        with self._lock:
            return {k: Usage(**asdict(v)) for k, v in self._usage.items()}

    def take(self) -> dict[str, Usage]:
        """The usage so far, and start again from zero (one invocation's)."""
        with self._lock:
            taken, self._usage = self._usage, {}
            return taken
