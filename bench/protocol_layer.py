"""CPU of the two hot requests through the local cloud's app: moto's protocol layer and ours.

Issue #21: the local cloud's process bounds the end-to-end rate, and most of a request's
CPU there is protocol work around the action. This replays the two requests the main job
sends most, as botocore sends them, through the local cloud's WSGI app in-process (the
precheck, moto's dispatch, the action, the serialiser; no sockets):

- BatchExecuteStatement of 25 INSERTs of an orders item (each a new key);
- SNS PublishBatch of 10 events, fanned out to two queues.

It alternates two settings in the same process, round by round, so that the machine's
drift falls on both alike:

- moto: moto's JSON parser (`json_parser` off), its value picker (`value_picker` off),
  xmltodict writing XML answers (`xml_body` off), its serialiser writing every
  BatchExecuteStatement answer (`dynamodb.statement_answers` off), its locked backend
  lookup and uncached dispatch (`request_path` off), and werkzeug decoding a form body
  again (moto's request class);
- ours: all six installed, as `messaging up` runs.

and prints the median CPU (thread time) per request of each, and their ratio.

    .venv/bin/python bench/protocol_layer.py [--rounds 16] [--per-round 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto.moto_server.werkzeug_app import BackendRequest
from werkzeug.test import Client

from messaging.localcloud import json_parser, request_path, value_picker, xml_body
from messaging.localcloud.dynamodb import statement_answers
from messaging.localcloud.form_body import DecodedOnceRequest
from messaging.localcloud.server import LocalCloud

Captured = tuple[str, str, dict[str, Any], bytes]
ITEM_NAMES = ("name", "email", "phone", "address", "created_at", "event_id", "occurred_at")
STATEMENT = (
    "INSERT INTO \"orders\" VALUE {'consumer_id': ?, "
    + ", ".join(f"'{name}': ?" for name in ITEM_NAMES)
    + ", 'stored_at': ?}"
)
MESSAGE = (
    '{"event_id": "6f1c2a4e-8f0b-4c1e-9d7a-2b5e8c9d0a1f", "event_type": "consumer.created", '
    '"occurred_at": "2026-11-30T06:00:00+00:00", "data": {"consumer_id": "c-1", "name": '
    '"Tracy Christensen", "email": "tracy@example.com", "address": {"street": "9685 Tasha '
    'Brook", "city": "Territon", "postcode": "12345", "country": "US"}}}'
)


class _Answer:
    """An empty answer that botocore parses, so that each request is sent (and kept) once."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def capturing_client(service: str, captured: list[Captured], empty: bytes) -> Any:
    """A client whose requests are recorded as sent, and never reach a server."""

    def record(request: Any, **_: Any) -> AWSResponse:
        captured.append((request.method, request.url, dict(request.headers), request.body))
        return AWSResponse(request.url, 200, HTTPHeaders(), _Answer(empty))

    session = boto3.Session(
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - a placeholder; nothing leaves the process
    )
    client: Any = session.client(service, endpoint_url="http://127.0.0.1:4566")  # type: ignore[call-overload]
    client.meta.events.register("before-send", record)
    return client


def parameters(key: str) -> list[dict[str, Any]]:
    address = {"street": "9685 Tasha Brook", "city": "Territon", "postcode": "12345"}
    return [
        {"S": key},
        {"S": "Tracy Christensen"},
        {"S": "tracy@example.com"},
        {"S": "+1-555-0100"},
        {"M": {name: {"S": value} for name, value in address.items()}},
        {"S": "2026-11-30T06:00:00+00:00"},
        {"S": "6f1c2a4e-8f0b-4c1e-9d7a-2b5e8c9d0a1f"},
        {"S": "2026-11-30T06:00:00+00:00"},
        {"S": "2026-11-30T06:00:01+00:00"},
    ]


def setup(cloud: LocalCloud) -> str:
    """The table, and a topic fanned out to two queues; returns the topic's ARN."""
    session = boto3.Session(
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - a placeholder for the local cloud
    )
    endpoint = cloud.endpoint_url
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "consumer_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "consumer_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sns = session.client("sns", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    topic = str(sns.create_topic(Name="created-consumer")["TopicArn"])
    for name in ("orders", "payments"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
    return topic


def requests(topic: str, count: int) -> tuple[list[Captured], list[Captured]]:
    inserts: list[Captured] = []
    publishes: list[Captured] = []
    dynamodb = capturing_client("dynamodb", inserts, b"{}")
    sns = capturing_client(
        "sns", publishes, b"<PublishBatchResponse><PublishBatchResult/></PublishBatchResponse>"
    )
    attributes = {"event_type": {"DataType": "String", "StringValue": "consumer.created"}}
    for n in range(count):
        dynamodb.batch_execute_statement(
            Statements=[
                {"Statement": STATEMENT, "Parameters": parameters(f"c-{n}-{i}")} for i in range(25)
            ]
        )
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": str(i), "Message": MESSAGE, "MessageAttributes": attributes}
                for i in range(10)
            ],
        )
    return inserts, publishes


def sender(app: Any) -> Callable[[Captured], None]:
    """Sends a captured request through `app` in-process; anything but a 200 is an error."""
    client = Client(app)

    def send(request: Captured) -> None:
        method, _url, headers, body = request
        sent = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
        answer = client.open("/", method=method, headers=sent, data=body)
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code}: {answer.get_data()[:300]!r}")

    return send


def dispatcher_apps(app: Any) -> Any:
    """moto's Flask apps, one per service, behind the local cloud's layers."""
    layer = app
    while not hasattr(layer, "app_instances"):
        layer = layer.app
    return layer.app_instances.values()


def settle(app: Any, ours: bool) -> None:
    for module in (json_parser, value_picker, request_path, xml_body, statement_answers):
        module.install() if ours else module.uninstall()
    for flask_app in dispatcher_apps(app):
        flask_app.request_class = DecodedOnceRequest if ours else BackendRequest


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=16)
    options.add_argument("--per-round", type=int, default=20)
    args = options.parse_args()
    cloud = LocalCloud(port=0).start()
    try:
        topic = setup(cloud)
        inserts, publishes = requests(topic, 2 * args.rounds * args.per_round)
        app = cloud._application()  # noqa: SLF001 - the app, without sockets
        send = sender(app)

        for warm in (inserts[:2], publishes[:2]):  # the apps are built on first use
            for request in warm:
                send(request)
        cpu: dict[tuple[str, bool], list[float]] = {}
        taken = 2
        for number in range(args.rounds):
            for ours in (False, True) if number % 2 else (True, False):
                settle(app, ours)
                for kind, replay in (("insert", inserts), ("publish", publishes)):
                    batch = replay[taken : taken + args.per_round]
                    started = time.thread_time()
                    for request in batch:
                        send(request)
                    per_request = (time.thread_time() - started) / len(batch) * 1000
                    cpu.setdefault((kind, ours), []).append(per_request)
                taken += args.per_round
        settle(app, ours=True)
        report(cpu, args.rounds)
    finally:
        cloud.stop()


def report(cpu: dict[tuple[str, bool], list[float]], rounds: int) -> None:
    median: Callable[[str, bool], float] = lambda kind, ours: statistics.median(cpu[kind, ours])  # noqa: E731
    print(f"CPU per request in-process, median of {rounds} alternating rounds each")
    print(f"  {'request':<34} {'moto':>9} {'ours':>9} {'ours/moto':>10}")
    for kind, label in (
        ("insert", "BatchExecuteStatement (25 items)"),
        ("publish", "PublishBatch (10, two queues)"),
    ):
        moto, ours = median(kind, False), median(kind, True)
        print(f"  {label:<34} {moto:7.2f} ms {ours:7.2f} ms {ours / moto:10.2f}")


if __name__ == "__main__":
    main()
