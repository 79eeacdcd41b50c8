from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from moto.core.base_backend import BackendDict

from messaging.localcloud import firehose, install
from tests.support import FakeClock

ACCOUNT = "123456789012"
REGION = "us-east-1"


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
