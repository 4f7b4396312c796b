"""Typed wrapper of the C image core (modules/image/core, MaixPy's ``image`` subset) in the cffi
extension ``maixkpu._core``.

The core owns no memory: a ``CoreImage`` keeps its pixels (and optional ``pix_ai`` planes) in
numpy arrays and hands the C functions an ``img_t`` over them. Errors come from the core's
status table (``img_status.c``) as the exceptions MaixPy raises. The host's ``image`` module is
``maixkpu.maixpy.image``; this wrapper exists to use and test the C core from Python.
"""
from __future__ import annotations

import errno
from typing import Any, Optional

import numpy as np

from maixkpu._core import ffi, lib

GRAYSCALE = 1
RGB565 = 2
FIRMWARES = {"full": 0, "minimum": 1}

_EXCEPTIONS: dict[int, type[Exception]] = {
    1: OSError,
    2: ValueError,
    3: TypeError,
    4: IndexError,
    5: MemoryError,
}

Rect = Optional[tuple[int, int, int, int]]


def status_name(status: int) -> str:
    return ffi.string(lib.img_status_name(status)).decode()


def status_message(status: int) -> str:
    return ffi.string(lib.img_status_message(status)).decode()


def check(status: int, type_name: str = "") -> bool:
    """Raise the status's exception; True for IMG_OK, False for IMG_NONE (MaixPy's None)."""
    if status == lib.IMG_OK:
        return True
    if status == lib.IMG_NONE:
        return False
    code = lib.img_status_errno(status)
    if code:
        raise OSError(code, errno.errorcode[code])
    kind = _EXCEPTIONS.get(lib.img_status_exception(status), RuntimeError)
    text = status_message(status)
    raise kind(text.replace("%s", type_name) if "%s" in text else text)


def _fw(firmware: str) -> int:
    try:
        return FIRMWARES[firmware]
    except KeyError:
        raise ValueError(f"firmware must be one of {sorted(FIRMWARES)}, not {firmware!r}") from None


def _rect(roi: Rect) -> Any:
    if roi is None:
        return ffi.NULL
    x, y, w, h = (int(v) for v in roi)
    return ffi.new("img_rect_t *", {"x": x, "y": y, "w": w, "h": h})


class CoreImage:
    """A w x h image in the core's layout: ``buf`` holds gray bytes or raw RGB565 words (spec
    1.2) and may be longer than the pixels (bytes the gray box resize reads past the image)."""

    def __init__(
        self,
        w: int,
        h: int,
        fmt: int,
        buf: np.ndarray | bytes | None = None,
        pix_ai: np.ndarray | None = None,
    ) -> None:
        if fmt not in (GRAYSCALE, RGB565):
            raise ValueError(f"format must be {GRAYSCALE} or {RGB565}, not {fmt}")
        size = max(w, 0) * max(h, 0) * fmt
        if buf is None:
            self.buf = np.zeros(size, dtype=np.uint8)
        else:
            self.buf = np.array(np.frombuffer(bytes(buf), np.uint8) if isinstance(buf, bytes)
                                else buf, dtype=np.uint8).reshape(-1)
            if self.buf.size < size:
                raise ValueError(f"need {size} bytes for {w}x{h}, got {self.buf.size}")
        self.w, self.h, self.fmt = w, h, fmt
        self.pix_ai = pix_ai

    # ----- plumbing ----------------------------------------------------------------------

    def struct(self) -> Any:
        """A fresh ``img_t *`` over the buffers (valid while this object lives)."""
        s = ffi.new("img_t *")
        s.w, s.h, s.format = self.w, self.h, self.fmt
        s.pixels = ffi.from_buffer("uint8_t[]", self.buf) if self.buf.size else ffi.NULL
        s.pix_ai = ffi.NULL
        if self.pix_ai is not None and self.pix_ai.size:
            s.pix_ai = ffi.from_buffer("uint8_t[]", self.pix_ai)
        return s

    @property
    def pixels(self) -> np.ndarray:
        """The pixel bytes only (w*h*bpp), a view."""
        return self.buf[: self.w * self.h * self.fmt]

    def tobytes(self) -> bytes:
        return self.pixels.tobytes()

    def _new_like(self, w: int, h: int, fmt: int | None = None) -> CoreImage:
        return CoreImage(w, h, self.fmt if fmt is None else fmt)

    # ----- pixels -------------------------------------------------------------------------

    def get_pixel(self, x: int, y: int) -> int | None:
        value = ffi.new("uint32_t *")
        return int(value[0]) if check(lib.img_get_pixel(self.struct(), x, y, value)) else None

    def get_pixel_rgb(self, x: int, y: int) -> tuple[int, int, int] | None:
        rgb = ffi.new("uint8_t[3]")
        if not check(lib.img_get_pixel_rgb(self.struct(), x, y, rgb)):
            return None
        return int(rgb[0]), int(rgb[1]), int(rgb[2])

    def set_pixel(self, x: int, y: int, color: int) -> None:
        check(lib.img_set_pixel(self.struct(), x, y, color))

    def clear(self) -> None:
        check(lib.img_clear(self.struct()))

    def clip_roi(self, roi: Rect) -> tuple[int, int, int, int]:
        out = ffi.new("img_rect_t *")
        check(lib.img_clip_roi(self.struct(), _rect(roi), out))
        return out.x, out.y, out.w, out.h

    # ----- conversions --------------------------------------------------------------------

    def to_grayscale(self, copy: bool = False, firmware: str = "full") -> CoreImage:
        """In place (gray bytes over the first w*h bytes, the rest kept) or into a new image."""
        if copy:
            out = self._new_like(self.w, self.h, GRAYSCALE)
            dst = out.struct()
            check(lib.img_to_grayscale(dst, self.struct(), _fw(firmware)))
            return out
        s = self.struct()
        check(lib.img_to_grayscale(s, s, _fw(firmware)))
        self.fmt = GRAYSCALE
        return self

    def to_rgb565(self) -> CoreImage:
        out = self._new_like(self.w, self.h, RGB565)
        check(lib.img_to_rgb565(out.struct(), self.struct()))
        return out

    def invert(self) -> None:
        check(lib.img_invert(self.struct()))

    def pix_to_ai(self) -> None:
        """Allocates ``pix_ai`` as MaixPy does when missing, then fills it."""
        s = self.struct()
        if self.pix_ai is None or self.pix_ai.size < lib.img_pix_ai_size(s):
            self.pix_ai = np.zeros(lib.img_pix_ai_alloc_size(s), dtype=np.uint8)
            s = self.struct()
        check(lib.img_pix_to_ai(s))

    def ai_to_pix(self) -> None:
        check(lib.img_ai_to_pix(self.struct()))

    def stretch(self, low: int, high: int) -> None:
        check(lib.img_stretch(self.struct(), low, high))

    def strech_char(self, de_dark: int) -> None:
        check(lib.img_strech_char(self.struct(), de_dark))

    # ----- geometry -----------------------------------------------------------------------

    def resize(self, w: int, h: int) -> CoreImage:
        """MaixPy's resize; the gray box path may read ``buf`` past the pixels."""
        out = self._new_like(w, h)
        check(lib.img_resize(out.struct(), self.struct(), self.buf.size))
        return out

    def cut(self, x: int, y: int, w: int, h: int) -> CoreImage:
        out = self._new_like(w, h)
        check(lib.img_cut(out.struct(), self.struct(), x, y))
        return out

    def copy(self, roi: Rect = None, x_scale: float = 1.0, y_scale: float = 1.0) -> CoreImage:
        clipped = ffi.new("img_rect_t *")
        ow, oh = ffi.new("int *"), ffi.new("int *")
        src = self.struct()
        check(lib.img_copy_size(src, _rect(roi), x_scale, y_scale, clipped, ow, oh))
        out = self._new_like(ow[0], oh[0])
        check(lib.img_copy(out.struct(), src, clipped, x_scale, y_scale))
        return out

    # ----- drawing ------------------------------------------------------------------------

    def draw_rectangle(
        self, x: int, y: int, w: int, h: int, color: int, thickness: int = 1, fill: bool = False
    ) -> None:
        check(lib.img_draw_rectangle(self.struct(), x, y, w, h, color, thickness, int(fill)))

    def draw_line(
        self, x0: int, y0: int, x1: int, y1: int, color: int, thickness: int = 1
    ) -> None:
        check(lib.img_draw_line(self.struct(), x0, y0, x1, y1, color, thickness))

    def draw_circle(
        self, x: int, y: int, radius: int, color: int, thickness: int = 1, fill: bool = False
    ) -> None:
        check(lib.img_draw_circle(self.struct(), x, y, radius, color, thickness, int(fill)))

    def draw_cross(self, x: int, y: int, color: int, size: int = 5, thickness: int = 1) -> None:
        check(lib.img_draw_cross(self.struct(), x, y, color, size, thickness))

    def draw_string(
        self,
        x: int,
        y: int,
        text: str,
        color: int,
        scale: float = 1.0,
        x_spacing: int = 0,
        y_spacing: int = 2,
        mono_space: bool = False,
    ) -> None:
        data = text.encode("utf-8", "surrogatepass")
        check(lib.img_draw_string(self.struct(), x, y, data, len(data), color, scale, x_spacing,
                                  y_spacing, int(mono_space)))

    def draw_image(
        self,
        src: CoreImage,
        x: int,
        y: int,
        x_scale: float = 1.0,
        y_scale: float = 1.0,
        alpha: int = 256,
        mask: CoreImage | None = None,
        firmware: str = "full",
    ) -> None:
        mask_struct = mask.struct() if mask is not None else ffi.NULL
        check(lib.img_draw_image(self.struct(), src.struct(), x, y, x_scale, y_scale, alpha,
                                 mask_struct, _fw(firmware)))

    # ----- files --------------------------------------------------------------------------

    @classmethod
    def from_bmp(cls, data: bytes) -> CoreImage:
        info = ffi.new("img_bmp_info_t *")
        check(lib.img_bmp_info(data, len(data), info))
        out = cls(info.w, info.h, int(info.format))
        check(lib.img_bmp_decode(data, len(data), out.struct()))
        return out

    def to_bmp(self, roi: Rect = None) -> bytes:
        x, y, w, h = self.clip_roi(roi)
        size = lib.img_bmp_encoded_size(w, h, self.fmt)
        if size == 0:
            raise ValueError(f"a {w}x{h} BMP would not fit in 4 GB")
        out = ffi.new("uint8_t[]", size)
        written = ffi.new("size_t *")
        check(lib.img_bmp_encode(self.struct(), _rect(roi), out, size, written))
        return bytes(ffi.buffer(out, written[0]))


def color_from_int(fmt: int, value: int) -> int:
    return int(lib.img_color_from_int(fmt, value))


def color_from_rgb(fmt: int, r: int, g: int, b: int, firmware: str = "full") -> int:
    return int(lib.img_color_from_rgb(fmt, r, g, b, _fw(firmware)))


def gray_from_rgb565(q: int, firmware: str = "full") -> int:
    return int(lib.img_gray_from_rgb565(q, _fw(firmware)))
