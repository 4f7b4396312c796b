"""KPU RAM feature-map layout (spec section 5) and KPU pooling geometry (spec 4.5)."""
from __future__ import annotations

from dataclasses import dataclass

KPU_RAM_LINES = 32768
LINE_BYTES = 64
MAX_CHANNELS = 1024
MAX_WIDTH = 960  # row_switch_addr has 4 bits: at most 15 lines per row
MAX_HEIGHT = 512

# pool_type -> stride (the window is 2x2 or 4x4; output size = input size // stride).
POOL_STRIDE = {0: 1, 1: 2, 2: 2, 3: 4, 4: 4, 5: 2, 6: 2, 7: 4, 8: 1, 9: 1}


@dataclass(frozen=True)
class RowLayout:
    """How a map of a given width sits in KPU RAM."""

    groups: int  # channels sharing one line group (coef_group / wb_group)
    row_len: int  # lines per row (row_switch_addr)
    row_pitch: int  # bytes between channels sharing a line


def row_layout(width: int) -> RowLayout:
    if width <= 0:
        raise ValueError("width must be positive")
    if width <= 16:
        return RowLayout(4, 1, 16)
    if width <= 32:
        return RowLayout(2, 1, 32)
    return RowLayout(1, (width + 63) // 64, 64)


def map_lines(width: int, height: int, channels: int) -> int:
    """KPU RAM lines a width x height x channels map occupies."""
    lay = row_layout(width)
    groups = min(channels, lay.groups)
    return lay.row_len * height * -(-channels // groups)


def pooled_size(width: int, height: int, pool_type: int) -> tuple[int, int]:
    if pool_type not in POOL_STRIDE:
        raise ValueError(f"pool_type {pool_type} is not 0..9")
    s = POOL_STRIDE[pool_type]
    return width // s, height // s
