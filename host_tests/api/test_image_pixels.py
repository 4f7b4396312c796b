"""Pixel-exact behaviour of the emulated MaixPy ``image`` module.

Every expected value is computed here from the formulas and tables of
shared/spec/maixpy-image-subset.md (sections 1, 2.5, 2.7, 2.9, 2.11-2.13), not by the code under
test.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from host_tests.conftest import shared_model
from maixkpu.maixpy import image
from maixkpu.maixpy.imaging import tables

F32 = np.float32

# Spec 1.3, copied from the text.
SPEC_RB528 = [0, 8, 16, 25, 33, 41, 49, 58, 66, 74, 82, 90, 99, 107, 115, 123, 132, 140, 148,
              156, 165, 173, 181, 189, 197, 206, 214, 222, 230, 239, 247, 255]  # fmt: skip
SPEC_G628 = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 45, 49, 53, 57, 61, 65, 69, 73, 77, 81, 85,
             89, 93, 97, 101, 105, 109, 113, 117, 121, 125, 130, 134, 138, 142, 146, 150, 154,
             158, 162, 166, 170, 174, 178, 182, 186, 190, 194, 198, 202, 206, 210, 215, 219, 223,
             227, 231, 235, 239, 243, 247, 251, 255]  # fmt: skip


def swap16(s: int) -> int:
    return ((s >> 8) | (s << 8)) & 0xFFFF


def fields(q: int) -> tuple[int, int, int]:
    """Spec 1.2 field extraction from a raw word."""
    return (q >> 3) & 31, ((q & 7) << 3) | (q >> 13), (q >> 8) & 31


def compose(r5: int, g6: int, b5: int) -> int:
    return ((r5 << 3) | (g6 >> 3) | ((g6 & 7) << 13) | (b5 << 8)) & 0xFFFF


def expand(q: int) -> tuple[int, int, int]:
    r5, g6, b5 = fields(q)
    return SPEC_RB528[r5], SPEC_G628[g6], SPEC_RB528[b5]


def rb825(v: int) -> int:
    return (31 * v + 127) // 255


def g826(v: int) -> int:
    return (63 * v + 127) // 255


@pytest.fixture(autouse=True)
def full_firmware():
    tables.set_firmware("full")
    yield
    tables.set_firmware("full")


def random_raw(w: int, h: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 65536, size=(h, w), dtype=np.uint16)


# ----- tables and byte order ----------------------------------------------------------------------


def test_expansion_tables_match_spec_lists():
    assert tables.RB528.tolist() == SPEC_RB528
    assert tables.G628.tolist() == SPEC_G628


def test_compression_tables_and_round_trip():
    assert tables.RB825.tolist() == [rb825(v) for v in range(256)]
    assert tables.G826.tolist() == [g826(v) for v in range(256)]
    assert all(rb825(SPEC_RB528[i]) == i for i in range(32))
    assert all(g826(SPEC_G628[i]) == i for i in range(64))


def test_rgb565_memory_is_big_endian():
    img = image.Image(size=(4, 1))
    img.set_pixel(0, 0, (255, 0, 0))
    img.set_pixel(1, 0, (0, 255, 0))
    img.set_pixel(2, 0, (0, 0, 255))
    img.set_pixel(3, 0, 0x00F8)  # lcd.RED, a raw word
    raw = bytes(img.to_bytes())
    assert raw == bytes([0xF8, 0x00, 0x07, 0xE0, 0x00, 0x1F, 0xF8, 0x00])
    assert img.get_pixel(0, 0, False) == 0x00F8
    assert img.get_pixel(3, 0) == (255, 0, 0)


def test_int_colour_is_a_raw_word():
    img = image.Image(size=(1, 1))
    img.set_pixel(0, 0, 0xF800)  # standard red, taken as raw: B5 = 24, G6 = 7
    assert img.get_pixel(0, 0) == (0, SPEC_G628[7], SPEC_RB528[24])


def test_indexing_expands_with_tables():
    raw = random_raw(7, 5, 1)
    img = image.Image.from_raw(7, 5, raw)
    for i in range(35):
        assert img[i] == expand(int(raw.reshape(-1)[i]))
    assert img[3:6] == tuple(expand(int(v)) for v in raw.reshape(-1)[3:6])


def test_tuple_colour_rounds_with_compression_tables():
    img = image.Image(size=(1, 1))
    for rgb in [(1, 2, 3), (200, 100, 50), (4, 130, 251), (-5, 300, 128)]:
        img.set_pixel(0, 0, rgb)
        r, g, b = (min(max(v, 0), 255) for v in rgb)
        assert img.get_pixel(0, 0, False) == compose(rb825(r), g826(g), rb825(b))


# ----- grayscale ----------------------------------------------------------------------------------


def spec_gray_of_standard(s: np.ndarray) -> np.ndarray:
    """Spec 1.4, full firmware: floor(0.299 R8 + 0.587 G8 + 0.114 B8), in double."""
    rb = np.array(SPEC_RB528, dtype=np.float64)
    gg = np.array(SPEC_G628, dtype=np.float64)
    r8, g8, b8 = rb[s >> 11], gg[(s >> 5) & 63], rb[s & 31]
    return np.floor(0.299 * r8 + 0.587 * g8 + 0.114 * b8).astype(np.uint8)


def all_values_image() -> tuple[image.Image, np.ndarray]:
    """A 256x256 RGB565 image holding every standard value s once (pixel index = s)."""
    s = np.arange(65536, dtype=np.int64)
    raw = ((s >> 8) | ((s & 0xFF) << 8)).astype(np.uint16)
    return image.Image.from_raw(256, 256, raw.reshape(256, 256)), s


def test_to_grayscale_all_65536_values_full_firmware():
    img, s = all_values_image()
    gray = img.to_grayscale()
    got = np.frombuffer(bytes(gray.to_bytes()), dtype=np.uint8)
    np.testing.assert_array_equal(got, spec_gray_of_standard(s))
    expected_sha = "aac80feb1d6e563f2a8d8e7782b4bc9e55ed59dcb52ec2624fba622948944c97"
    assert hashlib.sha256(got.tobytes()).hexdigest() == expected_sha


def test_to_grayscale_all_65536_values_minimum_firmware():
    tables.set_firmware("minimum")
    img, s = all_values_image()
    got = np.frombuffer(bytes(img.to_grayscale().to_bytes()), dtype=np.uint8)
    q = (s >> 8) | ((s & 0xFF) << 8)
    low = q & 0x1FFF
    low_standard = (low >> 8) | ((low & 0xFF) << 8)
    add_y = np.array([0, 2, 5, 7, 9, 12, 14, 16])
    expected = spec_gray_of_standard(low_standard).astype(np.int64) + add_y[q >> 13]
    np.testing.assert_array_equal(got, expected)
    expected_sha = "72d9c7d429b6e76165429eebe44a15d8d039baac05ce06c62b4774a0784cd848"
    assert hashlib.sha256(got.tobytes()).hexdigest() == expected_sha
    assert got[0xFFFF] == 254
    with pytest.raises(AttributeError):
        img.invert()
    assert not hasattr(img, "invert")


def test_gray_examples_from_spec():
    img = image.Image(size=(5, 1))
    for x, s in enumerate([0xF800, 0x07E0, 0x001F, 0xFFFF, 0x8410]):
        img.set_pixel(x, 0, swap16(s))
    gray = img.to_grayscale()
    assert [gray.get_pixel(x, 0) for x in range(5)] == [76, 149, 29, 255, 130]


def test_to_grayscale_in_place_keeps_rgb565_tail():
    raw = random_raw(6, 4, 2)
    img = image.Image.from_raw(6, 4, raw)
    before = bytes(img.to_bytes())
    gray = img.to_grayscale()
    assert img.format() == 4 and gray.format() == 4
    assert gray._buf[24:48].tobytes() == before[24:48]


def test_gray_pixel_as_tuple():
    img = image.Image(size=(1, 1)).to_grayscale()
    for g in (0, 3, 77, 128, 200, 255):
        img.set_pixel(0, 0, g)
        expected = (SPEC_RB528[rb825(g)], SPEC_G628[g826(g)], SPEC_RB528[rb825(g)])
        assert img.get_pixel(0, 0, True) == expected


# ----- resize -------------------------------------------------------------------------------------


def u8(value: np.float32) -> int:
    return int(value) & 0xFF  # truncate toward zero, keep 8 bits (spec 2.7 / 9)


def spec_gray_bilinear(src: np.ndarray, w: int, h: int) -> np.ndarray:
    h0, w0 = src.shape
    sx, sy = F32(w0) / F32(w), F32(h0) / F32(h)
    out = np.zeros((h, w), dtype=np.uint8)
    for y in range(h):
        yf = (F32(y) + F32(0.5)) * sy - F32(0.5)
        y0 = int(yf)
        y1 = y0 + 1
        y1c = y0 if y0 >= h0 - 1 else y1
        for x in range(w):
            xf = (F32(x) + F32(0.5)) * sx - F32(0.5)
            x0 = int(xf)
            x1 = x0 + 1
            x1c = x0 if x0 >= w0 - 1 else x1
            a, b = F32(src[y0, x0]), F32(src[y0, x1c])
            c, d = F32(src[y1c, x0]), F32(src[y1c, x1c])
            v = (a * (F32(x1) - xf) * (F32(y1) - yf) + b * (xf - F32(x0)) * (F32(y1) - yf)
                 + c * (F32(x1) - xf) * (yf - F32(y0)) + d * (xf - F32(x0)) * (yf - F32(y0)))
            out[y, x] = u8(v)
    return out


@pytest.mark.parametrize("size0,size", [((3, 3), (6, 6)), ((4, 3), (7, 5)), ((5, 4), (9, 2))])
def test_gray_resize_bilinear(size0, size):
    w0, h0 = size0
    src = np.random.default_rng(w0 * 10 + h0).integers(0, 256, (h0, w0), dtype=np.uint8)
    img = image.Image.from_gray_bytes(w0, h0, bytearray(src.tobytes()))
    out = img.resize(*size)
    assert out.pix_ai is None
    got = np.frombuffer(bytes(out.to_bytes()), dtype=np.uint8).reshape(size[1], size[0])
    np.testing.assert_array_equal(got, spec_gray_bilinear(src, *size))


def test_gray_resize_edge_extrapolation_wraps():
    img = image.Image.from_gray_bytes(2, 2, bytearray([255, 0, 0, 0]))
    # first output pixel: weights 1.25 * 1.25 -> 398.4375 -> 398 -> 398 & 255
    assert img.resize(4, 4).get_pixel(0, 0) == 398 & 0xFF


def spec_gray_box(memory: bytes, w0: int, h0: int, w: int, h: int, pairs=None) -> np.ndarray:
    """Box average with inclusive ends; columns use sy; reads through the flat memory."""
    sy = F32(h0) / F32(h)
    if pairs is None:
        pairs = [(int(F32(k) * sy), int(F32(k + 1) * sy)) for k in range(max(w, h))]
    out = np.zeros((h, w), dtype=np.uint8)
    for y in range(h):
        ya, yb = pairs[y]
        for x in range(w):
            xa, xb = pairs[x]
            total = 0
            for r in range(ya, yb + 1):
                for c in range(xa, xb + 1):
                    k = r * w0 + c
                    total += memory[k] if k < len(memory) else 0
            out[y, x] = total // ((yb - ya + 1) * (xb - xa + 1))
    return out


@pytest.mark.parametrize("size0,size", [((16, 16), (2, 2)), ((20, 12), (3, 3)), ((9, 7), (4, 3))])
def test_gray_resize_box_after_in_place_grayscale(size0, size):
    w0, h0 = size0
    raw = random_raw(w0, h0, w0 + h0)
    rgb = image.Image.from_raw(w0, h0, raw)
    original = bytes(rgb.to_bytes())
    gray = rgb.to_grayscale()
    memory = bytes(gray.to_bytes()) + original[w0 * h0 :]
    got = gray.resize(*size)
    flat = np.frombuffer(bytes(got.to_bytes()), dtype=np.uint8).reshape(size[1], size[0])
    np.testing.assert_array_equal(flat, spec_gray_box(memory, w0, h0, *size))


# Spec 2.7: the (y0, y1) pairs of 320x240 -> 28x28, used for rows and columns.
PAIRS_320x240_TO_28 = [(0, 8), (8, 17), (17, 25), (25, 34), (34, 42), (42, 51), (51, 60),
                       (60, 68), (68, 77), (77, 85), (85, 94), (94, 102), (102, 111), (111, 120),
                       (120, 128), (128, 137), (137, 145), (145, 154), (154, 162), (162, 171),
                       (171, 180), (180, 188), (188, 197), (197, 205), (205, 214), (214, 222),
                       (222, 231), (231, 240)]  # fmt: skip


def test_mnist_style_resize_of_dog_frame():
    img = image.Image(str(shared_model("nncase_dog_320x240.bmp")))
    original = bytes(img.to_bytes())
    gray = img.to_grayscale()
    memory = bytes(gray.to_bytes()) + original[320 * 240 :]
    small = gray.resize(28, 28)
    got = np.frombuffer(bytes(small.to_bytes()), dtype=np.uint8).reshape(28, 28)
    np.testing.assert_array_equal(got, spec_gray_box(memory, 320, 240, 28, 28, PAIRS_320x240_TO_28))


def test_rgb565_resize_nearest_indices_from_spec():
    xs = np.tile(np.arange(320, dtype=np.uint16), (240, 1))
    ys = np.tile(np.arange(240, dtype=np.uint16)[:, None], (1, 320))
    out_x = image.Image.from_raw(320, 240, xs).resize(224, 224)
    out_y = image.Image.from_raw(320, 240, ys).resize(224, 224)
    col = [out_x.get_pixel(x, 0, False) for x in range(12)]
    row = [out_y.get_pixel(0, y, False) for y in range(16)]
    assert col == [0, 1, 2, 4, 5, 7, 8, 10, 11, 12, 14, 15]
    assert row == list(range(14)) + [15, 16]
    sx, sy = F32(320) / F32(224), F32(240) / F32(224)
    assert out_x.get_pixel(223, 5, False) == int(F32(223) * sx)
    assert out_y.get_pixel(5, 223, False) == int(F32(223) * sy)


def spec_rgb565_bilinear(raw: np.ndarray, w: int, h: int) -> np.ndarray:
    h0, w0 = raw.shape
    sx, sy = F32(w0) / F32(w), F32(h0) / F32(h)
    out = np.zeros((h, w), dtype=np.uint16)
    for y in range(h):
        ys = (F32(y) + F32(0.5)) * sy - F32(0.5)
        y1 = max(int(ys), 0)
        y2 = y1 + 1
        for x in range(w):
            xs = (F32(x) + F32(0.5)) * sx - F32(0.5)
            x1 = max(int(xs), 0)
            x2 = x1 + 1
            if x2 >= w0 or y2 >= h0:
                out[y, x] = raw[y1, x1]
                continue
            chans = []
            for c in range(3):
                p11, p21 = fields(int(raw[y1, x1]))[c], fields(int(raw[y1, x2]))[c]
                p12, p22 = fields(int(raw[y2, x1]))[c], fields(int(raw[y2, x2]))[c]
                top = (F32(x2) - xs) * F32(p11) + (xs - F32(x1)) * F32(p21)
                bottom = (F32(x2) - xs) * F32(p12) + (xs - F32(x1)) * F32(p22)
                chans.append(u8((F32(y2) - ys) * top + (ys - F32(y1)) * bottom))
            out[y, x] = compose(*chans)
    return out


@pytest.mark.parametrize("size0,size", [((3, 2), (7, 5)), ((4, 4), (8, 8)), ((5, 3), (6, 3))])
def test_rgb565_resize_bilinear_upscale(size0, size):
    raw = random_raw(*size0, seed=size0[0] * 7 + size0[1])
    got = image.Image.from_raw(*size0, raw).resize(*size)
    got_raw = np.frombuffer(bytes(got.to_bytes()), dtype="<u2").reshape(size[1], size[0])
    np.testing.assert_array_equal(got_raw, spec_rgb565_bilinear(raw, *size))


def test_rgb565_resize_same_size_is_a_copy():
    raw = random_raw(5, 4, 9)
    out = image.Image.from_raw(5, 4, raw).resize(5, 4)
    assert np.frombuffer(bytes(out.to_bytes()), dtype="<u2").tolist() == raw.reshape(-1).tolist()


# ----- stretch ------------------------------------------------------------------------------------


def gray_image(values: np.ndarray) -> image.Image:
    h, w = values.shape
    return image.Image.from_gray_bytes(w, h, bytearray(values.astype(np.uint8).tobytes()))


def gray_array(img: image.Image) -> np.ndarray:
    return np.frombuffer(bytes(img.to_bytes()), dtype=np.uint8).reshape(img.height(), img.width())


@pytest.mark.parametrize("lo,hi", [(100, 200), (10, 210), (50, 80), (0, 255), (90, 91)])
def test_stretch_matches_spec_formula(lo, hi):
    rng = np.random.default_rng(lo + hi)
    values = rng.integers(0, 256, (6, 7))
    values[1:5, 1:6] = rng.integers(lo, hi + 1, (4, 5))
    values[1, 1], values[4, 5] = lo, hi
    img = gray_image(values)
    assert img.stretch(64, 255) is None
    scale = min(191 // (hi - lo), 5)
    expected = ((values - lo) * scale + 64) & 0xFF
    np.testing.assert_array_equal(gray_array(img), expected)


def test_stretch_flat_interior_is_unchanged():
    values = np.full((4, 4), 9)
    values[0, 0] = 200
    img = gray_image(values)
    img.stretch(64, 255)
    np.testing.assert_array_equal(gray_array(img), values)


# ----- draw_image ---------------------------------------------------------------------------------


def test_draw_gray_on_rgb565_is_red_black():
    src = gray_image(np.arange(256).reshape(16, 16))
    dst = image.Image(size=(20, 20))
    assert dst.draw_image(src, 2, 3) is dst
    for g in (0, 7, 8, 100, 201, 255):
        x, y = 2 + g % 16, 3 + g // 16
        assert dst.get_pixel(x, y, False) == g
        assert dst.get_pixel(x, y) == (SPEC_RB528[g >> 3], SPEC_G628[(g & 7) << 3], 0)
    assert dst.get_pixel(1, 3, False) == 0


def test_draw_rgb565_on_gray_takes_low_byte():
    raw = random_raw(5, 5, 4)
    dst = gray_image(np.zeros((5, 5)))
    dst.draw_image(image.Image.from_raw(5, 5, raw), 0, 0)
    np.testing.assert_array_equal(gray_array(dst), raw & 0xFF)


def test_draw_image_scale_and_clipping():
    src = gray_image(np.arange(12).reshape(3, 4))
    dst = gray_image(np.zeros((10, 10)))
    dst.draw_image(src, -1, 8, x_scale=2.0, y_scale=1.5)
    expected = np.zeros((10, 10), dtype=np.int64)
    for j in range(int(F32(3) * F32(1.5))):
        for i in range(int(F32(4) * F32(2.0))):
            x, y = -1 + i, 8 + j
            if 0 <= x < 10 and 0 <= y < 10:
                expected[y, x] = int(F32(j) * (F32(1) / F32(1.5))) * 4 + int(F32(i) * F32(0.5))
    np.testing.assert_array_equal(gray_array(dst), expected)


def test_draw_image_alpha_blend():
    src = image.Image(size=(1, 1))
    dst = image.Image(size=(1, 1))
    src.set_pixel(0, 0, (200, 100, 40))
    dst.set_pixel(0, 0, (10, 20, 240))
    sq, dq = src.get_pixel(0, 0, False), dst.get_pixel(0, 0, False)
    dst.draw_image(src, 0, 0, alpha=128)
    s8, d8 = expand(sq), expand(dq)
    t = (F32(128) / F32(256)) * (F32(s8[0] | s8[1] | s8[2]) / F32(256))
    chans = [min(int(F32(s) * t + F32(d) * (F32(1) - t)), 255) for s, d in zip(s8, d8)]
    assert dst.get_pixel(0, 0, False) == compose(rb825(chans[0]), g826(chans[1]), rb825(chans[2]))


# ----- draw_rectangle -----------------------------------------------------------------------------


@pytest.mark.parametrize("t", [1, 2, 3, 4])
def test_draw_rectangle_bands(t):
    img = gray_image(np.zeros((20, 20)))
    img.draw_rectangle(5, 4, 8, 7, 255, t)
    t0, t1 = t // 2, (t - 1) // 2
    x, y, w, h = 5, 4, 8, 7
    expected = np.zeros((20, 20), dtype=np.int64)
    for yy in range(20):
        for xx in range(20):
            in_cols = x - t0 <= xx <= x + w - 1 + t1
            in_rows = y - t0 <= yy <= y + h - 1 + t1
            top = in_cols and y - t0 <= yy <= y + t1
            bottom = in_cols and y + h - 1 - t0 <= yy <= y + h - 1 + t1
            left = in_rows and x - t0 <= xx <= x + t1
            right = in_rows and x + w - 1 - t0 <= xx <= x + w - 1 + t1
            if top or bottom or left or right:
                expected[yy, xx] = 255
    np.testing.assert_array_equal(gray_array(img), expected)


def test_draw_rectangle_fill_and_clip():
    img = gray_image(np.zeros((6, 6)))
    img.draw_rectangle((-2, 3, 5, 10), color=7, fill=True)
    expected = np.zeros((6, 6), dtype=np.int64)
    expected[3:6, 0:3] = 7
    np.testing.assert_array_equal(gray_array(img), expected)


# ----- pix_to_ai / ai_to_pix ----------------------------------------------------------------------


def test_pix_to_ai_rgb565_planes():
    w, h = 10, 3
    raw = random_raw(w, h, 5)
    img = image.Image.from_raw(w, h, raw)
    assert img.pix_ai is None
    assert img.pix_to_ai() is None
    assert len(img.pix_ai) == ((w + 63) & ~63) * h * 3
    ai = np.asarray(img.pix_ai)
    n = w * h
    flat = raw.reshape(-1)
    assert ai[:n].tolist() == [expand(int(q))[0] for q in flat]
    assert ai[n : 2 * n].tolist() == [expand(int(q))[1] for q in flat]
    assert ai[2 * n : 3 * n].tolist() == [expand(int(q))[2] for q in flat]
    assert img.ai_planes().shape == (3, h, w)


def test_pix_to_ai_gray_and_ai_to_pix():
    values = np.random.default_rng(6).integers(0, 256, (4, 5))
    img = gray_image(values)
    img.pix_to_ai()
    assert np.asarray(img.pix_ai).tolist() == values.reshape(-1).tolist()
    img.pix_ai[:] = 17
    img.ai_to_pix()
    assert gray_array(img).tolist() == [[17] * 5] * 4


def test_ai_to_pix_rgb565_rounds():
    img = image.Image(size=(2, 1))
    img.pix_ai = np.array([10, 250, 20, 130, 200, 1], dtype=np.uint8)
    img.ai_to_pix()
    assert img.get_pixel(0, 0, False) == compose(rb825(10), g826(20), rb825(200))
    assert img.get_pixel(1, 0, False) == compose(rb825(250), g826(130), rb825(1))
    assert image.Image(size=(2, 1)).ai_to_pix() is None


def test_invert_full_firmware():
    raw = random_raw(3, 2, 8)
    img = image.Image.from_raw(3, 2, raw)
    assert img.invert() is img
    got = np.frombuffer(bytes(img.to_bytes()), dtype="<u2").reshape(2, 3)
    np.testing.assert_array_equal(got, 0xFFFF - raw)
    gray = gray_image(np.array([[0, 1, 254]]))
    gray.invert()
    assert gray_array(gray).tolist() == [[255, 254, 1]]
