"""Drawing with arguments far off the image: the C core and the Python module only visit the
part of a line, circle or cross that can reach the image, and must give the pixels of walking
every step of Bresenham's line and the midpoint circle.

The walks (``walk_line``, ``walk_circle``: what both did before) are the reference for the
Python module up to a few hundred pixels away, and the module for the C core up to a few
thousand. Beyond that, up to +-2^31 and thickness 2^20, the references are per-pixel tests
evaluated on the image only: membership in the walked line and circle (checked against the
walks first), and plain boxes for crosses and axis-aligned lines. A regression to walking every
step would hang these tests rather than fail them."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage
from maixkpu.maixpy.image import Image
from maixkpu.maixpy.imaging import font

from .pairs import FAST, assert_same, images, pair

BIG = 2**30
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
far = st.integers(-3000, 3000)
thin_or_thick = st.integers(-1, 7)
huge = st.one_of(st.integers(-BIG, BIG), st.sampled_from([-BIG, BIG, INT_MIN, INT_MAX]))
huge_thickness = st.one_of(st.integers(1, 40), st.integers(1, 2**20), st.just(INT_MAX))
sizes = st.tuples(st.integers(1, 12), st.integers(1, 12))


def drawn(w: int, h: int, draw_on: Callable[[CoreImage], object]) -> set[tuple[int, int]]:
    """The pixels a C drawing call sets on a black w x h gray image."""
    core = CoreImage(w, h, GRAYSCALE)
    draw_on(core)
    ys, xs = np.nonzero(np.frombuffer(core.tobytes(), np.uint8).reshape(h, w))
    return set(zip(xs.tolist(), ys.tolist()))


def module_drawn(w: int, h: int, draw_on: Callable[[Image], object]) -> set[tuple[int, int]]:
    py = Image._make(w, h, GRAYSCALE, np.zeros(w * h, np.uint8))
    draw_on(py)
    ys, xs = np.nonzero(np.frombuffer(bytes(py), np.uint8).reshape(h, w))
    return set(zip(xs.tolist(), ys.tolist()))


def drawn_both(w: int, h: int, draw_on: Callable[[CoreImage | Image], object]) -> (
    set[tuple[int, int]]
):
    """The pixels a drawing call sets, the same from the C core and the Python module."""
    got = drawn(w, h, draw_on)
    assert module_drawn(w, h, draw_on) == got
    return got


def on_line(x0: int, y0: int, x1: int, y1: int, px: int, py: int) -> bool:
    """Whether the module's Bresenham line steps on (px, py): its error term e0 - d k + D j
    (k, j the offsets along the major and minor axes) stays in [0, D)."""
    dx, dy = abs(x1 - x0), abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    i, j = (px - x0) * sx, (py - y0) * sy
    if dx > dy:
        big, small, k, m = dx, dy, i, j
    else:
        big, small, k, m = dy, dx, j, i
    if big == 0:
        return i == 0 and j == 0
    return 0 <= k <= big and 0 <= big // 2 - small * k + big * m < big


def on_circle(cx: int, cy: int, r: int, px: int, py: int) -> bool:
    """Whether the module's midpoint circle of radius r plots (px, py): per octant, step n plots
    the smallest x with x^2 + n^2 >= r^2 - r + 1 while x >= n (radius 0: the centre)."""
    a, b = abs(px - cx), abs(py - cy)
    u, v = max(a, b), min(a, b)
    if r <= 0:
        return r == 0 and u == 0
    t = r * r - r + 1
    return u * u + v * v >= t and (u - 1) ** 2 + v * v < t


def circle_oracle(w: int, h: int, cx: int, cy: int, radius: int, t: int) -> set[tuple[int, int]]:
    """Thick outline: radii radius - t//2 .. radius + (t-1)//2. A pixel can only be on the
    radius r with r^2 - r + 1 <= d^2 <= r^2 + r, i.e. r = isqrt(d^2) or the next one."""
    first, last = radius - t // 2, radius + (t - 1) // 2
    out = set()
    for py in range(h):
        for px in range(w):
            root = math.isqrt((px - cx) ** 2 + (py - cy) ** 2)
            if any(first <= r <= last and on_circle(cx, cy, r, px, py) for r in (root, root + 1)):
                out.add((px, py))
    return out


def thin_line_oracle(w: int, h: int, x0: int, y0: int, x1: int, y1: int) -> set[tuple[int, int]]:
    return {(px, py) for py in range(h) for px in range(w) if on_line(x0, y0, x1, y1, px, py)}


def box(w: int, h: int, x0: int, y0: int, x1: int, y1: int) -> set[tuple[int, int]]:
    return {(px, py) for py in range(max(y0, 0), min(y1, h - 1) + 1)
            for px in range(max(x0, 0), min(x1, w - 1) + 1)}


def axis_line_oracle(w: int, h: int, x0: int, y0: int, x1: int, y1: int, t: int) -> (
    set[tuple[int, int]]
):
    """A horizontal or vertical line with the square brush is one box."""
    if t <= 0:
        return set()
    lo, hi = t // 2, (t - 1) // 2
    return box(w, h, min(x0, x1) - lo, min(y0, y1) - lo, max(x0, x1) + hi, max(y0, y1) + hi)


# ---- the walks, and the per-pixel references and the module against them ------------------


def walk_line(w: int, h: int, x0: int, y0: int, x1: int, y1: int, t: int) -> (
    set[tuple[int, int]]
):
    """Every step of the combined-step Bresenham line, each stamping the square brush."""
    if t <= 0:
        return set()
    lo, hi = t // 2, (t - 1) // 2
    dx, dy = abs(x1 - x0), abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx // 2 if dx > dy else -(dy // 2)
    out = set()
    while True:
        out |= box(w, h, x0 - lo, y0 - lo, x0 + hi, y0 + hi)
        if x0 == x1 and y0 == y1:
            return out
        e2 = err
        if e2 > -dx:
            err, x0 = err - dy, x0 + sx
        if e2 < dy:
            err, y0 = err + dx, y0 + sy


def walk_circle(w: int, h: int, cx: int, cy: int, radius: int, t: int) -> set[tuple[int, int]]:
    """Every step of the midpoint circle (8 octants) for each radius of the thick outline."""
    out = set()
    for r in range(max(radius - t // 2, 0), radius + (t - 1) // 2 + 1):
        x, y, err = r, 0, 1 - r
        while x >= y:
            for px, py in ((x, y), (y, x), (-y, x), (-x, y), (-x, -y), (-y, -x), (y, -x),
                           (x, -y)):
                if 0 <= cx + px < w and 0 <= cy + py < h:
                    out.add((cx + px, cy + py))
            y += 1
            if err < 0:
                err += 2 * y + 1
            else:
                x -= 1
                err += 2 * (y - x + 1)
    return out


near = st.integers(-300, 300)


@FAST
@given(sizes, near, near, near, near, thin_or_thick)
def test_module_line_is_the_walk(size: tuple[int, int], x0: int, y0: int, x1: int, y1: int,
                                 t: int) -> None:
    w, h = size
    got = module_drawn(w, h, lambda img: img.draw_line(x0, y0, x1, y1, 255, t))
    assert got == walk_line(w, h, x0, y0, x1, y1, t)
    if t == 1:
        assert got == thin_line_oracle(w, h, x0, y0, x1, y1)


@FAST
@given(sizes, near, near, st.integers(-3, 400), st.integers(-1, 6))
def test_module_circle_is_the_walk(size: tuple[int, int], cx: int, cy: int, r: int,
                                   t: int) -> None:
    w, h = size
    got = module_drawn(w, h, lambda img: img.draw_circle(cx, cy, r, 255, t, False))
    assert got == walk_circle(w, h, cx, cy, r, t) == circle_oracle(w, h, cx, cy, r, t)


@FAST
@given(sizes, near, near, st.integers(-3, 60))
def test_module_disc_is_every_pixel_within_the_radius(size: tuple[int, int], cx: int, cy: int,
                                                      r: int) -> None:
    w, h = size
    got = module_drawn(w, h, lambda img: img.draw_circle(cx, cy, r, 255, 1, True))
    assert got == {(px, py) for py in range(h) for px in range(w)
                   if r >= 0 and (px - cx) ** 2 + (py - cy) ** 2 <= r * r}


# ---- a few thousand pixels away: the module itself ---------------------------------------


@FAST
@given(images(), far, far, far, far, thin_or_thick)
def test_line_from_far_away(spec: tuple[int, int, int, bytes], x0: int, y0: int, x1: int,
                            y1: int, t: int) -> None:
    core, py = pair(spec)
    core.draw_line(x0, y0, x1, y1, 0xA5, t)
    py.draw_line(x0, y0, x1, y1, 0xA5, t)
    assert_same(core, py)


@FAST
@given(images(), st.integers(-12, 24), st.integers(-12, 24), far, thin_or_thick)
def test_line_through_the_image_from_far_away(spec: tuple[int, int, int, bytes], x: int, y: int,
                                              x0: int, t: int) -> None:
    """Lines through a point near the image, ends thousands of pixels out on both sides."""
    core, py = pair(spec)
    y0 = (x0 * 7) // 5
    core.draw_line(x - x0, y - y0, x + x0 + 3, y + y0 - 1, 0x5A, t)
    py.draw_line(x - x0, y - y0, x + x0 + 3, y + y0 - 1, 0x5A, t)
    assert_same(core, py)


@FAST
@given(images(), far, far, st.integers(-3, 4000), st.integers(-1, 5))
def test_circle_from_far_away(spec: tuple[int, int, int, bytes], cx: int, cy: int, r: int,
                              t: int) -> None:
    core, py = pair(spec)
    core.draw_circle(cx, cy, r, 0x3C, t, False)
    py.draw_circle(cx, cy, r, 0x3C, t, False)
    assert_same(core, py)


@FAST
@given(images(), far, far, st.integers(-4, 4), thin_or_thick)
def test_circle_arc_across_the_image(spec: tuple[int, int, int, bytes], cx: int, cy: int,
                                     nudge: int, t: int) -> None:
    """Radii chosen so that the outline crosses the image."""
    core, py = pair(spec)
    r = max(math.isqrt(cx * cx + cy * cy) + nudge, 0)
    core.draw_circle(cx, cy, r, 0x3C, t, False)
    py.draw_circle(cx, cy, r, 0x3C, t, False)
    assert_same(core, py)


@FAST
@given(images(), far, far, st.integers(-3000, 3000), thin_or_thick)
def test_cross_from_far_away(spec: tuple[int, int, int, bytes], x: int, y: int, size: int,
                             t: int) -> None:
    core, py = pair(spec)
    core.draw_cross(x, y, 0x77, size, t)
    py.draw_cross(x, y, 0x77, size, t)
    assert_same(core, py)


# ---- up to +-2^30 and beyond: per-pixel references on the image ----------------------------


@FAST
@given(sizes, huge, huge, st.integers(-12, 24), st.integers(-12, 24))
def test_huge_thin_line(size: tuple[int, int], x0: int, y0: int, x: int, y: int) -> None:
    """From a far point through (x, y) near the image and as far beyond."""
    w, h = size
    x1, y1 = max(min(2 * x - x0, INT_MAX), INT_MIN), max(min(2 * y - y0, INT_MAX), INT_MIN)
    got = drawn_both(w, h, lambda img: img.draw_line(x0, y0, x1, y1, 255, 1))
    assert got == thin_line_oracle(w, h, x0, y0, x1, y1)


@FAST
@given(sizes, huge, huge, huge, huge)
def test_huge_thin_line_anywhere(size: tuple[int, int], x0: int, y0: int, x1: int,
                                 y1: int) -> None:
    w, h = size
    got = drawn_both(w, h, lambda img: img.draw_line(x0, y0, x1, y1, 255, 1))
    assert got == thin_line_oracle(w, h, x0, y0, x1, y1)


@FAST
@given(sizes, st.integers(-BIG, BIG), st.integers(-BIG, BIG), st.integers(1 - BIG, BIG - 1),
       st.booleans(), huge_thickness)
def test_huge_thick_diagonal(size: tuple[int, int], x0: int, y0: int, length: int, anti: bool,
                             t: int) -> None:
    """A 45-degree line steps (x0 + sx k, y0 + sy k): a pixel is covered when some k puts both
    of its coordinates under the brush."""
    w, h = size
    sx = 1 if length >= 0 else -1
    sy = -sx if anti else sx
    x1, y1 = x0 + sx * abs(length), y0 + sy * abs(length)
    lo, hi = t // 2, (t - 1) // 2
    want = set()
    for py in range(h):
        for px in range(w):
            # k with x0 + sx k in [px - hi, px + lo] and y0 + sy k in [py - hi, py + lo]
            ka, kb = sorted(((px - hi - x0) * sx, (px + lo - x0) * sx))
            kc, kd = sorted(((py - hi - y0) * sy, (py + lo - y0) * sy))
            if max(ka, kc, 0) <= min(kb, kd, abs(length)):
                want.add((px, py))
    assert drawn_both(w, h, lambda img: img.draw_line(x0, y0, x1, y1, 255, t)) == want


@FAST
@given(sizes, huge, huge, huge, st.booleans(), huge_thickness)
def test_huge_axis_line(size: tuple[int, int], a0: int, a1: int, b: int, vertical: bool,
                        t: int) -> None:
    w, h = size
    x0, y0, x1, y1 = (b, a0, b, a1) if vertical else (a0, b, a1, b)
    got = drawn_both(w, h, lambda img: img.draw_line(x0, y0, x1, y1, 255, t))
    assert got == axis_line_oracle(w, h, x0, y0, x1, y1, t)


@FAST
@given(sizes, huge, huge, huge, st.one_of(huge_thickness, st.integers(-3, 0)))
def test_huge_cross(size: tuple[int, int], x: int, y: int, size_arg: int, t: int) -> None:
    w, h = size
    got = drawn_both(w, h, lambda img: img.draw_cross(x, y, 255, size_arg, t))
    want = (axis_line_oracle(w, h, x - size_arg, y, x + size_arg, y, t)
            | axis_line_oracle(w, h, x, y - size_arg, x, y + size_arg, t))
    assert got == want


@FAST
@given(sizes, huge, huge, st.integers(-6, 6), st.one_of(st.integers(-1, 6), huge_thickness))
def test_huge_circle_across_the_image(size: tuple[int, int], cx: int, cy: int, nudge: int,
                                      t: int) -> None:
    """Centre up to 2^31 away, radius chosen so the outline (or the thick band) crosses."""
    w, h = size
    r = max(min(math.isqrt(cx * cx + cy * cy) + nudge, INT_MAX), 0)
    got = drawn_both(w, h, lambda img: img.draw_circle(cx, cy, r, 255, t, False))
    assert got == circle_oracle(w, h, cx, cy, r, t)


@FAST
@given(sizes, huge, huge, huge, st.one_of(st.integers(-1, 6), huge_thickness))
def test_huge_circle_anywhere(size: tuple[int, int], cx: int, cy: int, r: int, t: int) -> None:
    w, h = size
    got = drawn_both(w, h, lambda img: img.draw_circle(cx, cy, r, 255, t, False))
    assert got == circle_oracle(w, h, cx, cy, r, t)


def test_huge_cases_of_the_report() -> None:
    """The calls that took seconds to minutes before."""
    assert drawn_both(8, 8, lambda img: img.draw_circle(4, 4, BIG, 255)) == set()
    assert drawn_both(8, 8, lambda img: img.draw_circle(4, 4, 3, 255, BIG)) == circle_oracle(
        8, 8, 4, 4, 3, BIG)
    diagonal = {(i, i) for i in range(8)}
    assert drawn_both(8, 8, lambda img: img.draw_line(-BIG, -BIG, BIG, BIG, 255)) == diagonal
    everything = box(8, 8, 0, 0, 7, 7)
    assert drawn_both(8, 8, lambda img: img.draw_cross(4, 4, 255, BIG, 2**20)) == everything
    assert drawn_both(8, 8, lambda img: img.draw_circle(4, 4, BIG, 255, 1, True)) == everything
    assert drawn_both(8, 8, lambda img: img.draw_rectangle(-BIG, -BIG, BIG, BIG, 255, 2**20)) == (
        everything)


# ---- other drawing with huge arguments ------------------------------------------------------


def test_string_with_a_huge_scale_shows_one_font_cell() -> None:
    """At scale 2^20 an 8 x 8 window inside glyph cell (row, col) is that font bit everywhere."""
    scale = float(2**20)
    bitmap = font.glyph("A")
    first, _ = font.lit_columns(bitmap)
    for row in range(font.CELL_H):
        for col in range(3):
            x, y = -(col * 2**20 + 5), -(row * 2**20 + 5)
            got = drawn_both(8, 8, lambda img, x=x, y=y: img.draw_string(x, y, "A", 255, scale,
                                                                          BIG, BIG))
            lit = bool(bitmap[row, min(first + col, font.CELL_W - 1)])
            assert got == (box(8, 8, 0, 0, 7, 7) if lit else set())


@given(st.integers(-(2**22), 8), st.integers(-(2**22), 8),
       st.sampled_from([2.0**20, 2.0**20 + 0.5, 1e6, 3e5]), st.sampled_from(["\x01", "Q", "\x7f"]))
@FAST
def test_string_at_a_huge_scale_is_the_same_in_both(x: int, y: int, scale: float,
                                                    text: str) -> None:
    """Glyphs and the hollow box of a non-printable character, seen through an 8 x 8 window."""
    drawn_both(8, 8, lambda img: img.draw_string(x, y, text + "W", 255, scale, -BIG, 5))


def test_string_with_huge_spacing_draws_the_first_glyph_only() -> None:
    core, py = pair((16, 14, GRAYSCALE, bytes(16 * 14)))
    core.draw_string(1, 1, "AB\nC", 0xFF, 1.0, BIG, BIG)
    py.draw_string(1, 1, "A", 0xFF, 1.0)
    assert_same(core, py)
    assert core.tobytes() != bytes(16 * 14)


def test_draw_image_with_a_huge_scale() -> None:
    """Scale 1e9: output pixel i reads source column trunc(i / 1e9), the same in both."""
    for fmt in (GRAYSCALE, RGB565):
        src_bytes = bytes(range(9, 9 - 4 * fmt, -1))
        for x, y, x_scale, y_scale, want in [(0, 0, 1e9, 1e9, 0), (-BIG, -BIG, 1e9, 1e9, 3),
                                             (-BIG, 3, 1e9, 1e9, 1), (2, -BIG, 3e8, 1e9, 2)]:
            core, py = pair((8, 8, fmt, bytes(64 * fmt)))
            core_src, py_src = pair((2, 2, fmt, src_bytes))
            core.draw_image(core_src, x, y, x_scale, y_scale)
            py.draw_image(py_src, x, y, x_scale, y_scale)
            assert_same(core, py)
            pixels = np.frombuffer(core.tobytes(), np.uint8).reshape(8, 8, fmt)
            assert (pixels[max(y, 0):, max(x, 0):] == tuple(src_bytes[want * fmt:][:fmt])).all()
