"""C image core against the Python ``image`` module, bit for bit: draw_rectangle (spec 2.9),
draw_line/circle/cross (the Python module's geometry) and draw_image (spec 2.11), with
clipping at the borders, far-off and int32-extreme coordinates, thickness, fill, scale, alpha
and masks."""
from __future__ import annotations

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
alphas = st.one_of(st.just(256), st.integers(-1, 257))


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
