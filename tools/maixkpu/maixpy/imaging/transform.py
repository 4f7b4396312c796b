"""``resize``, ``stretch``, ``strech_char`` and the scaled ``copy``/``crop`` sampling, with
MaixPy's float32 index maths and its quirks kept (image-subset spec 2.7, 2.8, 2.12).

All arithmetic that is float in MaixPy is done in numpy float32 (the firmware is built with
single-precision constants); ``fast_floorf`` is truncation. Float -> uint8 outside 0..255 wraps
modulo 256 after truncation to an integer (spec section 9, question 2: the most likely reading).
"""
from __future__ import annotations

import numpy as np

from .tables import compose_raw, split_raw

F32 = np.float32
HALF = F32(0.5)


def _to_u8_wrapping(values: np.ndarray) -> np.ndarray:
    """C's float -> int -> uint8 store: truncate toward zero, keep the low 8 bits."""
    return (np.trunc(values).astype(np.int64) & 0xFF).astype(np.uint8)


def _centres(out_size: int, scale: np.float32) -> np.ndarray:
    """Half-pixel source positions ``(i + 0.5) * scale - 0.5`` in float32."""
    return (np.arange(out_size, dtype=F32) + HALF) * scale - HALF


def resize_gray_bilinear(src: np.ndarray, w: int, h: int) -> np.ndarray:
    """Gray resize when either side does not shrink: bilinear with edge extrapolation."""
    h0, w0 = src.shape
    sx, sy = F32(w0) / F32(w), F32(h0) / F32(h)
    xf, yf = _centres(w, sx), _centres(h, sy)
    x0 = np.trunc(xf).astype(np.int64)
    y0 = np.trunc(yf).astype(np.int64)
    x1, y1 = x0 + 1, y0 + 1
    # Samples clamp at the right/bottom edge but the weights still use the unclamped x1/y1.
    x1c = np.where(x0 >= w0 - 1, x0, x1)
    y1c = np.where(y0 >= h0 - 1, y0, y1)
    wxa, wxb = x1.astype(F32) - xf, xf - x0.astype(F32)
    wya, wyb = (y1.astype(F32) - yf)[:, None], (yf - y0.astype(F32))[:, None]
    img = src.astype(F32)
    a = img[y0[:, None], x0[None, :]]
    b = img[y0[:, None], x1c[None, :]]
    c = img[y1c[:, None], x0[None, :]]
    d = img[y1c[:, None], x1c[None, :]]
    total = a * wxa * wya + b * wxb * wya + c * wxa * wyb + d * wxb * wyb
    return _to_u8_wrapping(total)


def resize_gray_box(backing: np.ndarray, w0: int, h0: int, w: int, h: int) -> np.ndarray:
    """Gray resize when both sides shrink: MaixPy's box average with its two bugs.

    Boxes are inclusive at both ends (one row/column too many) and columns use the *vertical*
    scale. Reads go through the flat buffer, so column ``w0`` is the next row's first pixel and
    row ``h0`` is whatever follows the pixels in ``backing`` (zeros past its end).
    """
    sy = F32(h0) / F32(h)
    ry = np.trunc(np.arange(h + 1, dtype=F32) * sy).astype(np.int64)
    rx = np.trunc(np.arange(w + 1, dtype=F32) * sy).astype(np.int64)
    y0, y1 = ry[:-1], ry[1:]
    x0, x1 = rx[:-1], rx[1:]
    rows = np.arange(int(y1.max()) + 1)
    cols = np.arange(int(x1.max()) + 1)
    index = rows[:, None] * w0 + cols[None, :]
    flat = np.zeros(int(index.max()) + 1, dtype=np.int64)
    n = min(flat.size, backing.size)
    flat[:n] = backing[:n]
    grid = flat[index]
    integral = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1), dtype=np.int64)
    integral[1:, 1:] = grid.cumsum(axis=0).cumsum(axis=1)
    ya, yb = y0[:, None], (y1 + 1)[:, None]
    xa, xb = x0[None, :], (x1 + 1)[None, :]
    sums = integral[yb, xb] - integral[ya, xb] - integral[yb, xa] + integral[ya, xa]
    counts = (yb - ya) * (xb - xa)
    return (sums // counts).astype(np.uint8)


def resize_gray(backing: np.ndarray, w0: int, h0: int, w: int, h: int) -> np.ndarray:
    """Gray ``resize(w, h)``: bilinear unless both sides shrink (then the box path)."""
    if w >= w0 or h >= h0:
        src = backing[: w0 * h0].reshape(h0, w0)
        return resize_gray_bilinear(src, w, h)
    return resize_gray_box(backing, w0, h0, w, h)


def resize_rgb565(src: np.ndarray, w: int, h: int) -> np.ndarray:
    """RGB565 ``resize(w, h)`` on raw words: copy, nearest neighbour, or 5/6/5-bit bilinear."""
    h0, w0 = src.shape
    if (w, h) == (w0, h0):
        return src.copy()
    sx, sy = F32(w0) / F32(w), F32(h0) / F32(h)
    if w0 >= w or h0 > h:
        xi = np.trunc(np.arange(w, dtype=F32) * sx).astype(np.int64)
        yi = np.trunc(np.arange(h, dtype=F32) * sy).astype(np.int64)
        return src[yi[:, None], xi[None, :]]
    xs, ys = _centres(w, sx), _centres(h, sy)
    # (uint16) of a small negative position is 0 on this target.
    x1 = np.maximum(np.trunc(xs), 0).astype(np.int64)
    y1 = np.maximum(np.trunc(ys), 0).astype(np.int64)
    x2, y2 = x1 + 1, y1 + 1
    border = (x2 >= w0)[None, :] | (y2 >= h0)[:, None]
    x2c, y2c = np.minimum(x2, w0 - 1), np.minimum(y2, h0 - 1)
    wx2, wx1 = (x2.astype(F32) - xs)[None, :], (xs - x1.astype(F32))[None, :]
    wy2, wy1 = (y2.astype(F32) - ys)[:, None], (ys - y1.astype(F32))[:, None]
    planes = []
    for p11, p21, p12, p22 in zip(
        split_raw(src[y1[:, None], x1[None, :]]),
        split_raw(src[y1[:, None], x2c[None, :]]),
        split_raw(src[y2c[:, None], x1[None, :]]),
        split_raw(src[y2c[:, None], x2c[None, :]]),
    ):
        top = wx2 * p11.astype(F32) + wx1 * p21.astype(F32)
        bottom = wx2 * p12.astype(F32) + wx1 * p22.astype(F32)
        planes.append(_to_u8_wrapping(wy2 * top + wy1 * bottom).astype(np.int32))
    out = compose_raw(planes[0], planes[1], planes[2])
    return np.where(border, src[y1[:, None], x1[None, :]], out)


def _c_div(a: np.ndarray | int, b: int) -> np.ndarray:
    """C integer division (truncation toward zero)."""
    a = np.asarray(a, dtype=np.int64)
    return np.sign(a) * np.sign(b) * (np.abs(a) // abs(b))


def stretch(pixels: np.ndarray, low: int, high: int) -> None:
    """Gray ``stretch(min, max)`` in place: interior range, integer scale capped at 5."""
    h, w = pixels.shape
    if w >= 3 and h >= 3:
        interior = pixels[1 : h - 1, 1 : w - 1]
        min0, max0 = int(interior.min()), int(interior.max())
    else:
        return  # MaixPy reads an out-of-bounds start pixel here; the range is then empty.
    if max0 == min0:
        return
    scale = min(int(_c_div(high - low, max0 - min0)), 5)
    values = (pixels.astype(np.int64) - min0) * scale + low
    pixels[...] = (values & 0xFF).astype(np.uint8)


def strech_char(pixels: np.ndarray, de_dark: int) -> None:
    """Gray ``strech_char(de_dark)`` in place (the spelling is MaixPy's)."""
    h, w = pixels.shape
    values = pixels.astype(np.int64)
    gate = int(values.sum()) // (w * h)
    gmax = int(values.max())
    if gmax == gate:
        out = np.zeros_like(values)  # RISC-V division by zero gives -1, clamped to 0
    else:
        out = np.clip(_c_div((values - gate) * 255, gmax - gate), 0, 255)
    if de_dark:
        yy, xx = np.mgrid[0:h, 0:w]
        r2 = ((xx - w // 2) ** 2 + (yy - h // 2) ** 2).astype(F32)
        factor = F32(1) + F32(32) * r2 * r2 / F32(w) / F32(w) / F32(h) / F32(h)
        out = np.trunc(out.astype(F32) / factor).astype(np.int64)
    pixels[...] = out.astype(np.uint8)


def scaled_indices(offset: int, size: int, scale: float) -> np.ndarray:
    """Nearest-neighbour source indices ``offset + trunc(i * (1/scale))`` for ``copy``/``crop``."""
    step = F32(1) / F32(scale)
    return offset + np.trunc(np.arange(size, dtype=F32) * step).astype(np.int64)
