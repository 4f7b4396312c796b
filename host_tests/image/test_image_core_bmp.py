"""C image core: BMP decode/encode from/to memory against the Python module (spec 2.2, 2.14),
round trips, and malformed headers that must give MaixPy's errors without reading out of
bounds (the sanitize run executes this file under ASan)."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage
from maixkpu.maixpy.imaging.bmp import decode_bmp, encode_bmp

from .pairs import FAST, images, pair, raises_same


def make_bmp(width: int, height: int, bits: int, compression: int, body: bytes,
             extra: bytes = b"", file_size: int | None = None, offset: int | None = None) -> bytes:
    """A BMP file with the given header fields (no consistency enforced)."""
    off = 54 + len(extra) if offset is None else offset
    size = off + len(body) if file_size is None else file_size
    head = struct.pack("<2sIHHI", b"BM", size & 0xFFFFFFFF, 0, 0, off & 0xFFFFFFFF)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(body), 0, 0,
                       0, 0)
    return head + info + extra + body


def py_decode(data: bytes) -> tuple[int, int, int, bytes]:
    w, h, bpp, buf = decode_bmp(data)
    return w, h, bpp, buf.tobytes()


def c_decode(data: bytes) -> tuple[int, int, int, bytes]:
    img = CoreImage.from_bmp(data)
    return img.w, img.h, img.fmt, img.tobytes()


def same_decode(data: bytes) -> None:
    got: dict[str, object] = {}

    def run_c() -> None:
        got["c"] = c_decode(data)

    def run_py() -> None:
        got["py"] = py_decode(data)

    if raises_same(run_c, run_py) is None:
        assert got["c"] == got["py"]


@FAST
@given(images(max_side=13), st.one_of(st.none(), st.tuples(
    st.integers(-5, 10), st.integers(-5, 10), st.integers(1, 14), st.integers(1, 14))))
def test_encode_matches_python_and_round_trips(spec: tuple[int, int, int, bytes],
                                               roi: tuple[int, int, int, int] | None) -> None:
    core, py = pair(spec)
    try:
        x, y, w, h = core.clip_roi(roi)
    except OSError:
        assume(False)
    encoded = core.to_bmp(roi)
    assert encoded == encode_bmp(py._pixels()[y:y + h, x:x + w], core.fmt)
    back = CoreImage.from_bmp(encoded)
    assert (back.w, back.h, back.fmt) == (w, h, core.fmt)
    assert back.tobytes() == core.cut(x, y, w, h).tobytes()


@FAST
@given(st.integers(1, 9), st.integers(1, 7), st.sampled_from([(8, 0), (16, 3), (24, 0), (24, 3)]),
       st.booleans(), st.booleans(), st.binary(min_size=2000, max_size=2000))
def test_decode_matches_python(w: int, h: int, kind: tuple[int, int], bottom_up: bool,
                               mirrored: bool, noise: bytes) -> None:
    bits, compression = kind
    row_bytes = (w * bits + 31) // 32 * 4
    body = noise[: row_bytes * h]
    extra = bytes(1024) if bits == 8 else struct.pack("<III", 0xF800, 0x07E0, 0x001F)
    data = make_bmp(-w if mirrored else w, h if bottom_up else -h, bits, compression, body, extra)
    same_decode(data)
    assert c_decode(data)[:3] == (w, h, GRAYSCALE if bits == 8 else RGB565)


def test_decode_24_bit_rounds_and_16_bit_swaps() -> None:
    body = bytes([10, 128, 250]) + bytes(1) + bytes([0x1F, 0xF8]) + bytes(2)
    gray_free = make_bmp(1, -1, 24, 0, body[:4])
    img = CoreImage.from_bmp(gray_free)
    assert img.get_pixel_rgb(0, 0) == (247, 130, 8)  # R 250, G 128, B 10 rounded to 5/6/5
    word = CoreImage.from_bmp(make_bmp(1, -1, 16, 3, body[4:]))
    assert word.tobytes() == bytes([0xF8, 0x1F])  # standard F81F stored byte-swapped


@pytest.mark.parametrize(("data", "error"), [
    (b"", OSError), (b"BM" + bytes(40), OSError),
    (make_bmp(2, 2, 32, 0, bytes(16)), OSError), (make_bmp(2, 2, 8, 1, bytes(8)), OSError),
    (make_bmp(2, 2, 16, 0, bytes(8)), OSError), (make_bmp(2, 2, 4, 0, bytes(8)), OSError),
    (make_bmp(2, 2, 8, 0, bytes(8), file_size=54), ValueError),
    (make_bmp(2, 2, 8, 0, bytes(8), file_size=60), ValueError),
    (make_bmp(2, 2, 8, 0, bytes(7), file_size=62), OSError),
    (make_bmp(2, 2, 8, 0, bytes(8), offset=0xFFFFFF00, file_size=0xFFFFFFFF), OSError),
    (make_bmp(-(2**31), 1, 8, 0, bytes(8), file_size=0xFFFFFFFF), OSError),
    (make_bmp(2**31 - 1, 2**31 - 1, 24, 0, bytes(8), file_size=0xFFFFFFFF), ValueError),
])
def test_malformed_headers_give_maixpy_errors(data: bytes, error: type) -> None:
    with pytest.raises(error) as info:
        c_decode(data)
    assert str(info.value) in ("Unsupported format!", "file_corrupted_raise!", "[Errno 5] EIO")
    same_decode(data)


def test_zero_by_huge_image_is_refused() -> None:
    """A 0 x 2^31 BMP is valid to MaixPy's checks but no img_t can hold its height."""
    data = make_bmp(0, -(2**31), 8, 0, b"")
    with pytest.raises(ValueError, match="file_corrupted_raise!"):
        c_decode(data)


fields = st.sampled_from(["file_size", "offset", "width", "height", "bits", "compression", "cut"])


@FAST
@given(st.lists(st.tuples(fields, st.integers(-(2**31), 2**32 - 1)), min_size=1, max_size=3),
       st.sampled_from([(8, 0), (16, 3), (24, 0)]))
def test_mutated_headers_match_python(mutations: list[tuple[str, int]],
                                      kind: tuple[int, int]) -> None:
    bits, compression = kind
    row_bytes = (5 * bits + 31) // 32 * 4
    data = bytearray(make_bmp(5, 3, bits, compression, bytes(range(row_bytes * 3))))
    at = {"file_size": (2, "<I"), "offset": (10, "<I"), "width": (18, "<i"),
          "height": (22, "<i"), "bits": (28, "<H"), "compression": (30, "<I")}
    for name, value in mutations:
        if name == "cut":
            data = data[: value % (len(data) + 1)]
            continue
        pos, fmt = at[name]
        if pos + struct.calcsize(fmt) > len(data):
            continue
        limits = {"<I": (0, 2**32 - 1), "<i": (-(2**31), 2**31 - 1), "<H": (0, 2**16 - 1)}[fmt]
        value = min(max(value, limits[0]), limits[1]) if name != "bits" else value & 0xFFFF
        struct.pack_into(fmt, data, pos, value)
    w, h = (struct.unpack_from("<ii", data, 18) if len(data) >= 26 else (1, 1))
    assume(not (abs(w) >= 2**31 or abs(h) >= 2**31))  # the documented 0 x 2^31 difference
    same_decode(bytes(data))


def test_encode_size_and_buffer_checks() -> None:
    from maixkpu._core import ffi, lib

    assert lib.img_bmp_encoded_size(3, 2, GRAYSCALE) == 54 + 1024 + 4 * 2
    assert lib.img_bmp_encoded_size(3, 2, RGB565) == 54 + 12 + 8 * 2
    assert lib.img_bmp_encoded_size(70000, 70000, RGB565) == 0  # over 4 GB
    img = CoreImage(3, 2, RGB565, np.arange(12, dtype=np.uint8))
    small = ffi.new("uint8_t[]", 10)
    assert lib.img_bmp_encode(img.struct(), ffi.NULL, small, 10, ffi.NULL) == lib.IMG_ERR_ARGUMENT


def test_zero_width_tall_image_decodes_at_once() -> None:
    """A 0 x (2^31 - 2) file has no pixels to read (a fuzz find: decoding looped over rows)."""
    data = make_bmp(0, -(2**31 - 2), 24, 0, b"")
    data = data[:2] + struct.pack("<I", 60) + data[6:]  # a body size the header check accepts
    assert c_decode(data) == py_decode(data) == (0, 2**31 - 2, RGB565, b"")


@pytest.mark.parametrize("fmt", [GRAYSCALE, RGB565])
def test_empty_image_file_is_refused_on_load(fmt: int) -> None:
    """A 0 x h image saves as a file without a body, which MaixPy's size check
    (file_size <= data_offset) refuses on loading; the Python module does the same."""
    data = CoreImage(0, 3, fmt).to_bmp()
    assert data == encode_bmp(np.zeros((3, 0), np.uint8 if fmt == GRAYSCALE else "<u2"), fmt)
    with pytest.raises(ValueError, match="file_corrupted_raise!"):
        c_decode(data)
    same_decode(data)
