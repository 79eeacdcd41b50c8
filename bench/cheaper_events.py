"""CPU per request of pieces issue #21 made cheaper, each against its baseline, in one
process.

- The precheck of a BatchExecuteStatement of 25 items: the validator's walk (the
  baseline, still what words the messages of a bad request) against the compiled yes or
  no (`shape_check.conforms`) that a conforming request now gets.
- Building the 25 items: moto's `Item` against ours (`SizedItem`).
- A client's PublishBatch of 10 events through botocore (the producer's request), with
  the network stubbed out: signed with SigV4, against a placeholder signature once the
  endpoint has said that it checks none (`core.signing`).
- Seventh pass: percent-decoding that PublishBatch's form body, the escape check then
  `urllib.parse.parse_qsl` (the baseline, the code before) against `wire.decoded_pairs`
  (the same check, then decoding in C); and telling the duplicate keys of a
  BatchExecuteStatement(25), each key as JSON text (the baseline, the code before)
  against `partiql._key_marker`.

- Eleventh pass: a Lambda mapping's batch of 10 records, from received messages to the
  invocation's request line: moto's `Message`, each record encoded twice (for the 6 MB
  bound, then in the request) against `StoredMessage` and records encoded once
  (`workers.EncodedJson`); a receipt handle issued and checked, HMAC-SHA256 (the code
  before) against keyed BLAKE2s; and GetQueueAttributes of the two counters `simulate`
  reads every second, moto's against ours.

- Thirteenth pass: decoding 50 events as a function does, email-validator checking each
  address's domain (the baseline) against its answers remembered per domain
  (`core.email_domains`); serialising the 50 items a function stores, boto3's
  `TypeSerializer` against `DynamoStore.attribute_value`; and writing a PublishBatch(10)
  answer, `xmltodict.unparse` against `localcloud.xml_body`.

- Fourteenth pass: the producer's PublishBatch(10) through its client, validated by
  botocore and its form body written by `urllib.parse.urlencode` (the baseline) against
  `Aws.publisher()` (validation left to SNS) with `core.form_encoding`.

Rounds alternate between baseline and ours, so the machine's drift falls on both alike;
it prints the median CPU (thread time) per request of each, and their ratio.

    .venv/bin/python bench/cheaper_events.py [--rounds 12]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import importlib
import json
import secrets
import statistics
import struct
import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from boto3.dynamodb.types import TypeSerializer
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto.core.utils import get_service_model
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.sqs.models import Message, SQSBackend, sqs_backends

from messaging.core import form_encoding
from messaging.core.events import decode, encode
from messaging.core.services import orders
from messaging.core.signing import SIGNATURES_HEADER, UNCHECKED
from messaging.localcloud import wire
from messaging.localcloud.awslambda.poller import sqs_record
from messaging.localcloud.awslambda.workers import EncodedJson, request_line
from messaging.localcloud.dynamodb.partiql import _key_marker
from messaging.localcloud.dynamodb.requests import SizedItem
from messaging.localcloud.shape_check import conforms
from messaging.localcloud.sqs.backend import install as sqs_install
from messaging.localcloud.sqs.message import StoredMessage
from messaging.localcloud.sqs.store import MessageStore
from messaging.localcloud.xml_body import XMLTODICT
from messaging.localcloud.xml_body import unparse as xml_unparse
from messaging.ops.aws import Aws, default_config
from messaging.ops.settings import Settings
from messaging.producer.fakes import ConsumerFactory
from messaging.store import UnitOfWork
from messaging.store.dynamodb import DynamoStore

ITEM = {
    "consumer_id": {"S": "6f1c2a4e-8f0b-4c1e-9d7a-2b5e8c9d0a1f"},
    "name": {"S": "Tracy Christensen"},
    "email": {"S": "tracy@example.com"},
    "phone": {"S": "+1-555-0100"},
    "address": {
        "M": {
            "street": {"S": "9685 Tasha Brook"},
            "city": {"S": "Territon"},
            "postal_code": {"S": "12345"},
            "state": {"S": "CA"},
            "country": {"S": "US"},
        }
    },
    "created_at": {"S": "2026-11-30T06:00:00+00:00"},
    "event_id": {"S": "0b7c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4"},
    "occurred_at": {"S": "2026-11-30T06:00:00+00:00"},
    "stored_at": {"S": "2026-11-30T06:00:01+00:00"},
}
KEY = DynamoType({"S": "k"})
BATCH = 25


def precheck() -> tuple[Callable[[], None], Callable[[], None]]:
    shape = get_service_model("dynamodb").operation_model("BatchExecuteStatement").input_shape
    document = {
        "Statements": [
            {"Statement": 'INSERT INTO "orders" VALUE {...}', "Parameters": list(ITEM.values())}
            for _ in range(BATCH)
        ]
    }

    def walk() -> None:
        wire._Validator().structure(shape, document, "")  # noqa: SLF001 - the baseline walk

    def compiled() -> None:
        conforms(shape, document)

    return walk, compiled


def items() -> tuple[Callable[[], None], Callable[[], None]]:
    def theirs() -> None:
        for _ in range(BATCH):
            Item(KEY, None, ITEM)

    def ours() -> None:
        for _ in range(BATCH):
            SizedItem(KEY, None, ITEM)

    return theirs, ours


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self.body


_PUBLISHED = (
    b"<PublishBatchResponse><PublishBatchResult><Successful>"
    + b"".join(
        b"<member><Id>%d</Id><MessageId>m%d</MessageId></member>" % (i, i) for i in range(10)
    )
    + b"</Successful><Failed/></PublishBatchResult></PublishBatchResponse>"
)


def publishing(unchecked: bool, producers: bool = False) -> Callable[[], None]:
    """A client's PublishBatch of 10 events; `producers`: the producer's client as it is
    (`Aws.publisher`: no parameter validation, `form_encoding`), else as it was before
    the fourteenth pass (validated, and its form body left to `urlencode`)."""
    settings = Settings(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    aws = Aws(settings, default_config(max_attempts=1), placeholder_credentials=("bench", "b"))

    def answer(request: Any, **_: Any) -> AWSResponse:
        headers = HTTPHeaders()
        if unchecked:
            headers[SIGNATURES_HEADER] = UNCHECKED
        return AWSResponse(request.url, 200, headers, _Raw(_PUBLISHED))

    handler: Any = answer
    aws.session.events.register("before-send", handler)
    sns = aws.publisher() if producers else aws.sns()
    if not producers:
        sns.meta.events.unregister("request-created.sns", form_encoding._encode_body)  # noqa: SLF001 - the baseline
    entries: Any = [
        {
            "Id": str(number),
            "Message": encode(event),
            "MessageAttributes": {
                "event_type": {"DataType": "String", "StringValue": "consumer.created"}
            },
        }
        for number, event in enumerate(ConsumerFactory(seed=1).events(10))
    ]
    topic = "arn:aws:sns:us-east-1:123456789012:created-consumer"

    def publish() -> None:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)

    publish()  # the first request is signed either way: the answer carries the header
    return publish


def publish_batch_body() -> bytes:
    """The form body of the producer's PublishBatch of 10 events, as botocore sends it."""
    values = {
        "Action": "PublishBatch",
        "Version": "2010-03-31",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:created-consumer",
    }
    for number, event in enumerate(ConsumerFactory(seed=1).events(10), start=1):
        entry = f"PublishBatchRequestEntries.member.{number}"
        values[f"{entry}.Id"] = str(number)
        values[f"{entry}.Message"] = encode(event)
        values[f"{entry}.MessageAttributes.entry.1.Name"] = "event_type"
        values[f"{entry}.MessageAttributes.entry.1.Value.DataType"] = "String"
        values[f"{entry}.MessageAttributes.entry.1.Value.StringValue"] = "consumer.created"
    return urlencode(values).encode("ascii")


def form_decoding() -> tuple[Callable[[], None], Callable[[], None]]:
    body = publish_batch_body()
    if wire.decoded_pairs(body) != parse_qsl(body.decode("ascii"), keep_blank_values=True):
        raise SystemExit("decoded_pairs and parse_qsl disagree on the body")

    def stdlib() -> None:  # the code before this pass: the same escape check, then parse_qsl
        wire._BAD_ESCAPE.search(body)  # noqa: SLF001 - the baseline's own first step
        parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")

    def ours() -> None:
        wire.decoded_pairs(body)

    return stdlib, ours


def duplicate_keys() -> tuple[Callable[[], None], Callable[[], None]]:
    table: Any = SimpleNamespace(name="orders", hash_key_attr="consumer_id", range_key_attr=None)
    batch = [{**ITEM, "consumer_id": {"S": f"consumer-{n}"}} for n in range(BATCH)]

    def as_json() -> None:  # the marker before this pass
        seen: set[str] = set()
        for item in batch:
            seen.add(json.dumps([table.name, item[table.hash_key_attr]], sort_keys=True))

    def ours() -> None:
        seen: set[Hashable] = set()
        for item in batch:
            seen.add(_key_marker(table, item))

    return as_json, ours


_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
_EVENT_TYPE = {"event_type": {"DataType": "String", "StringValue": "consumer.created"}}


def _received(kind: type[Message], bodies: list[str]) -> Iterator[list[Message]]:
    """Fresh batches of 10 messages, as a receive hands them over (digests not yet read)."""
    while True:
        batch = []
        for body in bodies:
            message = kind(str(uuid.uuid4()), body)
            message.message_attributes = _EVENT_TYPE
            message.receipt_handle = "handle"
            message.mark_sent()
            batch.append(message)
        yield batch


def records() -> tuple[Callable[[], None], Callable[[], None]]:
    bodies = [encode(event) for event in ConsumerFactory(seed=1).events(10)]
    theirs, ours = _received(Message, bodies), _received(StoredMessage, bodies)
    request = {"request_id": "r", "deadline_ms": 0, "invoked_function_arn": "arn"}

    def encoded_twice() -> None:  # the code before: each record sized, then all encoded
        batch = [sqs_record(m, _QUEUE_ARN, "us-east-1") for m in next(theirs)]
        sum(len(json.dumps(record)) for record in batch)
        json.dumps({**request, "event": {"Records": batch}}).encode() + b"\n"

    def encoded_once() -> None:
        batch = [sqs_record(m, _QUEUE_ARN, "us-east-1") for m in next(ours)]
        texts = [json.dumps(record) for record in batch]
        sum(map(len, texts))
        event = EncodedJson('{"Records": [' + ", ".join(texts) + "]}")
        request_line({**request, "event": event})

    return encoded_twice, encoded_once


def receipt_handles() -> tuple[Callable[[], None], Callable[[], None]]:
    store = MessageStore(time.monotonic, lambda: 345_600)
    key = secrets.token_bytes(32)
    layout = struct.Struct(">QI")

    def hmac_sha256() -> None:  # the code before: issue, then check, 16 bytes of MAC
        for seq in range(10):
            payload = layout.pack(seq, 1)
            mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
            handle = base64.urlsafe_b64encode(payload + mac).decode("ascii")
            raw = base64.b64decode(handle, altchars=b"-_", validate=True)
            expected = hmac.new(key, raw[:12], hashlib.sha256).digest()[:16]
            hmac.compare_digest(raw[12:], expected)

    def blake2s() -> None:
        for seq in range(10):
            store._decode(store._encode(seq, 1))  # noqa: SLF001 - the store's own pair

    return hmac_sha256, blake2s


def queue_counters() -> tuple[Callable[[], None], Callable[[], None]]:
    sqs_install()
    backend = sqs_backends["123456789012"]["us-east-1"]
    dlq = backend.create_queue("bench-dlq")
    policy = json.dumps({"deadLetterTargetArn": dlq.queue_arn, "maxReceiveCount": 5})
    backend.create_queue("bench-q", RedrivePolicy=policy)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    if backend.get_queue_attributes("bench-q", names) != SQSBackend.get_queue_attributes(
        backend, "bench-q", names
    ):
        raise SystemExit("GetQueueAttributes: ours and moto's disagree")

    def motos() -> None:
        SQSBackend.get_queue_attributes(backend, "bench-q", names)

    def ours() -> None:
        backend.get_queue_attributes("bench-q", names)

    return motos, ours


def event_decoding() -> tuple[Callable[[], None], Callable[[], None]]:
    bodies = [encode(event) for event in ConsumerFactory(seed=21).events(50)]
    module: Any = importlib.import_module("email_validator.validate_email")
    remembered = module.validate_email_domain_name
    checked_each_time = remembered.__wrapped__

    def each_time() -> None:
        module.validate_email_domain_name = checked_each_time
        try:
            for body in bodies:
                decode(body)
        finally:
            module.validate_email_domain_name = remembered

    def once_per_domain() -> None:
        for body in bodies:
            decode(body)

    return each_time, once_per_domain


def item_serialising() -> tuple[Callable[[], None], Callable[[], None]]:
    documents: list[dict[str, Any]] = []
    for event in ConsumerFactory(seed=21).events(50):
        unit = UnitOfWork()
        orders.handle(event, unit)  # the item the orders service stores
        documents.extend(unit.creates.values())
    boto3s, store = TypeSerializer(), DynamoStore(SimpleNamespace(), "orders")  # type: ignore[arg-type]

    def theirs() -> None:
        for document in documents:
            {name: boto3s.serialize(value) for name, value in document.items()}

    def ours() -> None:
        for document in documents:
            {name: store.attribute_value(value) for name, value in document.items()}

    return theirs, ours


def xml_answer() -> tuple[Callable[[], None], Callable[[], None]]:
    answer = {
        "PublishBatchResponse": {
            "@xmlns": "http://sns.amazonaws.com/doc/2010-03-31/",
            "PublishBatchResult": {
                "Successful": {
                    "member": [{"Id": str(i), "MessageId": str(uuid.uuid4())} for i in range(10)]
                },
                "Failed": {"member": []},
            },
            "ResponseMetadata": {"RequestId": str(uuid.uuid4())},
        }
    }
    options = {"full_document": False, "short_empty_elements": True, "pretty": False}
    if xml_unparse(answer, **options) != XMLTODICT.unparse(answer, **options):
        raise SystemExit("PublishBatch answer: ours and xmltodict's differ")

    def theirs() -> None:
        XMLTODICT.unparse(answer, **options)

    def ours() -> None:
        xml_unparse(answer, **options)

    return theirs, ours


def measure(
    label: str, baseline: Callable[[], None], ours: Callable[[], None], rounds: int
) -> None:
    per: dict[str, list[float]] = {"baseline": [], "ours": []}
    for number in range(rounds):
        order = [("baseline", baseline), ("ours", ours)]
        for side, run in order if number % 2 == 0 else reversed(order):
            started = time.thread_time()
            for _ in range(50):
                run()
            per[side].append((time.thread_time() - started) / 50 * 1000)
    base, own = statistics.median(per["baseline"]), statistics.median(per["ours"])
    print(f"{label:<48} {base:7.3f} ms -> {own:7.3f} ms  ({own / base:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    rounds = parser.parse_args().rounds
    print("CPU per request, median of rounds: baseline -> ours (ratio)")
    measure("precheck of BatchExecuteStatement(25)", *precheck(), rounds)
    measure("building its 25 items (moto's Item -> SizedItem)", *items(), rounds)
    measure(
        "client PublishBatch(10): signed -> placeholder",
        publishing(unchecked=False),
        publishing(unchecked=True),
        rounds,
    )
    measure(
        "client PublishBatch(10): validated, urlencode -> publisher()",
        publishing(unchecked=True),
        publishing(unchecked=True, producers=True),
        rounds,
    )
    measure("decoding a PublishBatch(10) form body", *form_decoding(), rounds)
    measure("duplicate keys of BatchExecuteStatement(25)", *duplicate_keys(), rounds)
    measure("a mapping's 10 records, received to request line", *records(), rounds)
    measure("a receipt handle issued and checked (x10)", *receipt_handles(), rounds)
    measure("GetQueueAttributes, two counters (backend)", *queue_counters(), rounds)
    measure("decoding 50 events (email domains remembered)", *event_decoding(), rounds)
    measure("serialising 50 stored items (TypeSerializer)", *item_serialising(), rounds)
    measure("writing a PublishBatch(10) answer (xmltodict)", *xml_answer(), rounds)


if __name__ == "__main__":
    main()
