"""MaixPy-style argument parsing shared by the ``image`` methods (spec 2.8, 6)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NOT_ENOUGH = "Not enough positional arguments!"


def take_ints(args: Sequence[Any], count: int) -> tuple[list[int], list[Any]]:
    """Split ``(a, b, ...)`` or ``((a, b, ...), ...)`` into ``count`` ints and the rest."""
    if args and isinstance(args[0], (tuple, list)):
        values = list(args[0])
        if len(values) < count:
            raise OSError(NOT_ENOUGH)
        return [int(v) for v in values[:count]], list(args[1:])
    if len(args) < count:
        raise OSError(NOT_ENOUGH)
    return [int(v) for v in args[:count]], list(args[count:])


def option(rest: list[Any], kwargs: dict[str, Any], index: int, name: str, default: Any) -> Any:
    """An argument that may follow the coordinates positionally or be given by keyword."""
    if name in kwargs:
        return kwargs[name]
    if index < len(rest):
        return rest[index]
    return default


def clip_roi(roi: Sequence[int] | None, width: int, height: int) -> tuple[int, int, int, int]:
    """Default to the whole image, check and intersect a ROI as MaixPy's rectangle helper does."""
    if roi is None:
        return 0, 0, width, height
    values = [int(v) for v in roi]
    if len(values) != 4:
        raise ValueError(f"requested length 4 but object has length {len(values)}")
    x, y, w, h = values
    if w < 1 or h < 1:
        raise OSError("Invalid ROI dimensions!")
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    if x1 <= x0 or y1 <= y0:
        raise OSError("ROI does not overlap on the image!")
    return x0, y0, x1 - x0, y1 - y0
