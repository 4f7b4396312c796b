"""The emulated ``image.Image`` API: constructors, repr, files, geometry and MaixPy's error texts
(shared/spec/maixpy-image-subset.md sections 2 and 5-6)."""
from __future__ import annotations

import errno
import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from host_tests.conftest import shared_model
from maixkpu.maixpy import image


def rb825(v: np.ndarray) -> np.ndarray:
    return (31 * v.astype(np.int64) + 127) // 255


def g826(v: np.ndarray) -> np.ndarray:
    return (63 * v.astype(np.int64) + 127) // 255


def raw_of(r5: np.ndarray, g6: np.ndarray, b5: np.ndarray) -> np.ndarray:
    return ((r5 << 3) | (g6 >> 3) | ((g6 & 7) << 13) | (b5 << 8)) & 0xFFFF


def raw_words(img: image.Image) -> np.ndarray:
    return np.frombuffer(bytes(img.to_bytes()), dtype="<u2").reshape(img.height(), img.width())


def gray_bytes(img: image.Image) -> np.ndarray:
    return np.frombuffer(bytes(img.to_bytes()), dtype=np.uint8).reshape(img.height(), img.width())


def bmp_bytes(w: int, h: int, bpp: int, rows: bytes, compression: int, extra: bytes = b"") -> bytes:
    """A BMP built by hand (BITMAPINFOHEADER), ``h`` negative for top-down."""
    offset = 14 + 40 + len(extra)
    size = offset + len(rows)
    head = struct.pack("<2sIHHI", b"BM", size, 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bpp, compression, len(rows), 0, 0, 0, 0)
    return head + info + extra + rows


# ----- constructors and repr ------------------------------------------------------------------


def test_blank_image_is_black_qvga_rgb565():
    img = image.Image()
    assert (img.width(), img.height(), img.format(), img.size()) == (320, 240, 2, 153600)
    assert repr(img) == '{"w":320, "h":240, "type"="rgb565", "size":153600}'
    assert str(img) == repr(img)
    assert img.pix_ai is None
    assert not any(img.to_bytes())


def test_size_keyword_and_fallback():
    assert repr(image.Image(size=(64, 32))) == '{"w":64, "h":32, "type"="rgb565", "size":4096}'
    assert image.Image(size=(0, 10)).width() == 320
    assert image.Image(size=(10, -1)).height() == 240


def test_gray_repr():
    img = image.Image(size=(224, 224)).to_grayscale()
    assert repr(img) == '{"w":224, "h":224, "type"="grayscale", "size":50176}'
    assert img.format() == 4


def test_path_with_keyword_size_is_blank_but_positional_size_loads(tmp_path):
    path = tmp_path / "a.bmp"
    path.write_bytes(bmp_bytes(4, -1, 8, bytes([9, 9, 9, 9]), 0, bytes(1024)))
    blank = image.Image(str(path), size=(8, 8))
    assert (blank.width(), blank.format()) == (8, 2)
    loaded = image.Image(str(path), (8, 8))
    assert (loaded.width(), loaded.height(), loaded.format()) == (4, 1, 4)


def test_dog_bmp_matches_pillow_decode_rounded():
    path = shared_model("nncase_dog_320x240.bmp")
    img = image.Image(str(path))
    assert repr(img) == '{"w":320, "h":240, "type"="rgb565", "size":153600}'
    assert img.pix_ai is None
    rgb = np.asarray(PILImage.open(path).convert("RGB"))
    expected = raw_of(rb825(rgb[..., 0]), g826(rgb[..., 1]), rb825(rgb[..., 2]))
    np.testing.assert_array_equal(raw_words(img), expected)


def test_bmp_8bit_gray_bottom_up_and_mirrored(tmp_path):
    # 3x2, rows padded to 4 bytes, stored bottom-up; negative width mirrors.
    rows = bytes([1, 2, 3, 0, 4, 5, 6, 0])
    path = tmp_path / "g.bmp"
    path.write_bytes(bmp_bytes(3, 2, 8, rows, 0, bytes(1024)))
    assert gray_bytes(image.Image(str(path))).tolist() == [[4, 5, 6], [1, 2, 3]]
    path.write_bytes(bmp_bytes(-3, -2, 8, rows, 0, bytes(1024)))
    assert gray_bytes(image.Image(str(path))).tolist() == [[3, 2, 1], [6, 5, 4]]


def test_bmp_16bit_is_byte_swapped(tmp_path):
    words = [0xF800, 0x07E0]
    rows = struct.pack("<HH", *words)
    masks = struct.pack("<III", 0xF800, 0x07E0, 0x001F)
    path = tmp_path / "c.bmp"
    path.write_bytes(bmp_bytes(2, -1, 16, rows, 3, masks))
    img = image.Image(str(path))
    assert raw_words(img).tolist() == [[0x00F8, 0xE007]]
    assert img.get_pixel(0, 0) == (255, 0, 0)


def test_bmp_errors(tmp_path):
    path = tmp_path / "bad.bmp"
    path.write_bytes(bmp_bytes(1, 1, 32, bytes(4), 0))
    with pytest.raises(OSError, match=r"^Unsupported format!$"):
        image.Image(str(path))
    path.write_bytes(bmp_bytes(1, 1, 16, bytes(4), 0))
    with pytest.raises(OSError, match=r"^Unsupported format!$"):
        image.Image(str(path))
    data = bytearray(bmp_bytes(4, 4, 24, bytes(48), 0))
    struct.pack_into("<I", data, 2, 60)  # file size smaller than the pixel data
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"^file_corrupted_raise!$"):
        image.Image(str(path))
    with pytest.raises(OSError, match=r"^Not support$"):
        image.Image(bmp_bytes(1, 1, 24, bytes(4), 0), from_bytes=True)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(OSError) as info:
        image.Image(str(tmp_path / "nope.bmp"))
    assert info.value.errno == errno.ENOENT
    ppm = tmp_path / "x.ppm"
    ppm.write_bytes(b"P6\n1 1\n255\n\x00\x00\x00")
    with pytest.raises(ValueError, match=r"^format not supported$"):
        image.Image(str(ppm))


def jpeg_bytes(rgb: np.ndarray, **kwargs) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(rgb).save(out, "JPEG", **kwargs)
    return out.getvalue()


def test_jpeg_load_truncates_to_565_and_extension_check(tmp_path):
    rgb = np.full((8, 8, 3), (200, 100, 50), dtype=np.uint8)
    data = jpeg_bytes(rgb, quality=95)
    path = tmp_path / "x.jpg"
    path.write_bytes(data)
    img = image.Image(str(path))
    decoded = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB")).astype(np.int64)
    expected = raw_of(decoded[..., 0] >> 3, decoded[..., 1] >> 2, decoded[..., 2] >> 3)
    np.testing.assert_array_equal(raw_words(img), expected)
    misnamed = tmp_path / "x.bmp"
    misnamed.write_bytes(data)
    with pytest.raises(OSError, match=r"^Image is not BMP!$"):
        image.Image(str(misnamed))
    from_bytes = image.Image(data, from_bytes=True)
    np.testing.assert_array_equal(raw_words(from_bytes), expected)


def test_progressive_jpeg_gives_empty_binary_image(capsys):
    data = jpeg_bytes(np.zeros((8, 8, 3), dtype=np.uint8), progressive=True)
    img = image.Image(data, from_bytes=True)
    assert repr(img) == '{"w":0, "h":0, "type"="binary", "size":0}'
    assert img.format() is None
    assert "Failed loading source image!" in capsys.readouterr().out


def test_png_loads_as_pc_extension(tmp_path):
    path = tmp_path / "p.png"
    PILImage.fromarray(np.array([[[10, 20, 30], [250, 128, 3]]], dtype=np.uint8)).save(path)
    img = image.Image(str(path))
    r, g, b = np.array([10, 250]), np.array([20, 128]), np.array([30, 3])
    assert raw_words(img).tolist() == [raw_of(rb825(r), g826(g), rb825(b)).tolist()]


# ----- saving ---------------------------------------------------------------------------------


def test_save_bmp_round_trip_and_header(tmp_path):
    raw = np.random.default_rng(3).integers(0, 65536, (5, 3), dtype=np.uint16)
    img = image.Image.from_raw(3, 5, raw)
    path = tmp_path / "out.BMP"
    assert img.save(str(path)) is img
    data = path.read_bytes()
    _, _, height, _, bpp, compression = struct.unpack_from("<IiiHHI", data, 14)
    assert (height, bpp, compression) == (-5, 16, 3)
    assert struct.unpack_from("<III", data, 54) == (0xF800, 0x07E0, 0x001F)
    first_word = struct.unpack_from("<H", data, 66)[0]
    assert first_word == ((int(raw[0, 0]) >> 8) | (int(raw[0, 0]) << 8)) & 0xFFFF
    np.testing.assert_array_equal(raw_words(image.Image(str(path))), raw)
    gray = image.Image.from_gray_bytes(3, 2, bytearray(range(6)))
    gray.save(str(tmp_path / "g.bmp"))
    assert gray_bytes(image.Image(str(tmp_path / "g.bmp"))).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_save_roi_png_quality_and_silent_formats(tmp_path):
    img = image.Image(size=(10, 10))
    img.draw_rectangle(2, 2, 3, 3, (255, 255, 255), fill=True)
    img.save(str(tmp_path / "roi.png"), roi=(2, 2, 3, 3))
    assert np.asarray(PILImage.open(tmp_path / "roi.png")).min() == 255
    with pytest.raises(OSError, match=r"^Error: 1 <= quality <= 100!$"):
        img.save(str(tmp_path / "q.jpg"), quality=0)
    img.save(str(tmp_path / "x.ppm"))
    img.save(str(tmp_path / "x.txt"))
    assert not (tmp_path / "x.ppm").exists() and not (tmp_path / "x.txt").exists()
    with pytest.raises(OSError, match=r"^Image is not PGM!$"):
        img.save(str(tmp_path / "x.pgm"))
    img.save(str(tmp_path / "q.jpg"), quality=90)
    assert PILImage.open(tmp_path / "q.jpg").size == (10, 10)


# ----- accessors and errors -------------------------------------------------------------------


def test_get_pixel_forms_and_bounds():
    img = image.Image(size=(4, 4))
    img.set_pixel((1, 2), (255, 255, 255))
    assert img.get_pixel((1, 2)) == (255, 255, 255)
    assert img.get_pixel(1, 2, False) == 0xFFFF
    assert img.get_pixel(4, 0) is None and img.get_pixel(-1, 0) is None
    assert img.set_pixel(9, 9) is img
    with pytest.raises(OSError, match=r"^Not enough positional arguments!$"):
        img.get_pixel(1)


def test_gray_colour_parsing():
    img = image.Image(size=(2, 1)).to_grayscale()
    img.set_pixel(0, 0, 0x1234)  # int: low 8 bits
    img.set_pixel(1, 0)  # default white
    assert gray_bytes(img).tolist() == [[0x34, 255]]
    img.set_pixel(0, 0, (255, 0, 0))  # tuple: through the Y table
    assert img.get_pixel(0, 0) == 76


def test_indexing_errors():
    img = image.Image(size=(3, 2))
    with pytest.raises(IndexError, match="Image index out of range"):
        img[6]
    with pytest.raises(OSError, match=r"^only slices with step=1 \(aka None\) are supported$"):
        img[0:4:2]
    with pytest.raises(OSError, match=r"^cannot grow or shrink image$"):
        img[0:3] = [(1, 2, 3)]
    img[0:2] = (255, 0, 0)
    assert img[0] == img[1] == (255, 0, 0) and img[2] == (0, 0, 0)
    img[-1] = (0, 0, 255)
    assert img.get_pixel(2, 1) == (0, 0, 255)


def test_error_texts():
    img = image.Image(size=(8, 8))
    with pytest.raises(TypeError, match=r"^Can't convert int to type$"):
        img.draw_image(5, 0, 0)
    with pytest.raises(OSError, match=r"^Error: 0.0 <= x_scale!$"):
        img.draw_image(img, 0, 0, x_scale=-1)
    with pytest.raises(OSError, match=r"^Error: 0.0 <= y_scale!$"):
        img.draw_image(img, 0, 0, y_scale=-1)
    with pytest.raises(OSError, match=r"^Error: 0 <= alpha <= 256!$"):
        img.draw_image(img, 0, 0, alpha=257)
    with pytest.raises(OSError, match=r"^Error: 0 < scale!$"):
        img.draw_string(0, 0, "x", scale=0)
    with pytest.raises(OSError, match=r"^Invalid ROI dimensions!$"):
        img.copy((0, 0, 0, 4))
    with pytest.raises(OSError, match=r"^ROI does not overlap on the image!$"):
        img.copy((20, 20, 4, 4))
    with pytest.raises(OSError, match=r"^Output image width is 0!$"):
        img.copy((0, 0, 4, 4), 0.1, 1.0)
    with pytest.raises(OSError, match=r"^Output image height is 0!$"):
        img.copy((0, 0, 4, 4), 1.0, 0.1)
    with pytest.raises(OSError, match=r"^Can't convert to rgb565 in place!$"):
        img.copy().to_grayscale().to_rgb565()
    with pytest.raises(OSError, match=r"^Not enough positional arguments!$"):
        img.draw_rectangle(1, 2, 3)


def test_unsupported_format_messages(capsys):
    empty = image.Image(b"not a jpeg", from_bytes=True)
    assert empty.resize(2, 2) is None
    assert empty.cut(0, 0, 1, 1) is None
    assert empty.pix_to_ai() is None
    out = capsys.readouterr().out
    assert "only support grayscale, 565 zoom out now" in out
    assert "pixel format not support!" in out
    assert "only support grayscale now" in out
    with pytest.raises(OSError, match=r"^Image format is not supported!$"):
        empty.draw_rectangle(0, 0, 1, 1)


# ----- conversions and geometry ---------------------------------------------------------------


def test_to_grayscale_copy_has_zero_ai_buffer_and_in_place_shares():
    img = image.Image(size=(4, 2))
    img.pix_to_ai()
    copy = img.to_grayscale(copy=True)
    assert copy.format() == 4 and img.format() == 2
    assert len(copy.pix_ai) == 3 * 8 and not np.asarray(copy.pix_ai).any()
    ai = img.pix_ai
    view = img.to_grayscale()
    assert img.format() == 4 and view.pix_ai is ai
    view.set_pixel(0, 0, 99)
    assert img.get_pixel(0, 0) == 99


def test_to_rgb565_copy():
    gray = image.Image.from_gray_bytes(2, 1, bytearray([0, 200]))
    rgb = gray.to_rgb565(copy=True)
    v = np.array([200])
    assert raw_words(rgb).tolist() == [[0, int(raw_of(rb825(v), g826(v), rb825(v))[0])]]


def test_cut_pads_black_and_has_no_ai():
    img = image.Image.from_gray_bytes(4, 3, bytearray(range(1, 13)))
    img.pix_to_ai()
    cut = img.cut(2, 1, 4, 3)
    assert cut.pix_ai is None
    assert gray_bytes(cut).tolist() == [[7, 8, 0, 0], [11, 12, 0, 0], [0, 0, 0, 0]]


def test_copy_scaled_and_crop_in_place():
    img = image.Image.from_gray_bytes(4, 4, bytearray(range(16)))
    half = img.copy((0, 0, 4, 4), 0.5, 0.5)
    assert gray_bytes(half).tolist() == [[0, 2], [8, 10]]
    other = image.Image()
    assert img.crop((1, 1, 2, 2), copy=other) is other
    assert gray_bytes(other).tolist() == [[5, 6], [9, 10]]
    assert img.width() == 4
    assert img.crop((1, 1, 2, 2)) is img
    assert gray_bytes(img).tolist() == [[5, 6], [9, 10]]


def test_from_gray_bytes_is_a_view():
    data = bytearray(6)
    img = image.Image.from_gray_bytes(3, 2, data)
    assert img.format() == 4 and img.pix_ai is None
    data[4] = 77
    assert img.get_pixel(1, 1) == 77


def test_draw_string_metrics():
    img = image.Image.from_gray_bytes(60, 30, bytearray(60 * 30))
    assert img.draw_string(3, 4, "I I", 255) is img
    lit = np.argwhere(gray_bytes(img) > 0)
    assert lit[:, 0].min() >= 4 and lit[:, 0].max() < 4 + 12
    mono = image.Image.from_gray_bytes(60, 50, bytearray(60 * 50))
    mono.draw_string(0, 0, "AB\nA", 255, 2.0, mono_space=True)
    rows = np.argwhere(gray_bytes(mono) > 0)[:, 0]
    assert rows.max() >= 24 + 2  # second line starts at trunc(12 * 2) + y_spacing(2)
    second_a = gray_bytes(mono)[26:50, :16]
    first_a = gray_bytes(mono)[:24, :16]
    np.testing.assert_array_equal(second_a, first_a)
    assert gray_bytes(mono)[:24, 16:32].any()  # "B" starts at the mono advance trunc(8 * 2)


def test_host_rgb888_and_pil():
    img = image.Image(size=(2, 1))
    img.set_pixel(0, 0, (255, 0, 0))
    assert img.to_rgb888().tolist() == [[[255, 0, 0], [0, 0, 0]]]
    assert img.to_pil().mode == "RGB"
    gray = image.Image.from_gray_bytes(1, 1, bytearray([7]))
    assert gray.to_pil().getpixel((0, 0)) == 7


def test_path_objects_are_accepted(tmp_path: Path):
    img = image.Image(size=(2, 2))
    img.save(tmp_path / "a.bmp")
    assert image.Image(tmp_path / "a.bmp").size() == 8


# ----- drawing outside the spec (line, circle, cross) -----------------------------------------


def test_draw_line_is_a_thin_x_major_line():
    img = image.Image.from_gray_bytes(20, 10, bytearray(200))
    assert img.draw_line(1, 1, 15, 6, 255) is img
    lit = np.argwhere(gray_bytes(img) == 255)  # (y, x)
    assert sorted(lit[:, 1].tolist()) == list(range(1, 16))  # one pixel per column
    for y, x in lit:
        assert abs(y - (1 + (x - 1) * 5 / 14)) <= 0.5
    img.draw_line((0, 9, 0, 9), 7, 3)  # a single point widened by a 3x3 brush
    assert (gray_bytes(img)[8:10, 0:2] == 7).all()


def test_draw_circle_outline_and_fill():
    img = image.Image.from_gray_bytes(21, 21, bytearray(441))
    img.draw_circle(10, 10, 6, 255)
    lit = np.argwhere(gray_bytes(img) == 255) - 10
    dist = np.hypot(lit[:, 0], lit[:, 1])
    assert (abs(dist - 6) < 1).all() and len(lit) >= 32
    assert {(int(a), int(b)) for a, b in lit} >= {(0, 6), (6, 0), (0, -6), (-6, 0)}
    filled = image.Image.from_gray_bytes(21, 21, bytearray(441))
    filled.draw_circle(10, 10, 6, 9, 1, True)
    yy, xx = np.mgrid[-10:11, -10:11]
    np.testing.assert_array_equal(gray_bytes(filled) == 9, xx * xx + yy * yy <= 36)


def test_draw_cross():
    img = image.Image.from_gray_bytes(9, 9, bytearray(81))
    img.draw_cross(4, 4, 200, size=2)
    expected = np.zeros((9, 9), dtype=bool)
    expected[4, 2:7] = True
    expected[2:7, 4] = True
    np.testing.assert_array_equal(gray_bytes(img) == 200, expected)


def test_file_objects_and_to_bytes_alias(tmp_path):
    data = jpeg_bytes(np.full((4, 4, 3), 128, dtype=np.uint8))
    with open(tmp_path / "a.jpg", "wb") as handle:
        handle.write(data)
    with open(tmp_path / "a.jpg", "rb") as handle:
        assert image.Image(handle).width() == 4
    with pytest.raises(OSError, match=r"^Not support$"):
        image.Image(io.BytesIO(bmp_bytes(1, 1, 24, bytes(4), 0)))
    img = image.Image(size=(2, 1))
    view = img.to_bytes()
    view[0] = 0xF8
    assert img.get_pixel(0, 0) == (255, 0, 0)


def test_from_gray_bytes_reads_following_memory_and_copies_read_only():
    # Two 4x4 "channels": a box resize of the first reads row 4 = the second channel's row 0.
    data = bytearray([0] * 16 + [255] * 16)
    small = image.Image.from_gray_bytes(4, 4, data).resize(2, 2)
    # sy = 2: boxes cover rows/cols 0..2 and 2..4 (inclusive). Row 4 is the second channel
    # (255s); column 4 of row r is pixel 0 of row r + 1, so box (1, 1) also gets row 3's col 4.
    assert gray_bytes(small).tolist() == [[0, 0], [(255 * 3) // 9, (255 * 4) // 9]]
    frozen = image.Image.from_gray_bytes(2, 1, b"\x01\x02")
    frozen.set_pixel(0, 0, 9)
    assert gray_bytes(frozen).tolist() == [[9, 2]]


@pytest.mark.parametrize("quality,sampling", [(90, 0), (60, 0), (59, 1), (36, 1), (35, 2), (5, 2)])
def test_jpeg_save_subsampling_follows_quality(tmp_path, quality, sampling):
    from PIL import JpegImagePlugin

    img = image.Image(size=(16, 16))
    img.save(str(tmp_path / "s.jpeg"), quality=quality)
    assert JpegImagePlugin.get_sampling(PILImage.open(tmp_path / "s.jpeg")) == sampling
