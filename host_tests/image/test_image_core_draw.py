"""C image core against the Python ``image`` module, bit for bit: draw_rectangle (spec 2.9),
draw_line/circle/cross (the Python module's geometry) and draw_image (spec 2.11), with
clipping at the borders, far-off and int32-extreme coordinates, thickness, fill, scale, alpha
and masks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage
from maixkpu.maixpy.imaging import tables

from .pairs import FAST, assert_same, coords, firmware, images, pair, raises_same

colours = st.integers(0, 0xFFFF)
thickness = st.integers(-2, 7)


def stored(core: CoreImage, colour: int) -> int:
    return colour & (0xFF if core.fmt == GRAYSCALE else 0xFFFF)


@FAST
@given(images(), coords, coords, st.integers(-5, 25), st.integers(-5, 25), colours, thickness,
       st.booleans())
def test_draw_rectangle(spec: tuple[int, int, int, bytes], x: int, y: int, w: int, h: int,
                        colour: int, t: int, fill: bool) -> None:
    core, py = pair(spec)
    core.draw_rectangle(x, y, w, h, stored(core, colour), t, fill)
    py.draw_rectangle(x, y, w, h, colour, t, fill)
    assert_same(core, py)


@pytest.mark.parametrize("fmt", [GRAYSCALE, RGB565])
def test_draw_rectangle_every_thickness(fmt: int) -> None:
    for t in range(-1, 7):
        for x, y, w, h in [(2, 3, 5, 4), (0, 0, 1, 1), (-2, 5, 4, 9), (6, -1, 7, 2), (3, 3, 0, 4)]:
            for fill in (False, True):
                core, py = pair((11, 9, fmt, bytes(99 * fmt)))
                core.draw_rectangle(x, y, w, h, 0xC3, t, fill)
                py.draw_rectangle(x, y, w, h, 0xC3, t, fill)
                assert_same(core, py)


@pytest.mark.parametrize("fmt", [GRAYSCALE, RGB565])
def test_lines_circles_crosses_every_thickness(fmt: int) -> None:
    for t in range(-1, 6):
        core, py = pair((15, 13, fmt, bytes(195 * fmt)))
        for args in [(0, 0, 14, 12), (14, 0, 0, 12), (-5, 6, 20, 6), (7, -3, 7, 20), (3, 9, 11, 1)]:
            core.draw_line(*args, 0x5A, t)
            py.draw_line(*args, 0x5A, t)
        for cx, cy, r in [(7, 6, 5), (0, 0, 3), (14, 12, 8), (5, 5, 0)]:
            core.draw_circle(cx, cy, r, 0x3C, t, False)
            py.draw_circle(cx, cy, r, 0x3C, t, False)
        core.draw_circle(10, 4, t + 2, 0x99, 1, True)
        py.draw_circle(10, 4, t + 2, 0x99, 1, True)
        core.draw_cross(4, 8, 0x77, t + 1, t)
        py.draw_cross(4, 8, 0x77, t + 1, t)
        assert_same(core, py)


def test_draw_rectangle_int32_extremes() -> None:
    big, small = 2**31 - 1, -(2**31)
    for args in [(small, small, big, big), (big, big, big, big), (small, 0, 5, 5),
                 (0, 0, big, 3), (-3, -3, 8, 8)]:
        core, py = pair((6, 5, RGB565, bytes(60)))
        core.draw_rectangle(*args, 0x1234, 3, False)
        py.draw_rectangle(*args, 0x1234, 3, False)
        assert_same(core, py)
        core.draw_rectangle(*args, 0x4321, 1, True)
        py.draw_rectangle(*args, 0x4321, 1, True)
        assert_same(core, py)


line_coords = st.integers(-40, 50)


@FAST
@given(images(), line_coords, line_coords, line_coords, line_coords, colours, thickness)
def test_draw_line(spec: tuple[int, int, int, bytes], x0: int, y0: int, x1: int, y1: int,
                   colour: int, t: int) -> None:
    core, py = pair(spec)
    core.draw_line(x0, y0, x1, y1, stored(core, colour), t)
    py.draw_line(x0, y0, x1, y1, colour, t)
    assert_same(core, py)


@FAST
@given(images(), line_coords, line_coords, st.integers(-3, 30), colours, thickness,
       st.booleans())
def test_draw_circle(spec: tuple[int, int, int, bytes], x: int, y: int, r: int, colour: int,
                     t: int, fill: bool) -> None:
    core, py = pair(spec)
    core.draw_circle(x, y, r, stored(core, colour), t, fill)
    py.draw_circle(x, y, r, colour, t, fill)
    assert_same(core, py)


@FAST
@given(images(), line_coords, line_coords, colours, st.integers(-3, 12), thickness)
def test_draw_cross(spec: tuple[int, int, int, bytes], x: int, y: int, colour: int, size: int,
                    t: int) -> None:
    core, py = pair(spec)
    core.draw_cross(x, y, stored(core, colour), size, t)
    py.draw_cross(x, y, colour, size, t)
    assert_same(core, py)


blit_scales = st.one_of(st.sampled_from([1.0, 0.0, 2.0, 0.5, -0.5, 3.0]), st.floats(0.1, 3.0))
alphas = st.one_of(st.just(256), st.integers(0, 256), st.integers(-1, 257))


@FAST
@given(images(max_side=10), images(max_side=10), line_coords, line_coords, blit_scales,
       blit_scales, alphas, st.sampled_from(["full", "minimum"]))
def test_draw_image(dst_spec: tuple[int, int, int, bytes], src_spec: tuple[int, int, int, bytes],
                    x: int, y: int, x_scale: float, y_scale: float, alpha: int,
                    flavour: str) -> None:
    core, py = pair(dst_spec)
    core_src, py_src = pair(src_spec)
    with firmware(flavour):
        raises_same(
            lambda: core.draw_image(core_src, x, y, x_scale, y_scale, alpha, firmware=flavour),
            lambda: py.draw_image(py_src, x, y, x_scale, y_scale, alpha),
        )
    assert_same(core, py)


@FAST
@given(images(max_side=10), images(max_side=10), images(max_side=8), st.integers(-5, 8),
       st.integers(-5, 8), st.sampled_from([1.0, 2.0, 0.7]), alphas.filter(lambda a: 0 <= a),
       st.sampled_from(["full", "minimum"]))
def test_draw_image_with_mask(dst_spec: tuple[int, int, int, bytes],
                              src_spec: tuple[int, int, int, bytes],
                              mask_spec: tuple[int, int, int, bytes], x: int, y: int,
                              scale: float, alpha: int, flavour: str) -> None:
    core, py = pair(dst_spec)
    core_src, py_src = pair(src_spec)
    core_mask, py_mask = pair(mask_spec)
    alpha = min(alpha, 256)
    with firmware(flavour):
        py.draw_image(py_src, x, y, scale, scale, alpha, py_mask)
    core.draw_image(core_src, x, y, scale, scale, alpha, core_mask, firmware=flavour)
    assert_same(core, py)


@pytest.mark.parametrize("dst_fmt", [GRAYSCALE, RGB565])
@pytest.mark.parametrize("src_fmt", [GRAYSCALE, RGB565])
def test_draw_image_alpha_blending(dst_fmt: int, src_fmt: int) -> None:
    rng = np.random.default_rng(dst_fmt * 10 + src_fmt)
    dst_bytes = rng.integers(0, 256, 7 * 6 * dst_fmt, dtype=np.uint8).tobytes()
    src_bytes = rng.integers(0, 256, 5 * 4 * src_fmt, dtype=np.uint8).tobytes()
    for alpha in (0, 1, 64, 128, 200, 255, 256):
        for x, y, scale in [(0, 0, 1.0), (2, -1, 1.5), (-1, 3, 0.6)]:
            core, py = pair((7, 6, dst_fmt, dst_bytes))
            core_src, py_src = pair((5, 4, src_fmt, src_bytes))
            core.draw_image(core_src, x, y, scale, scale, alpha)
            py.draw_image(py_src, x, y, scale, scale, alpha)
            assert_same(core, py)


@pytest.mark.parametrize("flavour", ["full", "minimum"])
def test_draw_image_mask_threshold(flavour: str) -> None:
    """A gray mask counts from 128 up; an RGB565 mask where its gray (per firmware) does."""
    gray_mask = bytes([0, 127, 128, 255, 129, 126])
    gray_of = tables.GRAY_FULL if flavour == "full" else tables.GRAY_MINIMUM
    present = set(gray_of.tolist())
    below = max(g for g in present if g < 128)
    above = min(g for g in present if g >= 128)
    levels = (min(present), below, above, max(present), above, below)
    words = [int(np.flatnonzero(gray_of == g)[0]) for g in levels]
    rgb_mask = b"".join(w.to_bytes(2, "little") for w in words)
    for mask_spec in [(3, 2, GRAYSCALE, gray_mask), (3, 2, RGB565, rgb_mask)]:
        core, py = pair((3, 2, RGB565, bytes(12)))
        core_src, py_src = pair((3, 2, RGB565, bytes(range(100, 112))))
        core_mask, py_mask = pair(mask_spec)
        with firmware(flavour):
            py.draw_image(py_src, 0, 0, 1.0, 1.0, 256, py_mask)
        core.draw_image(core_src, 0, 0, 1.0, 1.0, 256, core_mask, firmware=flavour)
        assert_same(core, py)
        drawn = [core.get_pixel(i % 3, i // 3) != 0 for i in range(6)]
        assert drawn == [False, False, True, True, True, False]


def test_draw_image_gray_on_rgb565_is_red_black() -> None:
    """The seed feature-map mosaic effect: gray g lands as the raw word g."""
    dst = CoreImage(2, 1, RGB565)
    src = CoreImage(2, 1, GRAYSCALE, bytes([200, 7]))
    dst.draw_image(src, 0, 0)
    assert dst.tobytes() == bytes([200, 0, 7, 0])
    assert dst.get_pixel_rgb(0, 0) == (int(tables.RB528[200 >> 3]),
                                       int(tables.G628[(200 & 7) << 3]), 0)


def test_draw_image_onto_itself_is_refused() -> None:
    img = CoreImage(4, 4, RGB565)
    with pytest.raises(ValueError, match="source and destination overlap"):
        img.draw_image(img, 1, 1)
