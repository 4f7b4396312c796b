"""C image core against the Python ``image`` module, bit for bit: pixels, conversions, KPU
planes, resize, cut, copy, stretch (spec 2.4-2.8, 2.12, 2.13). Random images of both formats
and odd sizes, coordinates on, around and far off the image."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maixkpu._core import ffi, lib
from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage, check
from maixkpu.maixpy.image import Image

from .pairs import FAST, assert_same, coords, firmware, images, pair, raises_same

firmwares = st.sampled_from(["full", "minimum"])


@FAST
@given(images(), coords, coords)
def test_get_pixel(spec: tuple[int, int, int, bytes], x: int, y: int) -> None:
    core, py = pair(spec)
    assert core.get_pixel(x, y) == py.get_pixel(x, y, False)
    assert core.get_pixel_rgb(x, y) == py.get_pixel(x, y, True)


@FAST
@given(images(), st.lists(st.tuples(coords, coords, st.integers(-(2**31), 2**31 - 1)),
                          max_size=8))
def test_set_pixel(spec: tuple[int, int, int, bytes], writes: list[tuple[int, int, int]]) -> None:
    core, py = pair(spec)
    for x, y, value in writes:
        py.set_pixel(x, y, value)
        core.set_pixel(x, y, value & (0xFF if core.fmt == GRAYSCALE else 0xFFFF))
    assert_same(core, py)


@FAST
@given(images(), st.booleans(), firmwares)
def test_to_grayscale(spec: tuple[int, int, int, bytes], copy: bool, flavour: str) -> None:
    core, py = pair(spec)
    with firmware(flavour):
        py_out = py.to_grayscale(copy=copy)
    core_out = core.to_grayscale(copy=copy, firmware=flavour)
    assert_same(core_out, py_out)
    if not copy:  # in place: the bytes after w*h keep the RGB565 bytes
        assert core.buf.tobytes() == py._buf.tobytes()


@FAST
@given(images())
def test_to_rgb565_and_invert(spec: tuple[int, int, int, bytes]) -> None:
    core, py = pair(spec)
    assert_same(core.to_rgb565(), py.to_rgb565(copy=True))
    core.invert()
    py._invert()
    assert_same(core, py)


def test_to_rgb565_in_place_is_refused() -> None:
    gray = CoreImage(3, 2, GRAYSCALE, bytes(range(6)))
    s = gray.struct()
    with pytest.raises(OSError, match="Can't convert to rgb565 in place!"):
        check(lib.img_to_rgb565(s, s))


@FAST
@given(images())
def test_pix_to_ai_and_back(spec: tuple[int, int, int, bytes]) -> None:
    core, py = pair(spec)
    core.pix_to_ai()
    py.pix_to_ai()
    n = core.w * core.h * (3 if core.fmt == RGB565 else 1)
    assert core.pix_ai is not None and py.pix_ai is not None
    assert core.pix_ai.size == py.pix_ai.size  # MaixPy's padded allocation
    assert core.pix_ai[:n].tobytes() == py.pix_ai[:n].tobytes()
    rng = np.random.default_rng(len(spec[3]))
    planes = rng.integers(0, 256, size=core.pix_ai.size, dtype=np.uint8)
    core.pix_ai[:] = planes
    py.pix_ai[:] = planes
    core.ai_to_pix()
    py.ai_to_pix()
    assert_same(core, py)


def test_pix_to_ai_needs_planes_and_ai_to_pix_without_them_does_nothing() -> None:
    img = CoreImage(2, 2, RGB565, bytes(range(8)))
    with pytest.raises(ValueError, match="pix_ai not allocated"):
        check(lib.img_pix_to_ai(img.struct()))
    check(lib.img_ai_to_pix(img.struct()))
    assert img.tobytes() == bytes(range(8))
    gray = CoreImage(2, 2, GRAYSCALE, bytes([1, 2, 3, 4]))
    s = gray.struct()
    s.pix_ai = s.pixels  # a grayscale snapshot: the planes are the pixels
    check(lib.img_pix_to_ai(s))
    assert ffi.buffer(s.pix_ai, 4)[:] == bytes([1, 2, 3, 4])


sizes = st.integers(1, 30)


@FAST
@given(images(max_side=16), sizes, sizes, st.booleans())
def test_resize(spec: tuple[int, int, int, bytes], w: int, h: int, gray_in_place: bool) -> None:
    core, py = pair(spec)
    if gray_in_place and core.fmt == RGB565:
        # the MNIST pipeline: the box path reads the RGB565 bytes left after the gray view
        core.to_grayscale()
        py.to_grayscale()
    assert_same(core.resize(w, h), py.resize(w, h))


@pytest.mark.parametrize(("w0", "h0", "w", "h"), [
    (224, 224, 28, 28), (320, 240, 28, 28), (320, 240, 224, 224), (28, 28, 56, 56),
    (320, 240, 640, 480), (64, 64, 100, 20), (5, 3, 5, 3),
])
@pytest.mark.parametrize("fmt", [GRAYSCALE, RGB565])
def test_resize_sizes_of_the_scripts(w0: int, h0: int, w: int, h: int, fmt: int) -> None:
    rng = np.random.default_rng(w0 * h + h0 * w)
    data = rng.integers(0, 256, size=w0 * h0 * fmt, dtype=np.uint8).tobytes()
    core, py = pair((w0, h0, fmt, data))
    assert_same(core.resize(w, h), py.resize(w, h))


@pytest.mark.parametrize(("w", "h"), [(0, 3), (3, 0), (0, 0)])
@pytest.mark.parametrize("fmt", [GRAYSCALE, RGB565])
def test_resize_to_nothing(w: int, h: int, fmt: int) -> None:
    core, py = pair((5, 4, fmt, bytes(range(20 * fmt))))
    out = core.resize(w, h)
    assert (out.w, out.h, out.tobytes()) == (w, h, b"")
    if fmt == RGB565:  # (the Python gray box path fails on an empty output)
        with np.errstate(divide="ignore"):
            assert_same(out, py.resize(w, h))


@FAST
@given(images(), coords, coords, st.integers(0, 20), st.integers(0, 20))
def test_cut(spec: tuple[int, int, int, bytes], x: int, y: int, w: int, h: int) -> None:
    core, py = pair(spec)
    assert_same(core.cut(x, y, w, h), py.cut(x, y, w, h))


rois = st.one_of(st.none(), st.tuples(st.integers(-15, 20), st.integers(-15, 20),
                                      st.integers(-2, 20), st.integers(-2, 20)))
scales = st.one_of(st.sampled_from([1.0, 0.5, 2.0, 0.0, -1.0, 0.3, 1.7, 0.01]),
                   st.floats(0.05, 4.0))


@FAST
@given(images(), rois, scales, scales)
def test_copy(spec: tuple[int, int, int, bytes], roi: tuple[int, int, int, int] | None,
              x_scale: float, y_scale: float) -> None:
    core, py = pair(spec)
    out: dict[str, object] = {}

    def run_c() -> None:
        out["c"] = core.copy(roi, x_scale, y_scale)

    def run_py() -> None:
        out["py"] = py.copy(roi, x_scale, y_scale)

    if raises_same(run_c, run_py) is None:
        c, p = out["c"], out["py"]
        assert isinstance(c, CoreImage) and isinstance(p, Image)
        assert_same(c, p)


@FAST
@given(images(fmt=GRAYSCALE), st.integers(-300, 300), st.integers(-300, 300))
def test_stretch(spec: tuple[int, int, int, bytes], low: int, high: int) -> None:
    core, py = pair(spec)
    core.stretch(low, high)
    py.stretch(low, high)
    assert_same(core, py)


@FAST
@given(st.integers(3, 9), st.integers(3, 9), st.integers(0, 255), st.integers(0, 60),
       st.integers(0, 2**32), st.sampled_from([(64, 255), (0, 255), (10, 20), (255, 0)]))
def test_stretch_low_contrast(w: int, h: int, base: int, spread: int, seed: int,
                              target: tuple[int, int]) -> None:
    """Narrow interior ranges reach every scale up to the cap of 5 (spec 2.12's table)."""
    rng = np.random.default_rng(seed)
    values = np.clip(base + rng.integers(0, spread + 1, size=w * h), 0, 255).astype(np.uint8)
    core, py = pair((w, h, GRAYSCALE, values.tobytes()))
    core.stretch(*target)
    py.stretch(*target)
    assert_same(core, py)


def test_stretch_scale_table_of_the_seed_demo() -> None:
    """stretch(64, 255): interior range r gives scale 0 (r >= 192), 1, 2, 3, 4 or 5 (r <= 38)."""
    for r, scale in [(200, 0), (100, 1), (70, 2), (50, 3), (40, 4), (38, 5), (1, 5)]:
        pixels = np.full((5, 5), 10, np.uint8)
        pixels[2, 2] = 10 + r
        pixels[0, 0] = 3  # a border pixel below the interior minimum
        img = CoreImage(5, 5, GRAYSCALE, pixels.reshape(-1).copy())
        img.stretch(64, 255)
        want = ((pixels.astype(np.int64) - 10) * scale + 64) & 0xFF
        assert img.tobytes() == want.astype(np.uint8).tobytes(), r


@FAST
@given(images(fmt=GRAYSCALE), st.integers(-1, 2))
def test_strech_char(spec: tuple[int, int, int, bytes], de_dark: int) -> None:
    core, py = pair(spec)
    core.strech_char(de_dark)
    py.strech_char(de_dark)
    assert_same(core, py)


def test_gray_only_operations_refuse_rgb565() -> None:
    img = CoreImage(4, 4, RGB565)
    for call in (lambda: img.stretch(0, 255), lambda: img.strech_char(0)):
        with pytest.raises(OSError, match="Image format is not supported!"):
            call()


@pytest.mark.parametrize(("w", "h"), [(0, 0), (0, 5), (4, 0)])
@pytest.mark.parametrize("fmt", [GRAYSCALE, RGB565])
def test_empty_images(w: int, h: int, fmt: int) -> None:
    """Zero-size images: every operation is a no-op or an empty result, as in Python."""
    core, py = pair((w, h, fmt, b""))
    assert core.get_pixel(0, 0) is None and py.get_pixel(0, 0) is None
    core.set_pixel(0, 0, 1)
    core.invert()
    core.draw_rectangle(-1, -1, 5, 5, 7, 2, False)
    py.draw_rectangle(-1, -1, 5, 5, 7, 2, False)
    core.draw_string(0, 0, "ab", 7)
    py.draw_string(0, 0, "ab", 7)
    core.draw_image(CoreImage(2, 2, fmt), 0, 0)
    core.pix_to_ai()
    py.pix_to_ai()
    assert_same(core, py)
    assert_same(core.to_grayscale(copy=True), py.to_grayscale(copy=True))
    assert_same(core.cut(0, 0, 2, 2), py.cut(0, 0, 2, 2))
    error = raises_same(lambda: core.copy((0, 0, 1, 1)), lambda: py.copy((0, 0, 1, 1)))
    assert error == (OSError, "ROI does not overlap on the image!")
