"""Processes for the chaos suite: a faulty `messaging up`, and CLI subprocesses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.processes import Cloud, start_cloud


@pytest.fixture
def cloud_factory() -> Iterator[Any]:
    started: list[Cloud] = []

    def start(*args: str) -> Cloud:
        cloud = start_cloud(*args)
        started.append(cloud)
        return cloud

    yield start
    for cloud in started:
        if cloud.running.process.poll() is None:
            cloud.running.process.kill()
            cloud.running.process.wait(timeout=30)
