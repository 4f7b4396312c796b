"""MaixPy's pixel model: raw byte-swapped RGB565 words, the 5/6<->8-bit tables, the RGB565->gray
table (full and minimum firmware) and colour-argument parsing (image-subset spec section 1).

A "raw word" ``q`` is the little-endian uint16 read from image memory; MaixPy keeps RGB565
big-endian in memory, so ``q`` is the byte swap of the standard RGB565 value ``s``.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Union

import numpy as np

ColorArg = Union[int, Sequence[int], None]

BPP_BINARY = 0
BPP_GRAYSCALE = 1
BPP_RGB565 = 2
BPP_BAYER = 3

_I5 = np.arange(32, dtype=np.int32)
_I6 = np.arange(64, dtype=np.int32)
_V8 = np.arange(256, dtype=np.int32)

# Expansion rounds (it is not bit replication); compression rounds too (spec 1.3).
RB528 = ((255 * _I5 + 15) // 31).astype(np.uint8)
G628 = ((255 * _I6 + 31) // 63).astype(np.uint8)
RB825 = ((31 * _V8 + 127) // 255).astype(np.uint8)
G826 = ((63 * _V8 + 127) // 255).astype(np.uint8)

FIRMWARES = ("full", "minimum")
_firmware = os.environ.get("MAIXKPU_FIRMWARE", "full")
if _firmware not in FIRMWARES:
    _firmware = "full"


def set_firmware(flavour: str) -> None:
    """Choose the emulated firmware: ``full`` (exact Y table, ``invert``) or ``minimum``."""
    global _firmware
    if flavour not in FIRMWARES:
        raise ValueError(f"firmware must be one of {FIRMWARES}, not {flavour!r}")
    _firmware = flavour


def firmware() -> str:
    """The emulated firmware flavour (env ``MAIXKPU_FIRMWARE`` sets the start value)."""
    return _firmware


def split_raw(q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw words -> (R5, G6, B5) as int32 arrays."""
    q = q.astype(np.int32)
    return (q >> 3) & 31, ((q & 7) << 3) | ((q >> 13) & 7), (q >> 8) & 31


def compose_raw(r5: np.ndarray, g6: np.ndarray, b5: np.ndarray) -> np.ndarray:
    """(R5, G6, B5) -> raw words, kept to 16 bits with no clamping (overflow spills, as in C)."""
    r5 = np.asarray(r5, dtype=np.int32)
    g6 = np.asarray(g6, dtype=np.int32)
    b5 = np.asarray(b5, dtype=np.int32)
    return ((r5 << 3) | (g6 >> 3) | ((g6 & 7) << 13) | (b5 << 8)).astype(np.uint32).astype(
        np.uint16
    )


def raw_to_rgb888(q: np.ndarray) -> np.ndarray:
    """Raw words (any shape) -> uint8 array of shape (..., 3) via rb528/g628."""
    r5, g6, b5 = split_raw(q)
    return np.stack([RB528[r5], G628[g6], RB528[b5]], axis=-1)


def rgb888_to_raw(rgb: np.ndarray) -> np.ndarray:
    """uint8 (..., 3) RGB888 -> raw words, rounded with rb825/g826 (BMP-24, tuples, ai_to_pix)."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    return compose_raw(RB825[rgb[..., 0]], G826[rgb[..., 1]], RB825[rgb[..., 2]])


def raw_to_standard(q: np.ndarray) -> np.ndarray:
    """Raw words -> standard RGB565 ``s`` (the byte swap)."""
    q = np.asarray(q, dtype=np.uint16)
    return ((q >> 8) | (q << 8)).astype(np.uint16)


def _gray_table_full() -> np.ndarray:
    q = np.arange(65536, dtype=np.uint32)
    r5, g6, b5 = split_raw(q)
    # The stored table came from a double-precision generator that truncates (spec 1.4).
    y = 0.299 * RB528[r5].astype(np.float64) + 0.587 * G628[g6] + 0.114 * RB528[b5]
    return np.floor(y).astype(np.uint8)


GRAY_FULL = _gray_table_full()
_ADD_Y = np.array([0, 2, 5, 7, 9, 12, 14, 16], dtype=np.int32)
# Minimum firmware keeps the first 8192 entries and adds a correction per q >> 13 (spec 1.4).
GRAY_MINIMUM = (
    GRAY_FULL[np.arange(65536) & 0x1FFF].astype(np.int32) + _ADD_Y[np.arange(65536) >> 13]
).astype(np.uint8)


def gray_table() -> np.ndarray:
    """The RGB565(raw q) -> gray table of the emulated firmware."""
    return GRAY_FULL if _firmware == "full" else GRAY_MINIMUM


def raw_to_gray(q: np.ndarray) -> np.ndarray:
    """Raw words -> gray bytes, ``Y(q) + 128`` (spec 1.4)."""
    return gray_table()[np.asarray(q, dtype=np.uint16)]


def gray_to_raw(g: np.ndarray) -> np.ndarray:
    """Gray -> raw words with R8 = G8 = B8 = g compressed by rb825/g826 (``to_rgb565``)."""
    g = np.asarray(g, dtype=np.uint8)
    return compose_raw(RB825[g], G826[g], RB825[g])


def parse_color(color: ColorArg, bpp: int) -> int:
    """A colour argument (int, (r, g, b) or None for white) -> the value stored for ``bpp``."""
    if color is None:
        color = -1
    if isinstance(color, (int, np.integer)) and not isinstance(color, bool):
        value = int(color)
    elif isinstance(color, bool):
        value = int(color)
    else:
        items = list(color)
        if len(items) != 3:
            # MicroPython's fixed-length sequence check.
            raise ValueError(f"requested length 3 but object has length {len(items)}")
        r, g, b = (min(max(int(v), 0), 255) for v in items)
        q = int(compose_raw(RB825[r], G826[g], RB825[b]))
        if bpp == BPP_GRAYSCALE:
            return int(raw_to_gray(np.uint16(q)))
        if bpp == BPP_BINARY:
            return int(int(raw_to_gray(np.uint16(q))) - 128 > -1)
        return q
    if bpp == BPP_GRAYSCALE:
        return value & 0xFF
    if bpp == BPP_BINARY:
        return value & 1
    return value & 0xFFFF
