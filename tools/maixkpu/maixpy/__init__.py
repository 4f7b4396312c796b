"""MaixPy's ``image``, ``sensor``, ``lcd`` (and, when present, ``KPU``) modules on CPython.

``install()`` registers them under their MaixPy names so unmodified scripts can
``import sensor, image, lcd`` and ``import KPU as kpu``.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

_MODULES = {"image": "image", "sensor": "sensor", "lcd": "lcd", "KPU": "kpu"}


def install() -> dict[str, ModuleType]:
    """Put the emulated modules into ``sys.modules`` under MaixPy's names; returns them."""
    installed: dict[str, ModuleType] = {}
    for public, private in _MODULES.items():
        try:
            module = importlib.import_module(f"{__name__}.{private}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{private}":
                raise
            continue  # KPU may not be written yet
        sys.modules[public] = module
        installed[public] = module
    return installed
