"""C image core: the pixel model (spec 1.2-1.5) and the status table (spec 6), against the
Python module's tables and the spec's published checksums."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maixkpu import image_core as ic
from maixkpu._core import ffi, lib
from maixkpu.maixpy.imaging import tables

from .pairs import FAST, formats

ALL_WORDS = np.arange(65536)


@pytest.mark.parametrize(
    ("name", "table"),
    [("img_rb528", tables.RB528), ("img_g628", tables.G628), ("img_rb825", tables.RB825),
     ("img_g826", tables.G826)],
)
def test_expansion_and_compression_tables(name: str, table: np.ndarray) -> None:
    c_table = getattr(lib, name)
    assert [c_table[i] for i in range(table.size)] == table.tolist()


def _c_gray_table(firmware: str) -> np.ndarray:
    return np.array([ic.gray_from_rgb565(int(q), firmware) for q in ALL_WORDS], dtype=np.uint8)


@pytest.mark.parametrize(
    ("firmware", "python_table", "sha_by_standard"),
    [
        ("full", tables.GRAY_FULL,
         "aac80feb1d6e563f2a8d8e7782b4bc9e55ed59dcb52ec2624fba622948944c97"),
        ("minimum", tables.GRAY_MINIMUM,
         "72d9c7d429b6e76165429eebe44a15d8d039baac05ce06c62b4774a0784cd848"),
    ],
)
def test_gray_tables_match_python_and_spec(
    firmware: str, python_table: np.ndarray, sha_by_standard: str
) -> None:
    table = _c_gray_table(firmware)
    assert np.array_equal(table, python_table)
    standard = ((ALL_WORDS >> 8) | (ALL_WORDS << 8)) & 0xFFFF  # s -> q is the byte swap
    assert hashlib.sha256(table[standard].tobytes()).hexdigest() == sha_by_standard


def test_gray_examples_of_the_spec() -> None:
    swap = lib.img_rgb565_swap
    expected = {0xF800: 76, 0x07E0: 149, 0x001F: 29, 0xFFFF: 255, 0x8410: 130}
    assert {s: ic.gray_from_rgb565(swap(s)) for s in expected} == expected
    assert ic.gray_from_rgb565(0xFFFF, "minimum") == 254


def test_rgb888_round_trip_and_driver_helpers() -> None:
    r, g, b = ffi.new("uint8_t *"), ffi.new("uint8_t *"), ffi.new("uint8_t *")
    for q in range(0, 65536, 7):
        lib.img_rgb888_from_rgb565(q, r, g, b)
        assert tuple(tables.raw_to_rgb888(np.uint16(q))) == (r[0], g[0], b[0])
        assert lib.img_rgb565_from_rgb888(r[0], g[0], b[0]) == q
    # 8-bit inputs are clamped, rounding as rb825/g826
    assert lib.img_rgb565_from_rgb888(-5, 300, 128) == int(
        tables.rgb888_to_raw(np.array([0, 255, 128], np.uint8)))
    assert lib.img_rgb565_from_gray(200) == int(tables.gray_to_raw(np.uint8(200)))


@FAST
@given(formats, st.integers(-(2**63), 2**63 - 1))
def test_int_colours(fmt: int, value: int) -> None:
    assert ic.color_from_int(fmt, value) == tables.parse_color(value, fmt)


@FAST
@given(formats, st.tuples(*[st.integers(-1000, 1000)] * 3), st.sampled_from(["full", "minimum"]))
def test_tuple_colours(fmt: int, rgb: tuple[int, int, int], firmware: str) -> None:
    old = tables.firmware()
    tables.set_firmware(firmware)
    try:
        want = tables.parse_color(rgb, fmt)
    finally:
        tables.set_firmware(old)
    assert ic.color_from_rgb(fmt, *rgb, firmware=firmware) == want


# The texts of spec section 6 (and the core's own, marked "not MaixPy" in img_status.h).
STATUS_TEXTS = {
    "IMG_ERR_FORMAT": (OSError, "Image format is not supported!"),
    "IMG_ERR_NOT_ENOUGH_ARGS": (OSError, "Not enough positional arguments!"),
    "IMG_ERR_ROI_DIMENSIONS": (OSError, "Invalid ROI dimensions!"),
    "IMG_ERR_ROI_OVERLAP": (OSError, "ROI does not overlap on the image!"),
    "IMG_ERR_SCALE": (OSError, "Error: 0 < scale!"),
    "IMG_ERR_X_SCALE": (OSError, "Error: 0.0 <= x_scale!"),
    "IMG_ERR_Y_SCALE": (OSError, "Error: 0.0 <= y_scale!"),
    "IMG_ERR_ALPHA": (OSError, "Error: 0 <= alpha <= 256!"),
    "IMG_ERR_OUT_WIDTH_ZERO": (OSError, "Output image width is 0!"),
    "IMG_ERR_OUT_HEIGHT_ZERO": (OSError, "Output image height is 0!"),
    "IMG_ERR_FB_MAIN": (OSError, "The new image won't fit in the main frame buffer!"),
    "IMG_ERR_FB_TARGET": (OSError, "The new image won't fit in the target frame buffer!"),
    "IMG_ERR_GRAY_IN_PLACE": (OSError, "Can't convert to grayscale in place!"),
    "IMG_ERR_RGB565_IN_PLACE": (OSError, "Can't convert to rgb565 in place!"),
    "IMG_ERR_SLICE_STEP": (OSError, "only slices with step=1 (aka None) are supported"),
    "IMG_ERR_GROW_SHRINK": (OSError, "cannot grow or shrink image"),
    "IMG_ERR_INDEX": (IndexError, "Image index out of range"),
    "IMG_ERR_QUALITY": (OSError, "Error: 1 <= quality <= 100!"),
    "IMG_ERR_NOT_BMP": (OSError, "Image is not BMP!"),
    "IMG_ERR_NOT_PPM": (OSError, "Image is not PPM!"),
    "IMG_ERR_NOT_PGM": (OSError, "Image is not PGM!"),
    "IMG_ERR_NOT_BAYER": (OSError, "Image is not BAYER!"),
    "IMG_ERR_UNKNOWN_FILE": (ValueError, "format not supported"),
    "IMG_ERR_NOT_SUPPORT": (OSError, "Not support"),
    "IMG_ERR_BMP_FORMAT": (OSError, "Unsupported format!"),
    "IMG_ERR_BMP_CORRUPTED": (ValueError, "file_corrupted_raise!"),
    "IMG_ERR_EIO": (OSError, "[Errno 5] EIO"),
    "IMG_ERR_ENOENT": (OSError, "[Errno 2] ENOENT"),
    "IMG_ERR_JPEG_UNSUPPORTED": (OSError, "JPEG not supported in this build"),
    "IMG_ERR_NO_MEMORY": (MemoryError, "Out of normal MicroPython Heap Memory! Please reduce the "
                          "resolution of the image you are running this algorithm on to bypass "
                          "this issue!"),
    "IMG_ERR_NOT_IMAGE": (TypeError, "Can't convert int to type"),
    "IMG_ERR_NO_PIX_AI": (ValueError, "pix_ai not allocated"),
    "IMG_ERR_OVERLAP": (ValueError, "source and destination overlap"),
    "IMG_ERR_ARGUMENT": (ValueError, "invalid argument"),
}


def test_status_table_has_one_row_per_status() -> None:
    names = [ic.status_name(s) for s in range(lib.IMG_STATUS_COUNT)]
    assert names[:2] == ["IMG_OK", "IMG_NONE"]
    assert sorted(names[2:]) == sorted(STATUS_TEXTS)
    for status in range(lib.IMG_STATUS_COUNT):
        assert getattr(lib, ic.status_name(status)) == status
    assert ic.status_name(lib.IMG_STATUS_COUNT) == "IMG_STATUS_UNKNOWN"


@pytest.mark.parametrize("name", sorted(STATUS_TEXTS))
def test_status_raises_maixpy_exception(name: str) -> None:
    kind, text = STATUS_TEXTS[name]
    with pytest.raises(Exception) as info:
        ic.check(getattr(lib, name), "int")
    assert isinstance(info.value, kind)  # OSError(ENOENT) comes back as FileNotFoundError
    assert str(info.value) == text


def test_ok_and_none_do_not_raise() -> None:
    assert ic.check(lib.IMG_OK) is True
    assert ic.check(lib.IMG_NONE) is False
