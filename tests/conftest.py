"""Fixtures shared by the integration and e2e suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from messaging.localcloud.server import LocalCloud


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    """One local cloud on 127.0.0.1 (free port) per test session."""
    with LocalCloud(port=0) as running:
        yield running
