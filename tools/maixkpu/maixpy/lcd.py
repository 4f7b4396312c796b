"""MaixPy's ``lcd`` module on CPython: a virtual panel written to PNG files.

The panel keeps what the real one would show (standard RGB565 words). Output (host only):
``configure_output(directory, every=N)`` or the environment variables ``MAIXKPU_LCD_OUT`` (folder)
and ``MAIXKPU_LCD_EVERY`` (N). Every panel change rewrites ``lcd_last.png``; with N > 0, displayed
frames 1, 1+N, 1+2N, ... are also kept as ``lcd_00001.png`` etc. (numbered by ``display`` count,
including what is drawn on the panel before the next ``display``).
PNG colours expand RGB565 with rb528/g628; gray images appear as the panel's 6-bit gray (spec 4.2).
Rotation 1/3 swaps the panel size; the content is then cleared (the glass keeps it on hardware).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image as PILImage

from .image import Image
from .image_draw import image_arg
from .imaging import font
from .imaging.args import clip_roi
from .imaging.tables import BPP_GRAYSCALE, BPP_RGB565, G628, RB528, parse_color, raw_to_standard

BLACK = 0x0000
NAVY = 0x0F00
DARKGREEN = 0xE003
DARKCYAN = 0xEF03
MAROON = 0x0078
PURPLE = 0x0F78
OLIVE = 0xE07B
LIGHTGREY = 0x18C6
DARKGREY = 0xEF7B
BLUE = 0x1F00
GREEN = 0xE007
CYAN = 0xFF07
RED = 0x00F8
MAGENTA = 0x1FF8
YELLOW = 0xE0FF
WHITE = 0xFFFF
ORANGE = 0x20FD
GREENYELLOW = 0xE5AF
PINK = 0x1FF8

XY_RLUD = 0x00
YX_RLUD = 0x20
XY_LRUD = 0x40
YX_LRUD = 0x60
XY_RLDU = 0x80
YX_RLDU = 0xA0
XY_LRDU = 0xC0
YX_LRDU = 0xE0

_INIT_ARGS = ("type", "freq", "color", "width", "height", "invert", "offset_w0", "offset_h0",
              "offset_w1", "offset_h1", "rst", "dcx", "ss", "clk")  # fmt: skip
_DIRECTIONS = (YX_RLDU, XY_RLUD, YX_LRUD, XY_LRDU)


class _Panel:
    def __init__(self) -> None:
        self.ready = False
        self.size = (320, 240)
        self.rotation = 0
        self.mirror = False
        self.freq = 15000000
        self.direction = _DIRECTIONS[0]
        self.frame = np.zeros((240, 320), dtype=np.uint16)
        self.out_dir: Path | None = None
        self.every = 0
        self.displayed = 0
        self.configured = False


_panel = _Panel()


# ----- host-only functions -------------------------------------------------------------------


def configure_output(directory: str | os.PathLike[str] | None, every: int = 0) -> None:
    """Write panel frames as PNG into ``directory`` (None: no files); keep every Nth display."""
    _panel.out_dir = Path(directory) if directory is not None else None
    if _panel.out_dir is not None:
        _panel.out_dir.mkdir(parents=True, exist_ok=True)
    _panel.every = int(every)
    _panel.configured = True


def host_reset() -> None:
    """Forget all state, as after power-up (tests use it)."""
    global _panel
    _panel = _Panel()


def board_module(ctx: Any) -> ModuleType:
    """Virtual-board hook: a fresh panel writing into the board's LCD output folder."""
    host_reset()
    if ctx.lcd_out_dir is not None:
        configure_output(ctx.lcd_out_dir, int(os.environ.get("MAIXKPU_LCD_EVERY", 0)))
    return sys.modules[__name__]


def panel_rgb888() -> np.ndarray:
    """What the panel shows now, as (h, w, 3) uint8."""
    s = _panel.frame.astype(np.int32)
    return np.stack([RB528[s >> 11], G628[(s >> 5) & 63], RB528[s & 31]], axis=-1)


def frame_count() -> int:
    """How many times ``display`` has drawn a frame."""
    return _panel.displayed


def _output_dir() -> Path | None:
    if not _panel.configured and os.environ.get("MAIXKPU_LCD_OUT"):
        configure_output(os.environ["MAIXKPU_LCD_OUT"], int(os.environ.get("MAIXKPU_LCD_EVERY", 0)))
    return _panel.out_dir


def _publish() -> None:
    out = _output_dir()
    if out is None:
        return
    pil = PILImage.fromarray(panel_rgb888(), mode="RGB")
    # Written aside then renamed, so a viewer never reads half a file; level 1 keeps it fast.
    partial = out / "lcd_last.png.part"
    pil.save(partial, "PNG", compress_level=1)
    os.replace(partial, out / "lcd_last.png")
    # A kept frame is rewritten by the drawing that follows its display (text, boxes).
    if _panel.every > 0 and _panel.displayed > 0 and (_panel.displayed - 1) % _panel.every == 0:
        pil.save(out / f"lcd_{_panel.displayed:05d}.png", "PNG", compress_level=1)


def _panel_value(color: Any) -> int:
    """A colour argument (raw int in MaixPy's layout, or a tuple) as the panel's standard word."""
    return int(raw_to_standard(np.uint16(parse_color(color, BPP_RGB565))))


def _shape() -> tuple[int, int]:
    w, h = _panel.size
    return (w, h) if _panel.rotation in (0, 2) else (h, w)


def _resize_frame() -> None:
    w, h = _shape()
    if _panel.frame.shape != (h, w):
        _panel.frame = np.zeros((h, w), dtype=np.uint16)


# ----- MaixPy API ----------------------------------------------------------------------------


def init(*args: Any, **kwargs: Any) -> None:
    """``init(type=1, freq=15000000, color=BLACK, width=320, height=240, ...)``."""
    values: dict[str, Any] = dict(zip(_INIT_ARGS, args))
    values.update({k: v for k, v in kwargs.items() if k != "lcd_type"})
    kind = int(values.get("type", 1))
    if kind == 0:
        return None
    if kind not in range(1, 6):
        raise ValueError("type error")
    w, h = int(values.get("width", 320)), int(values.get("height", 240))
    if kind == 2:
        w = h = 240
    _panel.size = (w, h)
    _panel.freq = int(values.get("freq", 15000000))
    _panel.rotation, _panel.mirror = 0, False
    _panel.direction = _DIRECTIONS[0]
    _panel.ready = True
    _panel.frame = np.full((h, w), _panel_value(values.get("color", BLACK)), dtype=np.uint16)
    _publish()
    return None


def deinit() -> None:
    _panel.ready = False


def width() -> int | None:
    return _shape()[0] if _panel.ready else None


def height() -> int | None:
    return _shape()[1] if _panel.ready else None


def freq(value: int | None = None) -> int:
    if value is not None:
        _panel.freq = int(value)
    return _panel.freq


def _image_words(img: Image) -> np.ndarray:
    """An image's pixels as the panel's standard RGB565 words (gray through the 64-gray table)."""
    pixels = img._pixels()
    if img._bpp == BPP_RGB565:
        return raw_to_standard(pixels)
    g = pixels.astype(np.uint16)
    return ((g >> 3) << 11) | ((g >> 2) << 5) | (g >> 3)


def _centre_axis(start: int, length: int, screen: int) -> tuple[int, int, int]:
    """(source start, length, screen offset) for one axis without ``oft``."""
    if length > screen:
        return start + (length - screen) // 2, screen, 0
    return start, length, (screen - length) // 2


def display(img: Any, roi: Any = None, oft: Any = None, **_kwargs: Any) -> None:
    """Centre-crop or centre (black pads, every call) per axis; with ``oft`` draw at (x, y)."""
    img = image_arg(img)
    if img._bpp not in (BPP_GRAYSCALE, BPP_RGB565):
        raise OSError("Image format is not supported.")
    if not _panel.ready:
        return None
    rx, ry, rw, rh = clip_roi(roi, img.width(), img.height())
    words = _image_words(img)
    frame = _panel.frame
    screen_h, screen_w = frame.shape
    if oft is None:
        sx, cw, dx = _centre_axis(rx, rw, screen_w)
        sy, ch, dy = _centre_axis(ry, rh, screen_h)
        frame[...] = BLACK
        frame[dy : dy + ch, dx : dx + cw] = words[sy : sy + ch, sx : sx + cw]
    else:
        ox, oy = (int(v) for v in oft)
        part = words[ry : ry + rh, rx : rx + rw]
        xa, ya = max(ox, 0), max(oy, 0)
        xb, yb = min(ox + rw, screen_w), min(oy + rh, screen_h)
        if xa < xb and ya < yb:
            frame[ya:yb, xa:xb] = part[ya - oy : yb - oy, xa - ox : xb - ox]
    _panel.displayed += 1
    _publish()
    return None


def clear(color: Any = BLACK) -> None:
    if not _panel.ready:
        return None
    _panel.frame[...] = _panel_value(color)
    _publish()
    return None


def fill_rectangle(x: int, y: int, w: int, h: int, color: Any) -> None:
    if not _panel.ready:
        raise ValueError("not init")
    screen_h, screen_w = _panel.frame.shape
    if x < 0 or y < 0 or x + w > screen_w or y + h > screen_h or w < 0 or h < 0:
        raise ValueError("arg error")
    _panel.frame[y : y + h, x : x + w] = _panel_value(color)
    _publish()


def draw_string(x: int, y: int, text: str, fg: int = RED, bg: int = BLACK) -> None:
    """Mono-spaced 8x12 text with a background, cut at the right edge (spec 4.5)."""
    if not _panel.ready:
        raise ValueError("not init")
    screen_h, screen_w = _panel.frame.shape
    x, y = int(x), int(y)
    # MaixPy compares y with the *width*, not the height.
    if x >= screen_w or y > screen_w - 16:
        return None
    chars = str(text)[: max((screen_w - x) // font.CELL_W, 0)]
    if not chars:
        return None
    cells = np.concatenate([font.glyph(c) for c in chars], axis=1)
    fg_word, bg_word = (int(raw_to_standard(np.uint16(int(v) & 0xFFFF))) for v in (fg, bg))
    block = np.where(cells, fg_word, bg_word).astype(np.uint16)
    ys, xs = np.mgrid[0 : block.shape[0], 0 : block.shape[1]]
    keep = (ys + y >= 0) & (ys + y < screen_h) & (xs + x >= 0)
    _panel.frame[ys[keep] + y, xs[keep] + x] = block[keep]
    _publish()
    return None


def rotation(r: int | None = None) -> int:
    if r is not None:
        r = int(r)
        if not 0 <= r <= 3:
            raise ValueError("value:[0,3]")
        _panel.rotation = r
        _panel.direction = _DIRECTIONS[r]
        _resize_frame()
    return _panel.rotation


def mirror(enable: Any = None) -> int:
    if enable is not None:
        _panel.mirror = bool(enable)
    return int(_panel.mirror)


def direction(d: int) -> None:
    _panel.direction = int(d)


def bgr_to_rgb(*args: Any) -> None:
    if not args:
        raise ValueError("True or False")


def invert(*_args: Any) -> None:
    return None


def set_backlight(*_args: Any) -> None:
    return None

