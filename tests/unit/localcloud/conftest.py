from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from moto.core.base_backend import BackendDict
from moto.dynamodb.models import dynamodb_backends

from messaging.localcloud import install
from messaging.localcloud.dynamodb.transactions import LocalDynamoDBBackend
from messaging.localcloud.firehose import backend as firehose
from tests.support import FakeClock
from tests.support.moto_state import ACCOUNT, REGION, make_table


@pytest.fixture(autouse=True)
def moto_state() -> Iterator[None]:
    """Plug-ins installed, and moto's in-memory state wiped after every test."""
    install()
    yield
    BackendDict.reset()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(datetime(2026, 11, 28, 7, 30, 15, tzinfo=UTC).timestamp())
    monkeypatch.setattr(firehose.timing, "clock", fake)
    return fake


@pytest.fixture
def dynamodb() -> LocalDynamoDBBackend:
    """Our DynamoDB backend, holding table "t" keyed by the string `pk`."""
    ddb = dynamodb_backends[ACCOUNT][REGION]
    assert isinstance(ddb, LocalDynamoDBBackend)
    make_table("t")
    return ddb
