"""MaixPy's ``image`` module on CPython: the ``Image`` class as KPU scripts use it.

Pixel results follow ``shared/spec/maixpy-image-subset.md``: RGB565 is kept as raw byte-swapped
words (spec 1.2), colours, gray conversion, resize, stretch, draw_image and pix_to_ai are exact.
What is not exact is listed in the docstrings of ``imaging.codec`` (JPEG) and ``imaging.font``
(glyph shapes). MaixPy bugs fixed here are named "(fixed)" in the method docstrings.

Host additions (not in MaixPy): ``Image.from_gray_bytes``, ``Image.from_rgb888``,
``Image.from_raw``, ``to_rgb888``, ``to_pil`` and ``ai_planes``; ``board_module`` for the
virtual board. The drawing methods live in ``image_draw``.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Callable, ClassVar

import numpy as np

from .image_draw import ImageDrawing
from .imaging import board, codec, transform
from .imaging.args import clip_roi, option, take_ints
from .imaging.tables import (
    BPP_BAYER,
    BPP_BINARY,
    BPP_GRAYSCALE,
    BPP_RGB565,
    G826,
    RB825,
    compose_raw,
    firmware,
    gray_to_raw,
    parse_color,
    raw_to_gray,
    raw_to_rgb888,
    rgb888_to_raw,
    split_raw,
)
from .imaging.tables import G628 as _G628
from .imaging.tables import RB528 as _RB528

DEFAULT_WIDTH = 320  # CONFIG_LCD_DEFAULT_WIDTH/HEIGHT of maixpy_k210
DEFAULT_HEIGHT = 240
_FORMAT_NOT_SUPPORTED = "Image format is not supported!"
_FORMATS = {BPP_BAYER: 1, BPP_RGB565: 2, BPP_GRAYSCALE: 4}
_TYPE_NAMES = {BPP_BINARY: "binary", BPP_GRAYSCALE: "grayscale", BPP_RGB565: "rgb565"}


class Image(ImageDrawing):
    """A MaixPy image: ``w``, ``h``, ``bpp`` and flat pixel memory, plus the KPU's ``pix_ai``.

    ``pix_ai`` is ``None`` or a 1-D numpy uint8 array holding planar R, G, B planes of ``w*h``
    bytes each (one plane for gray). After ``pix_to_ai()`` on RGB565 it is longer than ``3*w*h``
    (MaixPy allocates rows padded to 64 for its conv code); the KPU reads only the first
    ``3*w*h`` bytes. ``ai_planes()`` gives the planes as a (c, h, w) view.
    """

    pix_ai: np.ndarray | None
    # Maps script paths to host paths; a virtual board subclass sets it (imaging.board).
    path_resolver: ClassVar[Callable[[str], str] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        copy_to_fb = kwargs.pop("copy_to_fb", False)
        from_bytes = kwargs.pop("from_bytes", False)
        size_kw = kwargs.pop("size", None)
        if kwargs:
            raise TypeError(f"unexpected keyword argument '{next(iter(kwargs))}'")
        del copy_to_fb  # the frame buffer is not emulated
        source = args[0] if args else None
        # Quirk kept: a keyword size makes a blank image even when a path is given.
        if size_kw is not None or source is None:
            w, h = (int(v) for v in size_kw) if size_kw is not None else (0, 0)
            if w <= 0 or h <= 0:
                w, h = DEFAULT_WIDTH, DEFAULT_HEIGHT
            self._set(w, h, BPP_RGB565, np.zeros(w * h * 2, dtype=np.uint8))
            self.pix_ai = None
            return
        if from_bytes:
            data = bytes(source.encode("latin-1") if isinstance(source, str) else source)
            decoded = codec.load_bytes(data)
        elif isinstance(source, (str, os.PathLike)):
            decoded = codec.load_path(self._host_path(source))
        elif hasattr(source, "read"):
            decoded = codec.load_file_object(source)
        else:
            raise TypeError(f"can't convert {type(source).__name__} to str")
        self._set(*decoded)
        self.pix_ai = None

    # ----- construction helpers (host side) -------------------------------------------------

    def _host_path(self, path: Any) -> str:
        text = os.fspath(path)
        resolver = type(self).path_resolver
        return resolver(text) if resolver is not None else text

    def _set(self, w: int, h: int, bpp: int, buf: np.ndarray) -> None:
        self._w, self._h, self._bpp, self._buf = w, h, bpp, buf

    @classmethod
    def _make(
        cls, w: int, h: int, bpp: int, buf: np.ndarray, pix_ai: np.ndarray | None = None
    ) -> Image:
        img = cls.__new__(cls)
        img._set(w, h, bpp, buf)
        img.pix_ai = pix_ai
        return img

    @classmethod
    def from_gray_bytes(cls, w: int, h: int, data: Any) -> Image:
        """A w x h grayscale image over ``data`` (``KPU.fmap``), ``pix_ai`` None.

        No copy when ``data`` is writable (bytearray, memoryview, contiguous numpy uint8): the
        image is a view, like MaixPy's fmap image. Bytes after the first w*h stay readable as
        the memory that follows the image (``resize``'s box path reads there), so pass the
        output from the channel's offset on to get MaixPy's behaviour. Read-only data is copied."""
        buf = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
        if buf.dtype != np.uint8:
            raise TypeError("gray image data must be uint8")
        buf = buf.reshape(-1)
        if not buf.flags.writeable:
            buf = buf.copy()
        if buf.size < w * h:
            raise ValueError(f"need {w * h} bytes for a {w}x{h} gray image, got {buf.size}")
        return cls._make(w, h, BPP_GRAYSCALE, buf)

    @classmethod
    def from_raw(cls, w: int, h: int, words: np.ndarray) -> Image:
        """An RGB565 image from raw words (MaixPy's byte-swapped layout), copied."""
        raw = np.ascontiguousarray(words, dtype="<u2").reshape(h, w)
        return cls._make(w, h, BPP_RGB565, raw.reshape(-1).view(np.uint8).copy())

    @classmethod
    def from_rgb888(cls, rgb: np.ndarray) -> Image:
        """An RGB565 image from an (h, w, 3) uint8 array, rounded with rb825/g826."""
        rgb = np.asarray(rgb, dtype=np.uint8)
        h, w = rgb.shape[:2]
        return cls.from_raw(w, h, rgb888_to_raw(rgb))

    # ----- views ----------------------------------------------------------------------------

    def _pixels(self) -> np.ndarray:
        """(h, w) view of the pixels: uint8 gray or raw uint16 RGB565 words."""
        if self._bpp == BPP_RGB565:
            n = self._w * self._h
            return self._buf[: 2 * n].view("<u2").reshape(self._h, self._w)
        if self._bpp in (BPP_GRAYSCALE, BPP_BAYER):
            return self._buf[: self._w * self._h].reshape(self._h, self._w)
        raise OSError(_FORMAT_NOT_SUPPORTED)

    def _need_gray_or_rgb(self) -> np.ndarray:
        if self._bpp not in (BPP_GRAYSCALE, BPP_RGB565):
            raise OSError(_FORMAT_NOT_SUPPORTED)
        return self._pixels()

    def to_rgb888(self) -> np.ndarray:
        """Host helper: (h, w, 3) uint8 RGB (RGB565 expanded with rb528/g628, gray replicated)."""
        pixels = self._need_gray_or_rgb()
        if self._bpp == BPP_RGB565:
            return raw_to_rgb888(pixels)
        return np.repeat(pixels[:, :, None], 3, axis=2)

    def to_pil(self) -> Any:
        """Host helper: a Pillow image (``RGB`` for RGB565, ``L`` for gray)."""
        from PIL import Image as PILImage

        if self._bpp == BPP_GRAYSCALE:
            return PILImage.fromarray(np.array(self._pixels()), mode="L")
        return PILImage.fromarray(self.to_rgb888(), mode="RGB")

    def ai_planes(self) -> np.ndarray | None:
        """Host helper: ``pix_ai`` as a (c, h, w) uint8 view (c = 3 for RGB565, 1 for gray)."""
        if self.pix_ai is None:
            return None
        c = 3 if self._bpp == BPP_RGB565 else 1
        n = self._w * self._h
        return np.asarray(self.pix_ai, dtype=np.uint8)[: c * n].reshape(c, self._h, self._w)

    # ----- accessors --------------------------------------------------------------------------

    def width(self) -> int:
        return self._w

    def height(self) -> int:
        return self._h

    def format(self) -> int | None:
        """``sensor.RGB565`` (2), ``sensor.GRAYSCALE`` (4), bayer 1, JPEG 5, binary ``None``."""
        if self._bpp >= 4:
            return 5
        return _FORMATS.get(self._bpp)

    def size(self) -> int:
        if self._bpp == BPP_RGB565:
            return self._w * self._h * 2
        if self._bpp in (BPP_GRAYSCALE, BPP_BAYER):
            return self._w * self._h
        if self._bpp == BPP_BINARY:
            return (self._w + 31) // 32 * 4 * self._h
        return self._bpp

    def __repr__(self) -> str:
        size = self.size()
        if self._bpp == BPP_BINARY:
            size = (self._w + 31) // 32 * self._h  # MaixPy prints the word count here
        kind = _TYPE_NAMES.get(self._bpp, "bayer" if self._bpp == BPP_BAYER else "jpeg")
        return f'{{"w":{self._w}, "h":{self._h}, "type"="{kind}", "size":{size}}}'

    __str__ = __repr__

    def to_bytes(self) -> memoryview:
        """The raw pixel bytes (spec 1.2 layout). A writable view that aliases the image, as in
        MaixPy (where it is a bytearray over the same memory)."""
        return memoryview(self._buf[: self.size()])

    def __bytes__(self) -> bytes:
        return self._buf[: self.size()].tobytes()

    # ----- indexing ---------------------------------------------------------------------------

    def _flat(self) -> np.ndarray:
        return self._need_gray_or_rgb().reshape(-1)

    def _value_out(self, v: np.ndarray) -> Any:
        if self._bpp == BPP_RGB565:
            return tuple(int(c) for c in raw_to_rgb888(np.uint16(v)))
        return int(v)

    @staticmethod
    def _pixel_index(flat: np.ndarray, index: int | slice) -> int | slice:
        """MicroPython's subscript rules: slices of step 1; ints from the end when negative."""
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise OSError("only slices with step=1 (aka None) are supported")
            return index
        i = int(index)
        if i < 0:
            i += flat.size
        if not 0 <= i < flat.size:
            raise IndexError("Image index out of range")
        return i

    def __getitem__(self, index: int | slice) -> Any:
        flat = self._flat()
        at = self._pixel_index(flat, index)
        if isinstance(at, slice):
            return tuple(self._value_out(v) for v in flat[at])
        return self._value_out(flat[at])

    def _value_in(self, value: Any) -> int:
        if self._bpp == BPP_RGB565:
            if not isinstance(value, (tuple, list)):
                raise TypeError(f"object '{type(value).__name__}' isn't a tuple or list")
            return parse_color(value, BPP_RGB565)
        return int(value) & 0xFF

    def __setitem__(self, index: int | slice, value: Any) -> None:
        flat = self._flat()
        at = self._pixel_index(flat, index)
        if isinstance(at, slice):
            target = flat[at]
            if isinstance(value, list):
                if len(value) != target.size:
                    raise OSError("cannot grow or shrink image")
                target[...] = [self._value_in(v) for v in value]
            else:
                target[...] = self._value_in(value)
            return
        flat[at] = self._value_in(value)

    # ----- pixels ------------------------------------------------------------------------------

    def get_pixel(self, *args: Any, **kwargs: Any) -> Any:
        """``get_pixel(x, y[, rgbtuple])`` or ``get_pixel((x, y)[, rgbtuple])``."""
        if self._bpp >= 4:
            raise OSError(_FORMAT_NOT_SUPPORTED)
        if len(args) == 1 and not isinstance(args[0], (tuple, list)):
            raise OSError("Not enough positional arguments!")
        (x, y), rest = take_ints(args, 2)
        rgbtuple = bool(option(rest, kwargs, 0, "rgbtuple", self._bpp == BPP_RGB565))
        if not (0 <= x < self._w and 0 <= y < self._h):
            return None
        v = int(self._pixels()[y, x])
        if self._bpp == BPP_RGB565:
            return tuple(int(c) for c in raw_to_rgb888(np.uint16(v))) if rgbtuple else v
        if rgbtuple:
            return tuple(int(c) for c in raw_to_rgb888(gray_to_raw(np.uint8(v))))
        return v

    def set_pixel(self, *args: Any, **kwargs: Any) -> Image:
        """``set_pixel(x, y[, color])`` or ``set_pixel((x, y)[, color])``; off-image is ignored."""
        if self._bpp >= 4:
            raise OSError(_FORMAT_NOT_SUPPORTED)
        (x, y), rest = take_ints(args, 2)
        value = parse_color(option(rest, kwargs, 0, "color", -1), self._bpp)
        if 0 <= x < self._w and 0 <= y < self._h:
            self._pixels()[y, x] = value
        return self

    def clear(self) -> Image:
        self._buf[: self.size()] = 0
        return self

    def __del__(self) -> None:
        """Scripts call ``img.__del__()`` to free memory early; Python's GC does that here."""

    # ----- conversions -------------------------------------------------------------------------

    def to_grayscale(self, copy: bool = False) -> Image:
        """RGB565 -> gray with the firmware's Y table (spec 2.5).

        In place (default): gray bytes go to the first w*h bytes of the same memory and the
        rest keeps the RGB565 bytes (``resize``'s box path reads them); this object also becomes
        gray, and the returned object shares memory and ``pix_ai`` (not recomputed).
        ``copy=True``: new memory and a new zero-filled 3*w*h ``pix_ai`` (as MaixPy)."""
        if self._bpp == BPP_BINARY:
            if not copy:
                raise OSError("Can't convert to grayscale in place!")
            raise OSError(_FORMAT_NOT_SUPPORTED)
        n = self._w * self._h
        if self._bpp == BPP_GRAYSCALE:
            if not copy:
                return self
            return type(self)._make(
                self._w, self._h, BPP_GRAYSCALE, self._buf[:n].copy(), np.zeros(3 * n, np.uint8)
            )
        gray = raw_to_gray(self._pixels()).reshape(-1)
        if copy:
            zeros = np.zeros(3 * n, np.uint8)
            return type(self)._make(self._w, self._h, BPP_GRAYSCALE, gray, zeros)
        self._buf[:n] = gray
        self._bpp = BPP_GRAYSCALE
        return type(self)._make(self._w, self._h, BPP_GRAYSCALE, self._buf, self.pix_ai)

    def to_rgb565(self, copy: bool = False) -> Image:
        """Gray -> RGB565 (R8 = G8 = B8 = g, rounded); only with ``copy=True`` for gray."""
        if self._bpp == BPP_RGB565:
            if not copy:
                return self
            return type(self)._make(self._w, self._h, BPP_RGB565, self._buf.copy())
        if self._bpp != BPP_GRAYSCALE:
            raise OSError(_FORMAT_NOT_SUPPORTED)
        if not copy:
            raise OSError("Can't convert to rgb565 in place!")
        return type(self).from_raw(self._w, self._h, gray_to_raw(self._pixels()))

    def _invert(self) -> Image:
        """Bitwise NOT of every byte (gray) or word (RGB565), in place."""
        pixels = self._need_gray_or_rgb()
        np.invert(pixels, out=pixels)
        return self

    @property
    def invert(self) -> Any:
        """``invert()`` exists only in the full firmware (minimum lacks the binary ops)."""
        if firmware() != "full":
            raise AttributeError("'Image' object has no attribute 'invert'")
        return self._invert

    # ----- geometry ----------------------------------------------------------------------------

    def resize(self, w: int, h: int) -> Image | None:
        """New image (``pix_ai`` None); MaixPy's bilinear/box/nearest paths and their quirks."""
        w, h = int(w), int(h)
        if self._bpp == BPP_GRAYSCALE:
            out = transform.resize_gray(self._buf, self._w, self._h, w, h)
            return type(self)._make(w, h, BPP_GRAYSCALE, out.reshape(-1))
        if self._bpp == BPP_RGB565:
            words = transform.resize_rgb565(self._pixels(), w, h)
            return type(self).from_raw(w, h, words)
        print("only support grayscale, 565 zoom out now")
        return None

    def cut(self, x: int, y: int, w: int, h: int) -> Image | None:
        """New zero-filled w x h image holding ``src[y:y+h, x:x+w]``; the rest stays black.

        (fixed) MaixPy reads out of bounds for negative x/y; here such pixels stay black. It also
        accepts 3 arguments (garbage height); here all 4 are required."""
        if self._bpp not in (BPP_GRAYSCALE, BPP_RGB565):
            print("pixel format not support!")
            return None
        x, y, w, h = int(x), int(y), int(w), int(h)
        src = self._pixels()
        out = np.zeros((h, w), dtype=src.dtype)
        xa, ya = max(x, 0), max(y, 0)
        xb, yb = min(x + w, self._w), min(y + h, self._h)
        if xa < xb and ya < yb:
            out[ya - y : yb - y, xa - x : xb - x] = src[ya:yb, xa:xb]
        return type(self)._make(w, h, self._bpp, out.reshape(-1).view(np.uint8).copy())

    def _scaled(
        self, roi: Sequence[int] | None, x_scale: float, y_scale: float
    ) -> tuple[int, int, np.ndarray]:
        pixels = self._need_gray_or_rgb()
        rx, ry, rw, rh = clip_roi(roi, self._w, self._h)
        if x_scale < 0:
            raise OSError("Error: 0.0 <= x_scale!")
        if y_scale < 0:
            raise OSError("Error: 0.0 <= y_scale!")
        ow = int(np.float32(rw) * np.float32(x_scale))
        oh = int(np.float32(rh) * np.float32(y_scale))
        if ow < 1:
            raise OSError("Output image width is 0!")
        if oh < 1:
            raise OSError("Output image height is 0!")
        cols = transform.scaled_indices(rx, ow, x_scale)
        rows = transform.scaled_indices(ry, oh, y_scale)
        out = np.ascontiguousarray(pixels[rows[:, None], cols[None, :]])
        return ow, oh, out.reshape(-1).view(np.uint8).copy()

    def copy(self, *args: Any, **kwargs: Any) -> Image:
        """``copy(roi, x_scale=1.0, y_scale=1.0, copy_to_fb=False)`` (v0.6.3/HEAD form).

        (fixed) MaixPy leaves ``pix_ai`` uninitialised; here it is None."""
        roi = option(list(args), kwargs, 0, "roi", None)
        x_scale = float(option(list(args), kwargs, 1, "x_scale", 1.0))
        y_scale = float(option(list(args), kwargs, 2, "y_scale", 1.0))
        ow, oh, buf = self._scaled(roi, x_scale, y_scale)
        return type(self)._make(ow, oh, self._bpp, buf)

    def crop(self, *args: Any, **kwargs: Any) -> Image:
        """``crop(roi, x_scale, y_scale, copy=False)``: in place by default, ``copy=True`` for a
        new image, or another Image to write into. In place keeps ``pix_ai`` as it was."""
        roi = option(list(args), kwargs, 0, "roi", None)
        x_scale = float(option(list(args), kwargs, 1, "x_scale", 1.0))
        y_scale = float(option(list(args), kwargs, 2, "y_scale", 1.0))
        target = option(list(args), kwargs, 3, "copy", False)
        ow, oh, buf = self._scaled(roi, x_scale, y_scale)
        if isinstance(target, Image):
            target._set(ow, oh, self._bpp, buf)
            return target
        if target:
            return type(self)._make(ow, oh, self._bpp, buf)
        self._set(ow, oh, self._bpp, buf)
        return self

    # ----- gray contrast -----------------------------------------------------------------------

    def stretch(self, low: int, high: int) -> None:
        """Gray only, in place, returns None: interior min/max, integer scale capped at 5."""
        if self._bpp != BPP_GRAYSCALE:
            print("only support grayscale now")
            return None
        transform.stretch(self._pixels(), int(low), int(high))
        return None

    def strech_char(self, de_dark: int) -> None:
        """Gray only, in place, returns None (MaixPy's spelling). The ``de_dark`` falloff is
        evaluated in float32; its exact integer/float mix in MaixPy is not verified."""
        if self._bpp != BPP_GRAYSCALE:
            print("only support grayscale now")
            return None
        transform.strech_char(self._pixels(), int(de_dark))
        return None

    # ----- KPU buffer ----------------------------------------------------------------------------

    def pix_to_ai(self) -> None:
        """Fill ``pix_ai`` with planar R8, G8, B8 (rb528/g628) or the gray plane. Allocates
        ``((w+63)&~63)*h*3`` bytes for RGB565 like MaixPy; planes are packed with ``w``.
        (fixed) An existing ``pix_ai`` that is too small is replaced instead of overrun."""
        n = self._w * self._h
        if self._bpp == BPP_RGB565:
            need, alloc = 3 * n, ((self._w + 63) & ~63) * self._h * 3
            src = self._pixels().reshape(-1)
            r5, g6, b5 = split_raw(src)
            planes = np.concatenate([_RB528[r5], _G628[g6], _RB528[b5]])
        elif self._bpp == BPP_GRAYSCALE:
            need = alloc = n
            planes = self._buf[:n]
        else:
            print("only support grayscale now")
            return None
        if self.pix_ai is None or len(self.pix_ai) < need:
            self.pix_ai = np.zeros(alloc, dtype=np.uint8)
        pix_ai = self.pix_ai
        if isinstance(pix_ai, np.ndarray):
            pix_ai[:need] = planes
        else:
            pix_ai[:need] = planes.tobytes()
        return None

    def ai_to_pix(self) -> None:
        """The reverse of ``pix_to_ai``: RGB565 from the planes via rb825/g826, or gray."""
        if self.pix_ai is None:
            return None
        n = self._w * self._h
        ai = np.frombuffer(self.pix_ai, dtype=np.uint8) if not isinstance(
            self.pix_ai, np.ndarray
        ) else self.pix_ai
        if self._bpp == BPP_RGB565:
            words = compose_raw(RB825[ai[:n]], G826[ai[n : 2 * n]], RB825[ai[2 * n : 3 * n]])
            self._pixels().reshape(-1)[:] = words
        elif self._bpp == BPP_GRAYSCALE:
            self._buf[:n] = ai[:n]
        else:
            print("only support grayscale now")
        return None

    # ----- files -------------------------------------------------------------------------------

    def save(self, path: str, *args: Any, **kwargs: Any) -> Image:
        """``save(path[, roi, quality=50])``: BMP as MaixPy writes it, JPEG via Pillow, PNG via
        Pillow (PC extension); .ppm/.pgm/.raw and other extensions write nothing (as MaixPy)."""
        pixels = self._need_gray_or_rgb()
        roi = option(list(args), kwargs, 0, "roi", None)
        quality = option(list(args), kwargs, 1, "quality", 50)
        x, y, w, h = clip_roi(roi, self._w, self._h)
        codec.save(pixels[y : y + h, x : x + w], self._bpp, self._host_path(path), quality)
        return self




def board_module(ctx: Any) -> ModuleType:
    """Virtual-board hook: an ``image`` module whose ``Image`` resolves board paths."""
    return board.image_module(ctx, Image, __doc__ or "")
