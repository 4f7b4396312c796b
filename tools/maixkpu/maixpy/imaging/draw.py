"""Drawing on pixel arrays as MaixPy does: rectangles, text and ``draw_image`` (spec 2.9-2.11).

The arrays are (h, w) views of image memory: uint8 for gray, raw uint16 words for RGB565. Colours
are already parsed to the stored value (``tables.parse_color``).
"""
from __future__ import annotations

import math

import numpy as np

from . import font
from .tables import BPP_GRAYSCALE, BPP_RGB565, G628, G826, RB528, RB825, compose_raw, split_raw

F32 = np.float32


def fill_box(pixels: np.ndarray, x0: int, y0: int, x1: int, y1: int, value: int) -> None:
    """Set pixels x0..x1, y0..y1 (inclusive), skipping whatever is off the image."""
    h, w = pixels.shape
    xa, ya = max(x0, 0), max(y0, 0)
    xb, yb = min(x1, w - 1), min(y1, h - 1)
    if xa <= xb and ya <= yb:
        pixels[ya : yb + 1, xa : xb + 1] = value


def draw_rectangle(
    pixels: np.ndarray, x: int, y: int, w: int, h: int, value: int, thickness: int, fill: bool
) -> None:
    """Filled box, or four bands of ``thickness`` centred on the 1-pixel outline (no size check:
    with w or h < 1 the bands that the formulas still cover are drawn, as in MaixPy)."""
    if fill:
        fill_box(pixels, x, y, x + w - 1, y + h - 1, value)
        return
    if thickness <= 0:
        return
    t0, t1 = thickness // 2, (thickness - 1) // 2
    right, bottom = x + w - 1, y + h - 1
    fill_box(pixels, x - t0, y - t0, right + t1, y + t1, value)
    fill_box(pixels, x - t0, bottom - t0, right + t1, bottom + t1, value)
    fill_box(pixels, x - t0, y - t0, x + t1, bottom + t1, value)
    fill_box(pixels, right - t0, y - t0, right + t1, bottom + t1, value)


def _span(lo: int, hi: int, start: int, size: int) -> np.ndarray:
    """Offsets 0 <= d < size of a cell at ``start`` that fall inside [lo, hi)."""
    return np.arange(max(lo - start, 0), max(min(hi - start, size), 0), dtype=np.int64)


def text_points(
    text: str,
    scale: float,
    x_spacing: int,
    y_spacing: int,
    mono_space: bool,
    window: tuple[int, int, int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (dx, dy) of the lit pixels of ``text`` drawn at the origin (spec 2.10 rules;
    glyphs are nearest-neighbour scaled, proportional glyphs start at their first lit column),
    only those inside ``window`` = (x0, y0, x1, y1), ends excluded (the image seen from the
    origin): a huge scale costs no more than the window."""
    wx0, wy0, wx1, wy1 = window
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    pen_x = pen_y = 0
    line_step = int(font.CELL_H * scale) + y_spacing
    out_h = int(font.CELL_H * scale)
    previous = ""
    for char in text:
        if char == "\n" and previous == "\r":
            previous = char
            continue  # "\r\n" is one line break
        previous = char
        if char in "\r\n":
            pen_x, pen_y = 0, pen_y + line_step
            continue
        if char == " " and not mono_space:
            pen_x += int(3 * scale) + x_spacing
            continue
        rows = _span(wy0, wy1, pen_y, out_h)
        if not font.printable(char):
            # A hollow box inset by trunc(1.5 * scale), outline scale thick; no advance. Drawn
            # on the visible part of its cell only.
            inset = int(scale * 3 / 2)
            cell_w = int(font.CELL_W * scale)
            cols = _span(wx0, wx1, pen_x, cell_w)
            if rows.size and cols.size:
                part = np.zeros((rows.size, cols.size), dtype=bool)
                box_w, box_h = cell_w - 2 * inset, out_h - 2 * inset
                draw_rectangle(part, inset - int(cols[0]), inset - int(rows[0]), box_w, box_h,
                               True, int(scale), False)
                dy, dx = np.nonzero(part)
                xs.append(cols[dx] + pen_x)
                ys.append(rows[dy] + pen_y)
            continue
        bitmap = font.glyph(char)
        if mono_space:
            first, width = 0, font.CELL_W
        else:
            first, last = font.lit_columns(bitmap)
            width = last - first + 2
        out_w = int(width * scale)
        cols = _span(wx0, wx1, pen_x, out_w)
        src_rows = (rows.astype(F32) / F32(scale)).astype(np.int64)
        src_cols = first + (cols.astype(F32) / F32(scale)).astype(np.int64)
        src_cols = np.minimum(src_cols, font.CELL_W - 1)
        lit = bitmap[np.minimum(src_rows, font.CELL_H - 1)[:, None], src_cols[None, :]]
        dy, dx = np.nonzero(lit)
        xs.append(cols[dx] + pen_x)
        ys.append(rows[dy] + pen_y)
        pen_x += out_w + x_spacing
    if not xs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(xs), np.concatenate(ys)


def plot_points(pixels: np.ndarray, xs: np.ndarray, ys: np.ndarray, value: int) -> None:
    """Set the given pixels, skipping those off the image."""
    h, w = pixels.shape
    keep = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    pixels[ys[keep], xs[keep]] = value


def _decode_as_raw565(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MaixPy's draw_image reads every source value as a raw RGB565 word, even gray bytes."""
    r5, g6, b5 = split_raw(p)
    return (
        RB528[r5].astype(np.int32),
        G628[g6].astype(np.int32),
        RB528[b5].astype(np.int32),
    )


def mask_set(mask: np.ndarray, mask_bpp: int) -> np.ndarray:
    """Where a mask image counts as set: gray > 127, RGB565 with Y >= 0 (gray >= 128)."""
    from .tables import raw_to_gray

    if mask_bpp == BPP_RGB565:
        return raw_to_gray(mask) > 127
    if mask_bpp == BPP_GRAYSCALE:
        return mask > 127
    return mask != 0


def draw_image(
    dst: np.ndarray,
    src: np.ndarray,
    x: int,
    y: int,
    x_scale: float,
    y_scale: float,
    alpha: int,
    mask: np.ndarray | None,
) -> None:
    """Nearest-neighbour blit of raw source values with MaixPy's raw-RGB565 semantics."""
    sh, sw = src.shape
    out_w = int(F32(sw) * F32(x_scale))
    out_h = int(F32(sh) * F32(y_scale))
    if out_w <= 0 or out_h <= 0:
        return
    dh, dw = dst.shape
    # Only the output columns and rows that land on the destination (a huge scale costs no
    # more than the destination).
    i = np.arange(max(-x, 0), min(dw - x, out_w))
    j = np.arange(max(-y, 0), min(dh - y, out_h))
    if i.size == 0 or j.size == 0:
        return
    sx = np.trunc(i.astype(F32) * (F32(1) / F32(x_scale))).astype(np.int64)
    sy = np.trunc(j.astype(F32) * (F32(1) / F32(y_scale))).astype(np.int64)
    cols, rows = i + x, j + y
    p = src[sy[:, None], sx[None, :]].astype(np.int64)
    region = dst[rows[:, None], cols[None, :]]
    if alpha >= 256:
        # rb825/g826 undo rb528/g628 exactly, so the recomposed word is the source value itself.
        new = p
    else:
        rs, gs, bs = _decode_as_raw565(p)
        rd, gd, bd = _decode_as_raw565(region.astype(np.int64))
        t = (F32(alpha) / F32(256)) * ((rs | gs | bs).astype(F32) / F32(256))
        u = F32(1) - t
        blend = [
            np.minimum(np.trunc(s.astype(F32) * t + d.astype(F32) * u).astype(np.int64), 255)
            for s, d in ((rs, rd), (gs, gd), (bs, bd))
        ]
        new = compose_raw(RB825[blend[0]], G826[blend[1]], RB825[blend[2]]).astype(np.int64)
    if mask is not None:
        mh, mw = mask.shape
        inside = (sy < mh)[:, None] & (sx < mw)[None, :]
        chosen = np.zeros(new.shape, dtype=bool)
        chosen[inside] = mask[np.minimum(sy, mh - 1)[:, None], np.minimum(sx, mw - 1)[None, :]][
            inside
        ]
        new = np.where(chosen, new, region)
    width_mask = 0xFF if dst.dtype == np.uint8 else 0xFFFF
    dst[rows[:, None], cols[None, :]] = (new & width_mask).astype(dst.dtype)


def _minor_at(k: int, small: int, big: int) -> int:
    """Minor-axis offset at step k of the combined-step Bresenham line below: its error term is
    (big // 2 - small * k) mod big, so the offset is ceil((small * k - big // 2) / big)."""
    if small == 0:
        return 0
    return -((big // 2 - small * k) // big)


def draw_line(
    pixels: np.ndarray, x0: int, y0: int, x1: int, y1: int, value: int, thickness: int
) -> None:
    """Bresenham's line from (x0, y0) to (x1, y1) (both ends, a combined x/y step when the error
    term allows both), each step stamping a square brush -t//2 .. (t-1)//2 around it.

    Drawn as one span per image column (row when |dy| >= |dx|): the steps reaching a column are
    a run whose ends give the span, so a line from far off costs no more than the image."""
    if thickness <= 0:
        return
    lo, hi = thickness // 2, (thickness - 1) // 2
    x_major = abs(x1 - x0) > abs(y1 - y0)
    a0, a1, b0, b1 = (x0, x1, y0, y1) if x_major else (y0, y1, x0, x1)
    big, small = abs(a1 - a0), abs(b1 - b0)
    sa, sb = (1 if a0 < a1 else -1), (1 if b0 < b1 else -1)
    view = pixels.T if x_major else pixels  # view[major, minor]
    lines, span = view.shape
    for p in range(max(min(a0, a1) - lo, 0), min(max(a0, a1) + hi, lines - 1) + 1):
        ka, kb = (p - hi - a0, p + lo - a0) if sa > 0 else (a0 - p - lo, a0 - p + hi)
        ka, kb = max(ka, 0), min(kb, big)
        if ka > kb:
            continue
        ba, bb = b0 + sb * _minor_at(ka, small, big), b0 + sb * _minor_at(kb, small, big)
        q0, q1 = max(min(ba, bb) - lo, 0), min(max(ba, bb) + hi, span - 1)
        if q0 <= q1:
            view[p, q0 : q1 + 1] = value


def _ceil_sqrt(v: int) -> int:
    """The smallest s >= 0 with s * s >= v."""
    if v <= 0:
        return 0
    s = math.isqrt(v)
    return s + (s * s < v)


def _octant(
    pixels: np.ndarray, cx: int, cy: int, r: int, swap: bool, sn: int, sx: int, value: int
) -> None:
    """One octant of the midpoint circle of radius r >= 1: step n = 0, 1, ... (while x >= n)
    plots x(n) = ceil(sqrt(r^2 - r + 1 - n^2)), n along one axis (sign sn, x when swap) and x(n)
    along the other (sign sx). Only the steps with both coordinates on the image are walked."""
    h, w = pixels.shape
    t = r * r - r + 1
    cn, nn, cc, nc = (cx, w, cy, h) if swap else (cy, h, cx, w)
    nlo, nhi = (-cn, nn - 1 - cn) if sn > 0 else (cn - nn + 1, cn)
    alo, ahi = (-cc, nc - 1 - cc) if sx > 0 else (cc - nc + 1, cc)
    if ahi < 0 or alo > r:
        return
    nlo, nhi = max(nlo, 0), min(nhi, r)
    if ahi < r:
        nlo = max(nlo, _ceil_sqrt(t - ahi * ahi))  # from there x(n) <= ahi
    if alo >= 1:
        nhi = min(nhi, _ceil_sqrt(t - (alo - 1) ** 2) - 1)  # up to there x(n) >= alo
    n = nlo
    x = _ceil_sqrt(t - n * n)
    err = (x - 1) ** 2 + (n + 1) ** 2 - t
    while n <= nhi and x >= n:
        if swap:
            pixels[cy + sx * x, cx + sn * n] = value
        else:
            pixels[cy + sn * n, cx + sx * x] = value
        n += 1
        if err < 0:
            err += 2 * n + 1
        else:
            x -= 1
            err += 2 * (n - x + 1)


def draw_circle(
    pixels: np.ndarray, cx: int, cy: int, radius: int, value: int, thickness: int, fill: bool
) -> None:
    """Filled disc (x^2 + y^2 <= r^2), or midpoint circles of radii radius - t//2 ..
    radius + (t-1)//2. Radius r plots at distances d with r^2 - r + 1 <= d^2 <= r^2 + r, so
    only the radii between the nearest and farthest pixel are drawn."""
    h, w = pixels.shape
    if fill:
        xs = np.arange(max(-radius, -cx), min(radius, w - 1 - cx) + 1)
        ys = np.arange(max(-radius, -cy), min(radius, h - 1 - cy) + 1)
        inside = xs[None, :] ** 2 + ys[:, None] ** 2 <= radius * radius
        oy, ox = np.nonzero(inside)
        pixels[ys[oy] + cy, xs[ox] + cx] = value
        return
    near_x, near_y = max(-cx, cx - (w - 1), 0), max(-cy, cy - (h - 1), 0)
    far_x, far_y = max(abs(cx), abs(cx - (w - 1))), max(abs(cy), abs(cy - (h - 1)))
    first = max(radius - thickness // 2, math.isqrt(near_x**2 + near_y**2) - 1, 0)
    last = min(radius + (thickness - 1) // 2, math.isqrt(far_x**2 + far_y**2) + 1)
    for r in range(first, last + 1):
        if r == 0:
            if 0 <= cx < w and 0 <= cy < h:
                pixels[cy, cx] = value
            continue
        for i in range(8):
            _octant(pixels, cx, cy, r, bool(i & 1), -1 if i & 2 else 1, -1 if i & 4 else 1,
                    value)
