"""FastSQSBackend behind moto's HTTP server, driven by boto3 as a service would drive it."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.sqs.models import Queue, sqs_backends

from messaging.localcloud.sqs.backend import FastQueue, install

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.integration

REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def sqs(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> SQSClient:
    # Placeholders: moto ignores signatures, but botocore will not sign without credentials.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)


def new_queue(sqs: SQSClient, **attributes: str) -> str:
    typed: Any = attributes  # the stubs want literal attribute names
    return sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:12]}", Attributes=typed)["QueueUrl"]


def server_queue(url: str) -> Queue:
    return sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(url.rsplit("/", 1)[-1])


def counts(sqs: SQSClient, url: str) -> tuple[int, int, int]:
    names: Any = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return (int(attributes[names[0]]), int(attributes[names[1]]), int(attributes[names[2]]))


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def aws_attribute_md5(attributes: dict[str, dict[str, Any]]) -> str:
    """MD5OfMessageAttributes as AWS documents it, independent of moto."""

    def field(data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + data

    digest = hashlib.md5()  # noqa: S324 - the protocol's checksum, not security
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(field(name.encode()) + field(value["DataType"].encode()))
        if "StringValue" in value:
            digest.update(b"\x01" + field(value["StringValue"].encode()))
        else:
            digest.update(b"\x02" + field(value["BinaryValue"]))
    return digest.hexdigest()


def test_standard_queues_are_fast_and_fifo_queues_are_moto(sqs: SQSClient) -> None:
    standard = new_queue(sqs)
    fifo = sqs.create_queue(
        QueueName=f"f-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    assert isinstance(server_queue(standard), FastQueue)
    assert type(server_queue(fifo)) is Queue
    sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="1")
    sqs.send_message(QueueUrl=fifo, MessageBody="b", MessageGroupId="g", MessageDeduplicationId="2")
    first = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["a", "b"]


def test_send_receive_delete_with_attributes_and_md5s(sqs: SQSClient) -> None:
    url = new_queue(sqs)
    attributes: dict[str, Any] = {
        "kind": {"DataType": "String", "StringValue": "order.created"},
        "size": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    }
    body = json.dumps({"id": 7, "name": "café"})
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()  # noqa: S324
    assert sent["MD5OfMessageAttributes"] == aws_attribute_md5(attributes)

    (message,) = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == body
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert int(message["Attributes"]["ApproximateFirstReceiveTimestamp"]) >= int(
        message["Attributes"]["SentTimestamp"]
    )
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # idempotent
    assert counts(sqs, url) == (0, 0, 0)


def test_message_attribute_names_filter_the_receive(sqs: SQSClient) -> None:
    url = new_queue(sqs)
    attributes: dict[str, Any] = {
        "Custom.a": {"DataType": "String", "StringValue": "1"},
        "other": {"DataType": "String", "StringValue": "2"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageAttributes=attributes)
    (message,) = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["Custom.*"], VisibilityTimeout=0
    )["Messages"]
    assert message["MessageAttributes"] == {"Custom.a": attributes["Custom.a"]}
    assert message["MD5OfMessageAttributes"] == aws_attribute_md5(
        {"Custom.a": attributes["Custom.a"]}
    )
    (plain,) = sqs.receive_message(QueueUrl=url)["Messages"]
    assert "MessageAttributes" not in plain


def test_visibility_timeout_hides_then_long_poll_gets_it_back(sqs: SQSClient) -> None:
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
    received_at = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert counts(sqs, url) == (0, 1, 0)
    again = sqs.receive_message(
        QueueUrl=url, WaitTimeSeconds=10, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert time.monotonic() - received_at < 3  # woke at the expiry, not the 10 s deadline
    assert again[0]["MessageId"] == first[0]["MessageId"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]


def test_long_poll_wakes_when_a_message_is_sent(sqs: SQSClient) -> None:
    url = new_queue(sqs)
    result: dict[str, Any] = {}
    done = threading.Event()

    def poll() -> None:
        result.update(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
        done.set()

    threading.Thread(target=poll, daemon=True).start()
    cond = server_queue(url)._messages_lock
    pause = threading.Event()
    for _ in range(10_000):  # sync point: the request is parked in the queue's condition
        if cond._waiters:  # type: ignore[attr-defined]
            break
        pause.wait(0.001)
    else:
        pytest.fail("long poll never reached the server")
    sqs.send_message(QueueUrl=url, MessageBody="ping")
    assert done.wait(5)
    assert [m["Body"] for m in result["Messages"]] == ["ping"]


def test_change_visibility_and_receipt_handle_rules(sqs: SQSClient) -> None:
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    (first,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
    )
    (second,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
    assert second["MessageId"] == first["MessageId"]

    # An older handle of a message still in the queue is accepted, as AWS does (moto's
    # test_change_message_visibility_on_old_message, checked against AWS).
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=10
    )
    with pytest.raises(ClientError) as bogus:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt-handle")
    assert error_code(bogus) == "ReceiptHandleIsInvalid"

    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])  # stale: deletes
    assert counts(sqs, url) == (0, 0, 0)
    with pytest.raises(ClientError) as gone:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=10
        )
    assert error_code(gone) == "InvalidParameterValue"


def test_batches_report_per_entry(sqs: SQSClient) -> None:
    url = new_queue(sqs)
    entries: Any = [{"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(9)]
    entries.append({"Id": "late", "MessageBody": "late", "DelaySeconds": 900})
    sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert len(sent["Successful"]) == 10
    assert counts(sqs, url) == (9, 0, 1)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 9
    changes: Any = [
        {"Id": "ok", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "bad", "ReceiptHandle": "bad", "VisibilityTimeout": 0},
    ]
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=changes)
    assert [e["Id"] for e in changed["Successful"]] == ["ok"]
    assert [(e["Id"], e["Code"]) for e in changed["Failed"]] == [("bad", "ReceiptHandleIsInvalid")]
    assert counts(sqs, url) == (1, 8, 1)
    deletes: Any = [
        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
    ]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=deletes)
    assert len(deleted["Successful"]) == 9
    assert counts(sqs, url) == (0, 0, 1)
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)


def test_redrive_to_dlq_over_http(sqs: SQSClient) -> None:
    dlq = new_queue(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    source = new_queue(sqs, RedrivePolicy=policy)
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    for expected in ("1", "2"):  # VisibilityTimeout=0: each timeout ends at once
        (message,) = sqs.receive_message(
            QueueUrl=source, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
        )["Messages"]
        assert message["Attributes"]["ApproximateReceiveCount"] == expected
    assert "Messages" not in sqs.receive_message(QueueUrl=source)  # moved, not returned
    assert counts(sqs, source) == (0, 0, 0)
    (dead,) = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert (dead["MessageId"], dead["Body"]) == (sent["MessageId"], "poison")
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
    assert sources == [source]
