"""Small helpers for extending moto through its own seams (moto 5.2.x).

Kept in one place so each plug-in states *what* it changes, not how moto is wired.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["moto_urls"]


def moto_urls(service: str) -> Any:
    """A `_url_module` property pointing at moto's own `moto.<service>.urls`.

    moto derives a backend's URL module from the class's module path; a subclass
    defined in our package would otherwise look for `messaging.localcloud.urls`.
    """

    def _url_module(self: object) -> ModuleType:
        return importlib.import_module(f"moto.{service}.urls")

    return property(_url_module)
