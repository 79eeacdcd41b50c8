"""Small helpers for extending moto through its own seams (moto 5.2.x).

Kept in one place so each plug-in states *what* it changes, not how moto is wired.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from moto.core.base_backend import backend_lock

__all__ = ["moto_urls", "use_backend"]


def moto_urls(service: str) -> Any:
    """A `_url_module` property pointing at moto's own `moto.<service>.urls`.

    moto derives a backend's URL module from the class's module path; a subclass
    defined in our package would otherwise look for `messaging.localcloud.urls`.
    """

    def _url_module(self: object) -> ModuleType:
        return importlib.import_module(f"moto.{service}.urls")

    return property(_url_module)


def use_backend(backends: Any, backend_class: type) -> None:
    """Make one of moto's `BackendDict`s build `backend_class` (idempotent).

    The class is swapped on the existing object, never by rebinding the module-level
    name: moto's `responses.py` imported that object. Backends already built with the
    previous class are dropped, so a swap after first use starts from empty state.
    """
    with backend_lock:
        if backends.backend is not backend_class:
            backends.backend = backend_class
            backends.clear()
