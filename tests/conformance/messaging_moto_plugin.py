"""pytest plugin that runs moto's own tests with the local cloud's plug-ins installed.

Given to pytest as `-p messaging_moto_plugin` (the harness puts this folder on
`PYTHONPATH` under that name: moto's tests are the package `tests`, like ours, so this
module cannot be imported through our package). Installing at configure time puts the
plug-ins in place in every xdist worker before moto's first backend is built.
"""

from __future__ import annotations

import pytest

import messaging.localcloud

__all__ = ["pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Install every plug-in, exactly as `messaging up` does."""
    del config
    messaging.localcloud.install()
