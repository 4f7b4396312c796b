"""C image core: file-kind sniffing, MaixPy's extension check after a load (spec 2.2) and the
JPEG entry points this core leaves out, against the Python module's codec."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maixkpu._core import ffi, lib
from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage, check
from maixkpu.maixpy.imaging import codec

from .pairs import FAST

KINDS = {"bmp": lib.IMG_FILE_BMP, "jpeg": lib.IMG_FILE_JPEG, "other": lib.IMG_FILE_OTHER,
         "png": lib.IMG_FILE_OTHER}


@FAST
@given(st.one_of(st.binary(max_size=4), st.sampled_from([b"BM", b"\xff\xd8\xff", b"B", b"MB"])))
def test_file_kind(data: bytes) -> None:
    assert lib.img_file_kind(data, len(data)) == KINDS[codec.sniff(data)]


names = st.tuples(
    st.sampled_from(["", "/sd/", "dir.bmp/", "a/.", "./"]),
    st.sampled_from(["x", ".", "..", ".bmp", "pic", "a.b"]),
    st.sampled_from(["", ".bmp", ".BMP", ".ppm", ".Pgm", ".raw", ".jpg", ".bm", ".bmpx", "."]),
)


@FAST
@given(names, st.sampled_from(["bmp", "jpeg"]), st.sampled_from([GRAYSCALE, RGB565]))
def test_extension_check(parts: tuple[str, str, str], kind: str, fmt: int) -> None:
    path = "".join(parts)
    try:
        codec._check_extension(path, kind, fmt)
        want = None
    except OSError as exc:
        want = str(exc)
    try:
        check(lib.img_check_extension(path.encode(), KINDS[kind], fmt))
        got = None
    except OSError as exc:
        got = str(exc)
    assert got == want, path


def test_jpeg_is_not_in_this_core() -> None:
    img = CoreImage(2, 2, RGB565)
    data = b"\xff\xd8\xff\xe0" + bytes(20)
    with pytest.raises(OSError, match="JPEG not supported in this build"):
        check(lib.img_jpeg_decode(data, len(data), img.struct()))
    out = ffi.new("uint8_t[]", 64)
    with pytest.raises(OSError, match="JPEG not supported in this build"):
        check(lib.img_jpeg_encode(img.struct(), 50, out, 64, ffi.NULL))
    with pytest.raises(OSError, match=r"Error: 1 <= quality <= 100!"):
        check(lib.img_jpeg_encode(img.struct(), 0, out, 64, ffi.NULL))
