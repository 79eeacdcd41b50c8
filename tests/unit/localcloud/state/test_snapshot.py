"""A snapshot brings every service's state back, shared objects still shared."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from moto.core.base_backend import BackendDict
from moto.dynamodb.models import dynamodb_backends
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from messaging.localcloud.firehose.backend import installed_backend
from messaging.localcloud.sqs.backend import FastQueue
from messaging.localcloud.state import snapshot
from messaging.localcloud.state.snapshot import StateError
from tests.support import FakeClock
from tests.support.moto_state import ACCOUNT, REGION, make_stream, make_table, objects


def sqs() -> Any:
    return sqs_backends[ACCOUNT][REGION]


def build_state(clock: FakeClock) -> dict[str, Any]:
    """A little of everything the system uses; returns what to look for afterwards."""
    dlq = sqs().create_queue("orders-dlq")
    policy = json.dumps({"deadLetterTargetArn": dlq.queue_arn, "maxReceiveCount": 2})
    sqs().create_queue("orders", RedrivePolicy=policy)
    for n in range(3):
        sqs().send_message("orders", f"m{n}")
    [first] = sqs().receive_message("orders", 1, 0, 300)  # in flight, receive count 1
    topic = sns_backends[ACCOUNT][REGION].create_topic("created-consumer")
    sns_backends[ACCOUNT][REGION].subscribe(topic.arn, dlq.queue_arn, "sqs")
    table = dynamodb_backends[ACCOUNT][REGION]
    make_table("orders-consumers")
    for n in range(5):
        table.put_item("orders-consumers", {"pk": {"S": f"c{n}"}, "n": {"N": str(n)}})
    firehose = make_stream(interval=60)
    firehose.put_record_batch("lake-stream", [{"Data": b"buffered\n"}])
    s3_backends[ACCOUNT]["aws"].put_object("lake", "earlier", b"delivered")
    key = kms_backends[ACCOUNT][REGION].create_key(
        policy="", key_usage="ENCRYPT_DECRYPT", key_spec="RSA_2048", description="", tags=None
    )
    return {"handle": first.receipt_handle, "key_id": key.id}


def test_restore_brings_back_every_service(clock: FakeClock) -> None:
    expected = build_state(clock)
    data = snapshot.capture("instance-1")
    BackendDict.reset()

    assert snapshot.restore(data) == "instance-1"
    orders = sqs().get_queue("orders")
    assert isinstance(orders, FastQueue)
    assert orders.dead_letter_queue is sqs().get_queue("orders-dlq")  # one object, still
    assert orders.store.counts() == (2, 1, 0)
    sqs().delete_message("orders", expected["handle"])  # a handle from before is valid
    assert orders.store.counts() == (2, 0, 0)
    received = sqs().receive_message("orders", 10, 0, 0)
    assert sorted(m.body for m in received) == ["m1", "m2"]
    sns = sns_backends[ACCOUNT][REGION]
    topic = sns.topics[f"arn:aws:sns:{REGION}:{ACCOUNT}:created-consumer"]
    assert [s.endpoint for s in sns._get_topic_subscriptions(topic)] == [
        sqs().get_queue("orders-dlq").queue_arn
    ]
    items = dynamodb_backends[ACCOUNT][REGION].get_table("orders-consumers").all_items()
    assert sorted(item.attrs["pk"].value for item in items) == [f"c{n}" for n in range(5)]
    assert objects() == {"earlier": b"delivered"}
    firehose = installed_backend(ACCOUNT, REGION)
    assert firehose.buffered_records("lake-stream") == 1
    firehose.flush_all()
    assert sorted(objects().values()) == [b"buffered\n", b"delivered"]
    key = kms_backends[ACCOUNT][REGION].describe_key(expected["key_id"])
    assert key.private_key is not None  # an RSA key, through DER


def test_a_different_moto_or_garbage_is_refused() -> None:
    sqs().create_queue("q")
    state = pickle.loads(snapshot.capture("i"))  # noqa: S301 - our own bytes
    state["moto"] = "0.0.1"
    with pytest.raises(StateError, match=r"written with moto 0\.0\.1"):
        snapshot.restore(pickle.dumps(state))
    with pytest.raises(StateError, match="unreadable"):
        snapshot.restore(b"not a pickle")
    with pytest.raises(StateError, match="unknown format"):
        snapshot.restore(pickle.dumps({"format": 99}))


def test_what_cannot_be_saved_fails_loudly(clock: FakeClock) -> None:
    queue = sqs().create_queue("q")
    queue.unpicklable = lambda: None
    with pytest.raises(StateError, match="cannot save"):
        snapshot.capture("i")
