"""Image files to KPU input: planar (CHW) uint8 arrays as the KPU reads them (MaixPy's pix_ai).

An image is never resized: its size must equal the model input, as on the board, where
check_img_format refuses a mismatch. A .bin file is raw input bytes, taken as they are.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image

PathLike = Union[str, "os.PathLike[str]"]
RAW_SUFFIXES = (".bin", ".raw")


class ImageInputError(ValueError):
    """The file cannot be used as the model input (size, channels, format)."""


def _expand_table(bits: int) -> np.ndarray:
    # MaixPy's rb528 / g628: round(i * 255 / max), as integer arithmetic
    top = (1 << bits) - 1
    i = np.arange(top + 1, dtype=np.uint32)
    return ((255 * i + top // 2) // top).astype(np.uint8)


RB528 = _expand_table(5)
G628 = _expand_table(6)


def rgb565_roundtrip(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> the same pixels after a camera's RGB565 capture and pix_to_ai expansion."""
    rgb = np.asarray(rgb, dtype=np.uint8)
    out = np.empty_like(rgb)
    out[..., 0] = RB528[rgb[..., 0] >> 3]
    out[..., 1] = G628[rgb[..., 1] >> 2]
    out[..., 2] = RB528[rgb[..., 2] >> 3]
    return out


def planar(img: Image.Image, channels: int, *, rgb565: bool = False) -> np.ndarray:
    """A PIL image as a C x H x W uint8 array: 3 planes R, G, B, or 1 grayscale plane.

    rgb565: pass colour through RGB565 first, as a camera frame reaches the KPU.
    """
    if channels == 3:
        hwc = np.asarray(img.convert("RGB"), dtype=np.uint8)
        if rgb565:
            hwc = rgb565_roundtrip(hwc)
        return np.ascontiguousarray(hwc.transpose(2, 0, 1))
    if channels == 1:  # grayscale frames are 8-bit on the board: rgb565 does not apply
        return np.asarray(img.convert("L"), dtype=np.uint8)[np.newaxis].copy()
    raise ImageInputError(f"a model with {channels} input channels cannot take an image "
                          "(images give 1 or 3 planes); use a .bin file of raw input bytes")


def load_planar(path: PathLike, width: int, height: int, channels: int, *,
                rgb565: bool = False) -> np.ndarray:
    """Reads a BMP/PNG/JPEG/... file as planar uint8 input of exactly width x height."""
    try:
        with Image.open(path) as img:
            img.load()
            if img.size != (width, height):
                raise ImageInputError(
                    f"{path}: image is {img.size[0]}x{img.size[1]}, but the model input is "
                    f"{width}x{height} (images are not resized, as on the board)")
            return planar(img, channels, rgb565=rgb565)
    except (OSError, Image.DecompressionBombError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ImageInputError(f"{path}: not a readable image: {exc}") from exc


def load_raw(path: PathLike, size: int) -> bytes:
    """Reads a raw input file, which must hold exactly size bytes."""
    data = Path(path).read_bytes()
    if len(data) != size:
        raise ImageInputError(f"{path}: {len(data)} bytes, but the model input takes {size}")
    return data


def is_raw(path: PathLike) -> bool:
    return Path(path).suffix.lower() in RAW_SUFFIXES
