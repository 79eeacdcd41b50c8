"""A `FastSQSBackend` of its own per test, on an injected clock."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from moto.sqs.models import sqs_backends

from messaging.localcloud.sqs.backend import FastSQSBackend, install
from tests.support import FakeClock

REGION = "us-east-1"
T0 = 1_700_000_000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def backend(clock: FakeClock) -> Iterator[FastSQSBackend]:
    install()
    account = f"{secrets.randbelow(10**12):012d}"  # a fresh account isolates each test
    built = sqs_backends[account][REGION]
    assert isinstance(built, FastSQSBackend)
    built.clock = clock
    yield built
    built.stop_move_tasks()
    sqs_backends.pop(account, None)
