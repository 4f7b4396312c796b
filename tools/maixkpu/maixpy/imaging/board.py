"""Binding the ``image`` module to one virtual Maix board (``maixkpu.vboard``).

A board gets its own ``Image`` subclass whose file paths (``/sd/x.bmp``) go through the board's
file system; nothing global changes, so host code in the same process keeps host paths.
"""
from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

_classes: dict[int, tuple[weakref.ref[Any], type]] = {}


def image_class(ctx: Any, base: type[T]) -> type[T]:
    """The ``Image`` class of the board ``ctx`` (made once per board)."""
    entry = _classes.get(id(ctx))
    if entry is not None and entry[0]() is ctx:
        return entry[1]
    fs = ctx.fs

    def resolve(path: str) -> str:
        return str(fs.host_path(path))

    cls = type("Image", (base,), {"path_resolver": staticmethod(resolve), "__module__": "image"})
    _classes[id(ctx)] = (weakref.ref(ctx), cls)
    return cls


def image_module(ctx: Any, base: type, doc: str) -> ModuleType:
    """A fresh ``image`` module for the board ``ctx``."""
    module = ModuleType("image", doc)
    module.Image = image_class(ctx, base)  # type: ignore[attr-defined]
    return module
