"""The built-in 8x12 ASCII font of ``draw_string`` (spec 2.10, 4.5).

MaixPy's cell size (8 wide, 12 high) and spacing rules are kept exactly; the glyph shapes are not
MaixPy's: they are rendered once, at import, from Pillow's built-in bitmap font (about 6x11) into
the 8x12 cells. So text positions and advances match MaixPy, individual glyph pixels do not.
"""
from __future__ import annotations

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

CELL_W = 8
CELL_H = 12
FIRST = 32
LAST = 126


def _load_bitmap_font() -> ImageFont.ImageFont:
    loader = getattr(ImageFont, "load_default_imagefont", None)
    font = loader() if loader is not None else ImageFont.load_default()
    return font  # type: ignore[return-value]


def _render_glyphs() -> np.ndarray:
    font = _load_bitmap_font()
    glyphs = np.zeros((LAST - FIRST + 1, CELL_H, CELL_W), dtype=bool)
    for code in range(FIRST + 1, LAST + 1):  # space stays empty
        cell = PILImage.new("1", (CELL_W, CELL_H), 0)
        ImageDraw.Draw(cell).text((1, -1), chr(code), fill=1, font=font)
        glyphs[code - FIRST] = np.asarray(cell, dtype=bool)
    return glyphs


GLYPHS = _render_glyphs()


def printable(char: str) -> bool:
    return FIRST <= ord(char) <= LAST


def glyph(char: str) -> np.ndarray:
    """The 12x8 boolean bitmap of one character (a hollow box for non-printable ones)."""
    if printable(char):
        return GLYPHS[ord(char) - FIRST]
    box = np.zeros((CELL_H, CELL_W), dtype=bool)
    box[1:-1, 1] = box[1:-1, -2] = box[1, 1:-1] = box[-2, 1:-1] = True
    return box


def lit_columns(bitmap: np.ndarray) -> tuple[int, int]:
    """(first, last) lit column of a bitmap, or (0, -1) when it is empty."""
    cols = np.flatnonzero(bitmap.any(axis=0))
    if cols.size == 0:
        return 0, -1
    return int(cols[0]), int(cols[-1])
