"""C image core: misuse of the C interface gives a status, never a crash (NULL images, negative
sizes, unknown formats, missing pixels, output images of the wrong size)."""
from __future__ import annotations

import pytest

from maixkpu._core import ffi, lib
from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage


def bad_images() -> list[tuple[str, object, int]]:
    out: list[tuple[str, object, int]] = [("NULL", ffi.NULL, lib.IMG_ERR_ARGUMENT)]
    neg = ffi.new("img_t *", {"w": -1, "h": 2, "format": GRAYSCALE})
    fmt = ffi.new("img_t *", {"w": 2, "h": 2, "format": 3})
    nopix = ffi.new("img_t *", {"w": 2, "h": 2, "format": RGB565})
    out += [("negative width", neg, lib.IMG_ERR_ARGUMENT), ("format 3", fmt, lib.IMG_ERR_FORMAT),
            ("no pixels", nopix, lib.IMG_ERR_ARGUMENT)]
    return out


@pytest.mark.parametrize(("label", "img", "status"), bad_images())
def test_bad_images_are_refused_everywhere(label: str, img: object, status: int) -> None:
    good = CoreImage(4, 4, RGB565)
    value = ffi.new("uint32_t *")
    rect = ffi.new("img_rect_t *")
    ow, oh = ffi.new("int *"), ffi.new("int *")
    calls = [
        lambda: lib.img_check(img),
        lambda: lib.img_get_pixel(img, 0, 0, value),
        lambda: lib.img_set_pixel(img, 0, 0, 1),
        lambda: lib.img_clear(img),
        lambda: lib.img_clip_roi(img, ffi.NULL, rect),
        lambda: lib.img_invert(img),
        lambda: lib.img_pix_to_ai(img),
        lambda: lib.img_ai_to_pix(img),
        lambda: lib.img_stretch(img, 0, 255),
        lambda: lib.img_strech_char(img, 0),
        lambda: lib.img_resize(good.struct(), img, 0),
        lambda: lib.img_resize(img, good.struct(), 0),
        lambda: lib.img_cut(img, good.struct(), 0, 0),
        lambda: lib.img_copy_size(img, ffi.NULL, 1.0, 1.0, rect, ow, oh),
        lambda: lib.img_draw_rectangle(img, 0, 0, 2, 2, 1, 1, 0),
        lambda: lib.img_draw_line(img, 0, 0, 2, 2, 1, 1),
        lambda: lib.img_draw_circle(img, 0, 0, 2, 1, 1, 0),
        lambda: lib.img_draw_string(img, 0, 0, b"a", 1, 1, 1.0, 0, 2, 0),
        lambda: lib.img_draw_image(good.struct(), img, 0, 0, 1.0, 1.0, 256, ffi.NULL, 0),
        lambda: lib.img_draw_image(img, good.struct(), 0, 0, 1.0, 1.0, 256, ffi.NULL, 0),
        lambda: lib.img_to_grayscale(good.struct(), img, 0),
        lambda: lib.img_bmp_encode(img, ffi.NULL, ffi.new("uint8_t[]", 4096), 4096, ffi.NULL),
    ]
    for i, call in enumerate(calls):
        assert call() == status, f"call {i} with {label}"


def test_outputs_of_the_wrong_size_or_format() -> None:
    src = CoreImage(4, 3, RGB565)
    assert lib.img_to_grayscale(CoreImage(3, 3, GRAYSCALE).struct(), src.struct(), 0) == \
        lib.IMG_ERR_ARGUMENT
    assert lib.img_resize(CoreImage(2, 2, GRAYSCALE).struct(), src.struct(), 0) == \
        lib.IMG_ERR_ARGUMENT
    assert lib.img_cut(CoreImage(2, 2, GRAYSCALE).struct(), src.struct(), 0, 0) == \
        lib.IMG_ERR_ARGUMENT
    bmp = src.to_bmp()
    assert lib.img_bmp_decode(bmp, len(bmp), CoreImage(4, 4, RGB565).struct()) == \
        lib.IMG_ERR_ARGUMENT
    clipped = ffi.new("img_rect_t *", {"x": 2, "y": 0, "w": 3, "h": 3})  # past the right edge
    assert lib.img_copy(CoreImage(3, 3, RGB565).struct(), src.struct(), clipped, 1.0, 1.0) == \
        lib.IMG_ERR_ARGUMENT


def test_resize_and_cut_refuse_overlapping_output() -> None:
    img = CoreImage(4, 4, GRAYSCALE)
    s = img.struct()
    assert lib.img_resize(s, s, 0) == lib.IMG_ERR_OVERLAP
    assert lib.img_cut(s, s, 0, 0) == lib.IMG_ERR_OVERLAP


def test_every_header_function_is_in_the_extension() -> None:
    """tools/maixkpu/cdefs/img.h follows the core's headers: no function left out."""
    import re
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "modules" / "image" / "core"
    text = (core / "img.h").read_text() + (core / "img_status.h").read_text()
    names = set(re.findall(r"\b(img_[a-z0-9_]+)\s*\(", text))
    assert len(names) > 40
    assert sorted(n for n in names if not hasattr(lib, n)) == []
