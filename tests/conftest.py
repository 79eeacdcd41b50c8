"""Fixtures shared by the integration and e2e suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from messaging.localcloud.server import LocalCloud
from messaging.ops.hosting import ArtifactSource, default_wheelhouse


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    """One local cloud on 127.0.0.1 (free port) per test session."""
    with LocalCloud(port=0) as running:
        yield running


@pytest.fixture(scope="session")
def artifacts() -> ArtifactSource:
    """Function artifacts built offline, from the wheelhouse `make` fills. Installed
    dependencies and zips are cached as for a user (`~/.cache/messaging/lambda`), keyed by
    everything they are made of, so a run after the first rebuilds nothing unchanged."""
    wheelhouse = default_wheelhouse()
    if wheelhouse is None:
        pytest.fail(
            "no wheelhouse for the function artifact: run `make .venv/lambda-wheels/.fetched`"
        )
    return ArtifactSource(wheelhouse)
