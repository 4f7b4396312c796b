"""Loading and saving image files the way MaixPy dispatches them (image-subset spec 2.1, 2.2, 2.14).

Exact: the magic-byte dispatch, BMP (see ``bmp``), the extension checks and the error texts.
PC extensions (documented, not in MaixPy): PNG files load through Pillow (RGB rounded with
rb825/g826 like BMP-24, L as grayscale) and ``.png`` saves through Pillow.
Not exact: JPEG is decoded by Pillow/libjpeg instead of picojpeg (other IDCT and chroma
upsampling, so pixels differ by a few levels); MaixPy's truncating RGB888->RGB565 step is kept.
JPEG saving uses Pillow with MaixPy's quality range and subsampling choice, not OpenMV's encoder.
"""
from __future__ import annotations

import errno
import io
import os
from typing import Any, BinaryIO

import numpy as np
from PIL import Image as PILImage

from .bmp import decode_bmp, encode_bmp
from .tables import BPP_BAYER, BPP_BINARY, BPP_GRAYSCALE, BPP_RGB565, compose_raw, raw_to_rgb888

Decoded = tuple[int, int, int, np.ndarray]
EMPTY: Decoded = (0, 0, BPP_BINARY, np.zeros(0, dtype=np.uint8))


class JpegInitError(Exception):
    """picojpeg's init failure: MaixPy prints and returns an empty image (no exception)."""


def sniff(data: bytes) -> str:
    """The file kind MaixPy picks from the first bytes; the extension never decides."""
    if data[:2] == b"BM":
        return "bmp"
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return "other"


def _decode_jpeg(data: bytes) -> Decoded:
    try:
        pil = PILImage.open(io.BytesIO(data))
    except OSError as exc:
        raise JpegInitError("unreadable JPEG header") from exc
    if pil.info.get("progressive") or pil.info.get("progression"):
        print("Progressive JPEG files are not supported.")
        raise JpegInitError("progressive")
    if pil.mode not in ("L", "RGB", "YCbCr"):
        raise JpegInitError(f"unsupported JPEG mode {pil.mode}")
    try:
        pil.load()
    except (OSError, SyntaxError) as exc:
        raise OSError(errno.EPERM, "EPERM") from exc
    if pil.mode == "L":
        gray = np.asarray(pil, dtype=np.uint8)
        return pil.width, pil.height, BPP_GRAYSCALE, gray.reshape(-1).copy()
    rgb = np.asarray(pil.convert("RGB"), dtype=np.uint8)
    # MaixPy's JPEG path truncates to 5/6/5 bits (BMP-24 rounds instead).
    raw = compose_raw(rgb[..., 0] >> 3, rgb[..., 1] >> 2, rgb[..., 2] >> 3).astype("<u2")
    return pil.width, pil.height, BPP_RGB565, raw.reshape(-1).view(np.uint8).copy()


def decode_png(data: bytes) -> Decoded:
    """PC extension: PNG through Pillow; gray modes stay gray, colour is rounded like BMP-24."""
    from .tables import rgb888_to_raw

    pil = PILImage.open(io.BytesIO(data))
    pil.load()
    if pil.mode in ("1", "L", "I", "I;16", "LA"):
        gray = np.asarray(pil.convert("L"), dtype=np.uint8)
        return pil.width, pil.height, BPP_GRAYSCALE, gray.reshape(-1).copy()
    raw = rgb888_to_raw(np.asarray(pil.convert("RGB"), dtype=np.uint8)).astype("<u2")
    return pil.width, pil.height, BPP_RGB565, raw.reshape(-1).view(np.uint8).copy()


def _jpeg_or_empty(data: bytes) -> Decoded:
    try:
        return _decode_jpeg(data)
    except JpegInitError:
        print("Failed loading source image!")
        return EMPTY


def _check_extension(path: str, kind: str, bpp: int) -> None:
    ext = os.path.splitext(path)[1].lower()
    if ext == ".bmp" and kind == "jpeg":
        raise OSError("Image is not BMP!")
    if ext == ".ppm" and bpp != BPP_RGB565:
        raise OSError("Image is not PPM!")
    if ext == ".pgm" and bpp != BPP_GRAYSCALE:
        raise OSError("Image is not PGM!")
    if ext == ".raw" and bpp != BPP_BAYER:
        raise OSError("Image is not BAYER!")


def load_path(path: str) -> Decoded:
    """``Image(path)``: BMP, JPEG, or (PC extension) PNG, then MaixPy's extension check."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise OSError(errno.ENOENT, "ENOENT") from None
    kind = sniff(data)
    if kind == "bmp":
        decoded = decode_bmp(data)
    elif kind == "jpeg":
        decoded = _jpeg_or_empty(data)
    elif kind == "png":
        decoded = decode_png(data)
    else:
        raise ValueError("format not supported")
    _check_extension(path, kind, decoded[2])
    return decoded


def load_bytes(data: bytes) -> Decoded:
    """``Image(data, from_bytes=True)``: JPEG only, and errors never raise (empty image)."""
    kind = sniff(data)
    if kind == "bmp":
        raise OSError("Not support")
    if kind == "png":
        return decode_png(data)
    if kind != "jpeg":
        print("Failed loading source image!")
        return EMPTY
    try:
        return _jpeg_or_empty(data)
    except OSError:
        return EMPTY


def load_file_object(handle: BinaryIO) -> Decoded:
    """``Image(file)``: JPEG from an open file; BMP this way is refused."""
    data = handle.read()
    if isinstance(data, str):
        data = data.encode("latin-1")
    kind = sniff(data)
    if kind == "bmp":
        raise OSError("Not support")
    if kind == "png":
        return decode_png(data)
    if kind != "jpeg":
        raise ValueError("format not supported")
    return _jpeg_or_empty(data)


def _to_pil(pixels: np.ndarray, bpp: int) -> PILImage.Image:
    if bpp == BPP_GRAYSCALE:
        return PILImage.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="L")
    return PILImage.fromarray(raw_to_rgb888(pixels), mode="RGB")


def save(pixels: np.ndarray, bpp: int, path: str, quality: Any = 50) -> None:
    """``img.save(path, quality=)`` for an already ROI-cropped (h, w) pixel array."""
    quality = int(quality)
    if not 1 <= quality <= 100:
        raise OSError("Error: 1 <= quality <= 100!")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".bmp":
        with open(path, "wb") as handle:
            handle.write(encode_bmp(pixels, bpp))
    elif ext in (".jpg", ".jpeg"):
        subsampling = 0 if quality >= 60 else (1 if quality > 35 else 2)
        _to_pil(pixels, bpp).save(path, "JPEG", quality=quality, subsampling=subsampling)
    elif ext == ".png":  # PC extension
        _to_pil(pixels, bpp).save(path, "PNG")
    else:
        _check_extension(path, "", bpp)
        # MaixPy writes nothing for .ppm/.pgm/.raw (writers commented out) or other extensions.
