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
def artifacts(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> ArtifactSource:
    """Function artifacts built offline, from the wheelhouse `make` fills, with one cache
    of installed dependencies for the whole session (xdist workers share it)."""
    wheelhouse = default_wheelhouse()
    if wheelhouse is None:
        pytest.fail(
            "no wheelhouse for the function artifact: run `make .venv/lambda-wheels/.fetched`"
        )
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each xdist worker has a directory under the session's
        root = root.parent
    return ArtifactSource(wheelhouse, root / "lambda-dependencies")
