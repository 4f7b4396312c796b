"""C image core: the built-in font and draw_string against the Python module, bit for bit
(spec 2.10: proportional/mono spacing, scale, spacing, line breaks, non-printable boxes)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maixkpu._core import lib
from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage
from maixkpu.maixpy.imaging import font

from .pairs import FAST, assert_same, pair


def test_glyph_table_is_the_python_font() -> None:
    for code in range(font.FIRST, font.LAST + 1):
        for row in range(font.CELL_H):
            bits = lib.img_font_glyphs[code - font.FIRST][row]
            want = font.GLYPHS[code - font.FIRST][row]
            assert [bool(bits & (0x80 >> col)) for col in range(font.CELL_W)] == list(want), (
                f"glyph {chr(code)!r} row {row}")


def test_every_printable_character_draws_like_python() -> None:
    text = "".join(chr(c) for c in range(font.FIRST, font.LAST + 1))
    for mono in (False, True):
        core, py = pair((8 * len(text) + 4, 14, GRAYSCALE, bytes((8 * len(text) + 4) * 14)))
        core.draw_string(1, 1, text, 255, mono_space=mono)
        py.draw_string(1, 1, text, color=255, mono_space=mono)
        assert_same(core, py)
        assert any(core.tobytes())


texts = st.text(
    alphabet=st.one_of(st.characters(min_codepoint=32, max_codepoint=126),
                       st.sampled_from(["\n", "\r", "\t", "\x00", "é", "€", "😀"])),
    max_size=12,
)
text_scales = st.one_of(st.sampled_from([1.0, 2.0, 0.5, 1.5, 0.3, 3.0]), st.floats(0.2, 4.0))


@FAST
@given(st.sampled_from([GRAYSCALE, RGB565]), st.integers(-30, 40), st.integers(-30, 40), texts,
       text_scales, st.integers(-3, 4), st.integers(-3, 4), st.booleans())
def test_draw_string(fmt: int, x: int, y: int, text: str, scale: float, x_spacing: int,
                     y_spacing: int, mono: bool) -> None:
    core, py = pair((37, 29, fmt, bytes(37 * 29 * fmt)))
    core.draw_string(x, y, text, 0xA5, scale, x_spacing, y_spacing, mono)
    py.draw_string(x, y, text, 0xA5, scale, x_spacing, y_spacing, mono)
    assert_same(core, py)


@pytest.mark.parametrize("text", ["a\r\nb", "a\n\rb", "a\r\r\nb", "a\n\nb\rc", "\r\n\r\nx",
                                  "tab\there", "é€😀x", "A B  C"])
def test_line_breaks_spaces_and_boxes(text: str) -> None:
    core, py = pair((40, 60, GRAYSCALE, bytes(2400)))
    core.draw_string(2, 1, text, 200, 1.0, 1, 3, False)
    py.draw_string(2, 1, text, 200, 1.0, 1, 3, False)
    assert_same(core, py)


def test_draw_string_far_off() -> None:
    for x, y in [(-(2**31), 0), (2**31 - 1, 5), (-50, -50), (0, 2**31 - 1)]:
        core, py = pair((20, 16, RGB565, bytes(640)))
        core.draw_string(x, y, "Ab\x01 c", 0xFFFF, 2.0)
        py.draw_string(x, y, "Ab\x01 c", 0xFFFF, 2.0)
        assert_same(core, py)


def test_draw_string_huge_scale_costs_only_the_visible_part() -> None:
    """At scale 1e6 the 20x16 window shows one font cell ('#' row 3, column 2, lit), as the
    Python module does at scale 40 with the same cell in view."""
    core = CoreImage(20, 16, GRAYSCALE)
    core.draw_string(-(10**6 + 100), -(3 * 10**6 + 100), "#", 0x77, 1e6)
    _, py = pair((20, 16, GRAYSCALE, bytes(320)))
    py.draw_string(-(40 + 10), -(3 * 40 + 10), "#", 0x77, 40.0)
    assert_same(core, py)
    assert core.tobytes() == bytes([0x77]) * 320


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan")])
def test_draw_string_scale_must_be_positive(scale: float) -> None:
    img = CoreImage(4, 4, GRAYSCALE)
    with pytest.raises(OSError, match="Error: 0 < scale!"):
        img.draw_string(0, 0, "x", 255, scale)
