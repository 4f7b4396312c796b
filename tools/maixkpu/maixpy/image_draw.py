"""The drawing methods of ``image.Image`` (spec 2.9-2.11), kept apart from the rest of the class.

``draw_rectangle``, ``draw_string`` and ``draw_image`` follow MaixPy exactly (glyph shapes
aside, see ``imaging.font``). ``draw_line``, ``draw_circle`` and ``draw_cross`` are outside the
spec: Bresenham line, midpoint circle and a square brush for thickness, close to OpenMV's
geometry but not verified pixel by pixel.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .imaging import draw
from .imaging.args import option, take_ints
from .imaging.tables import parse_color


def image_arg(value: Any) -> ImageDrawing:
    """MaixPy's ``py_helper_arg_to_image`` check (the target type prints as ``type``, spec 6)."""
    if not isinstance(value, ImageDrawing):
        raise TypeError(f"Can't convert {type(value).__name__} to type")
    return value


class ImageDrawing:
    """Mixin of ``image.Image``: needs ``_bpp``, ``_pixels()`` and ``_need_gray_or_rgb()``."""

    _bpp: int

    def _pixels(self) -> np.ndarray:
        raise NotImplementedError

    def _need_gray_or_rgb(self) -> np.ndarray:
        raise NotImplementedError

    def draw_rectangle(self, *args: Any, **kwargs: Any) -> ImageDrawing:
        """``draw_rectangle(x, y, w, h[, color, thickness, fill])`` or with an (x, y, w, h)."""
        pixels = self._need_gray_or_rgb()
        (x, y, w, h), rest = take_ints(args, 4)
        value = parse_color(option(rest, kwargs, 0, "color", -1), self._bpp)
        thickness = int(option(rest, kwargs, 1, "thickness", 1))
        fill = bool(option(rest, kwargs, 2, "fill", False))
        draw.draw_rectangle(pixels, x, y, w, h, value, thickness, fill)
        return self

    def draw_string(self, *args: Any, **kwargs: Any) -> ImageDrawing:
        """``draw_string(x, y, text[, color, scale, x_spacing, y_spacing, mono_space])``."""
        pixels = self._need_gray_or_rgb()
        if args and isinstance(args[0], (tuple, list)):
            x, y, text = args[0][0], args[0][1], args[0][2]
            rest = list(args[1:])
        elif len(args) >= 3:
            x, y, text = args[0], args[1], args[2]
            rest = list(args[3:])
        else:
            raise OSError("Not enough positional arguments!")
        value = parse_color(option(rest, kwargs, 0, "color", -1), self._bpp)
        scale = float(option(rest, kwargs, 1, "scale", 1.0))
        x_spacing = int(option(rest, kwargs, 2, "x_spacing", 0))
        y_spacing = int(option(rest, kwargs, 3, "y_spacing", 2))
        mono_space = bool(option(rest, kwargs, 4, "mono_space", False))
        if scale <= 0:
            raise OSError("Error: 0 < scale!")
        x, y = int(x), int(y)
        h, w = pixels.shape
        window = (-x, -y, w - x, h - y)
        xs, ys = draw.text_points(str(text), scale, x_spacing, y_spacing, mono_space, window)
        draw.plot_points(pixels, xs + x, ys + y, value)
        return self

    def draw_image(self, *args: Any, **kwargs: Any) -> ImageDrawing:
        """``draw_image(img, x, y[, x_scale, y_scale, alpha, mask])`` with MaixPy's semantics:
        source values are copied raw (gray g lands in RGB565 as the word g: red/black, not gray;
        RGB565 lands in gray as its low byte). ``alpha < 256`` blends via raw-RGB565 decoding."""
        if not args:
            raise OSError("Not enough positional arguments!")
        src = image_arg(args[0])
        (x, y), rest = take_ints(args[1:], 2)
        x_scale = float(option(rest, kwargs, 0, "x_scale", 1.0))
        y_scale = float(option(rest, kwargs, 1, "y_scale", 1.0))
        alpha = int(option(rest, kwargs, 2, "alpha", 256))
        mask_img = option(rest, kwargs, 3, "mask", None)
        if x_scale < 0:
            raise OSError("Error: 0.0 <= x_scale!")
        if y_scale < 0:
            raise OSError("Error: 0.0 <= y_scale!")
        if not 0 <= alpha <= 256:
            raise OSError("Error: 0 <= alpha <= 256!")
        dst_pixels = self._need_gray_or_rgb()
        src_pixels = src._need_gray_or_rgb()
        mask = None
        if mask_img is not None:
            mask_img = image_arg(mask_img)
            mask = draw.mask_set(mask_img._pixels(), mask_img._bpp)
        draw.draw_image(dst_pixels, src_pixels, x, y, x_scale, y_scale, alpha, mask)
        return self

    def draw_line(self, *args: Any, **kwargs: Any) -> ImageDrawing:
        """``draw_line(x0, y0, x1, y1[, color, thickness])`` or with an (x0, y0, x1, y1)."""
        pixels = self._need_gray_or_rgb()
        (x0, y0, x1, y1), rest = take_ints(args, 4)
        value = parse_color(option(rest, kwargs, 0, "color", -1), self._bpp)
        thickness = int(option(rest, kwargs, 1, "thickness", 1))
        draw.draw_line(pixels, x0, y0, x1, y1, value, thickness)
        return self

    def draw_circle(self, *args: Any, **kwargs: Any) -> ImageDrawing:
        """``draw_circle(x, y, radius[, color, thickness, fill])`` or with an (x, y, radius)."""
        pixels = self._need_gray_or_rgb()
        (x, y, radius), rest = take_ints(args, 3)
        value = parse_color(option(rest, kwargs, 0, "color", -1), self._bpp)
        thickness = int(option(rest, kwargs, 1, "thickness", 1))
        fill = bool(option(rest, kwargs, 2, "fill", False))
        draw.draw_circle(pixels, x, y, radius, value, thickness, fill)
        return self

    def draw_cross(self, *args: Any, **kwargs: Any) -> ImageDrawing:
        """``draw_cross(x, y[, color, size=5, thickness=1])`` or with an (x, y)."""
        pixels = self._need_gray_or_rgb()
        (x, y), rest = take_ints(args, 2)
        value = parse_color(option(rest, kwargs, 0, "color", -1), self._bpp)
        size = int(option(rest, kwargs, 1, "size", 5))
        thickness = int(option(rest, kwargs, 2, "thickness", 1))
        draw.draw_line(pixels, x - size, y, x + size, y, value, thickness)
        draw.draw_line(pixels, x, y - size, x, y + size, value, thickness)
        return self
