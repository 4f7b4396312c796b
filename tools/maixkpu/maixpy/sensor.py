"""MaixPy's ``sensor`` module on CPython: a camera whose frames come from image files.

Frame source (host only): ``configure_source(path)`` or the environment variable
``MAIXKPU_CAMERA``: one image file (every snapshot returns it), or a folder whose image files are
cycled in name order. Without a source, frames are a fixed colour-bar test pattern.

How a frame is made, for each ``snapshot()``:
1. the next source picture is decoded to RGB888 by Pillow;
2. it is centre-cropped to the framesize's aspect ratio and resized to the framesize with
   Pillow's bilinear filter (no resampling when it already has that size);
3. ``set_hmirror``/``set_vflip`` flip it (before the window crop, as the sensor does);
4. ``set_windowing`` crops it: top-left by default, as the DVP does on OV2640/OV7740; or centred
   (GC0328 at QVGA) after ``set_window_mode("center")``;
5. RGB565 pixels are quantised with rb825/g826 (rounded) into MaixPy's raw layout; ``pix_ai`` is
   filled with planar R, G, B from the RGB888 frame (``set_ai_source("rgb888")``, the default,
   closest to the DVP's own conversion) or from the quantised pixels (``"pix_to_ai"``);
   GRAYSCALE pixels are Pillow's ``L`` conversion (ITU-R 601 luma, rounded) and, as on the K210,
   the pixels *are* ``pix_ai`` (one plane).

As in MaixPy, each snapshot is a new Image over the shared frame buffer (two with
``dual_buff=True``): the next snapshot overwrites the previous one's pixels and ``pix_ai``.
``skip_frames`` checks the sensor state like a snapshot but does not advance the file source
(a camera's warm-up frames have no counterpart in a folder of pictures).
YUV422 frames are produced like RGB565 ones.
"""
from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image as PILImage

from .image import Image
from .imaging import board
from .imaging.tables import (
    BPP_GRAYSCALE,
    BPP_RGB565,
    G628,
    RB528,
    rgb888_to_raw,
    split_raw,
)

BAYER = 1
RGB565 = 2
YUV422 = 3
GRAYSCALE = 4
JPEG = 5

_RESOLUTIONS: dict[int, tuple[int, int]] = {
    0: (0, 0),
    1: (88, 72), 2: (176, 144), 3: (352, 288), 4: (88, 60), 5: (176, 120), 6: (352, 240),
    7: (40, 30), 8: (80, 60), 9: (160, 120), 10: (320, 240), 11: (640, 480), 12: (60, 40),
    13: (120, 80), 14: (240, 160), 15: (64, 32), 16: (64, 64), 17: (128, 64), 18: (128, 128),
    19: (240, 240), 20: (128, 160), 21: (128, 160), 22: (720, 480), 23: (752, 480),
    24: (800, 600), 25: (1280, 1024), 26: (1600, 1200),
}  # fmt: skip
(QQCIF, QCIF, CIF, QQSIF, QSIF, SIF, QQQQVGA, QQQVGA, QQVGA, QVGA, VGA, HQQQVGA, HQQVGA, HQVGA,
 B64X32, B64X64, B128X64, B128X128, B240X240, LCD, QQVGA2, WVGA, WVGA2, SVGA, SXGA,
 UXGA) = range(1, 27)  # fmt: skip

OV2640_ID = 0x2642
IMAGE_SUFFIXES = (".bmp", ".png", ".jpg", ".jpeg", ".gif", ".ppm", ".pgm", ".tif", ".tiff")
WINDOW_MODES = ("top_left", "center")
AI_SOURCES = ("rgb888", "pix_to_ai")


class _State:
    """Everything ``reset`` and the host configuration functions set."""

    def __init__(self) -> None:
        self.found = False
        self.pixformat = 0
        self.framesize = 0
        self.window: tuple[int, int, int, int] | None = None
        self.hmirror = False
        self.vflip = False
        self.dual_buff = False
        self.buffers: list[tuple[np.ndarray, np.ndarray]] = []
        self.next_buffer = 0
        self.last: Image | None = None
        self.source: list[Path] | None = None
        self.source_index = 0
        self.window_mode = "top_left"
        self.ai_source = "rgb888"
        self.decoded: dict[Path, np.ndarray] = {}
        self.image_class: type[Image] = Image


_state = _State()


# ----- host-only configuration --------------------------------------------------------------


def configure_source(path: str | os.PathLike[str] | None) -> None:
    """Use an image file, or a folder of images cycled by name, as the camera (None: test bars)."""
    if path is None:
        _state.source = None
    else:
        p = Path(path)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise FileNotFoundError(f"no image files in {p}")
            _state.source = files
        elif p.is_file():
            _state.source = [p]
        else:
            raise FileNotFoundError(f"camera source {p} does not exist")
    _state.source_index = 0
    _state.decoded.clear()


def set_window_mode(mode: str) -> None:
    """``top_left`` (DVP crop, most sensors; the default) or ``center`` (GC0328 at QVGA)."""
    if mode not in WINDOW_MODES:
        raise ValueError(f"window mode must be one of {WINDOW_MODES}")
    _state.window_mode = mode


def set_ai_source(mode: str) -> None:
    """Fill snapshot ``pix_ai`` from the ``rgb888`` frame (default) or via ``pix_to_ai``."""
    if mode not in AI_SOURCES:
        raise ValueError(f"ai source must be one of {AI_SOURCES}")
    _state.ai_source = mode


def host_reset() -> None:
    """Forget all state, as after power-up (tests use it)."""
    global _state
    _state = _State()


def board_module(ctx: Any) -> ModuleType:
    """Virtual-board hook: a fresh camera whose frames come from the board's camera folder."""
    host_reset()
    _state.image_class = board.image_class(ctx, Image)
    if ctx.camera_dir is not None:
        configure_source(ctx.camera_dir)
    return sys.modules[__name__]


def _ensure_source() -> None:
    if _state.source is None and os.environ.get("MAIXKPU_CAMERA"):
        configure_source(os.environ["MAIXKPU_CAMERA"])


# ----- MaixPy API ---------------------------------------------------------------------------


def reset(*_args: Any, freq: int = 24000000, set_regs: bool = True, dual_buff: bool = False,
          choice: int = 0) -> None:
    """Probe the (emulated OV2640) camera; clears format, size, window and mirror/flip."""
    del freq, set_regs, choice
    _state.found = True
    _state.pixformat = 0
    _state.framesize = 0
    _state.window = None
    _state.hmirror = _state.vflip = False
    _state.dual_buff = bool(dual_buff)
    _state.buffers = []
    _state.last = None
    _ensure_source()


def set_pixformat(*args: Any, set_regs: bool = True) -> bool:
    del set_regs
    if len(args) != 1:
        raise ValueError("arg err")
    fmt = int(args[0])
    if fmt not in (RGB565, YUV422, GRAYSCALE):
        raise OSError("Pixel format is not supported!")
    _state.pixformat = fmt
    _state.buffers = []
    return True


def set_framesize(*args: Any, set_regs: bool = True) -> None:
    """Returns None (the docs say True). Resets any windowing."""
    del set_regs
    if len(args) != 1:
        raise ValueError("arg err")
    size = int(args[0])
    if size not in _RESOLUTIONS or size == 0:
        raise OSError(errno.EIO, "EIO")
    _state.framesize = size
    _state.window = None
    _state.buffers = []


def set_windowing(roi: Any) -> bool:
    values = [int(v) for v in roi]
    res_w, res_h = _RESOLUTIONS[_state.framesize]
    if len(values) == 2:
        w, h = values
        x, y = res_w // 2 - w // 2, res_h // 2 - h // 2
    elif len(values) == 4:
        x, y, w, h = values
    else:
        raise ValueError("The tuple/list must either be (x, y, w, h) or (w, h)")
    if w < 8 or h < 8:
        raise ValueError("The selected window is too small")
    if x < 0 or y < 0 or x + w > res_w or y + h > res_h:
        raise ValueError("The selected window is outside the bounds of the frame")
    if w % 8 or h % 8:
        raise ValueError("value must be multiple of 8")
    _state.window = (x, y, w, h)
    _state.buffers = []
    return True


def set_hmirror(enable: Any) -> None:
    _state.hmirror = bool(enable)


def set_vflip(enable: Any) -> None:
    _state.vflip = bool(enable)


def run(enable: Any) -> bool:
    del enable
    return True


def width() -> int:
    """The framesize width (not the window's), 0 before ``set_framesize``."""
    return _RESOLUTIONS[_state.framesize][0]


def height() -> int:
    return _RESOLUTIONS[_state.framesize][1]


def get_id() -> int:
    return OV2640_ID


def get_fb() -> Image | None:
    return _state.last


def _check_ready() -> None:
    if not _state.found:
        raise TypeError("not found sensor")
    if _state.pixformat == JPEG:
        raise OSError("Operation not supported on JPEG")
    if _state.framesize == 0:
        raise RuntimeError("Not init!")


def skip_frames(n: int | None = None, time: int | None = None) -> None:
    del n, time
    _check_ready()


def _test_pattern(w: int, h: int) -> np.ndarray:
    """Eight vertical colour bars (white, yellow, cyan, green, magenta, red, blue, black)."""
    bars = np.array(
        [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0],
         [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]], dtype=np.uint8,
    )  # fmt: skip
    index = np.arange(w) * 8 // max(w, 1)
    return np.broadcast_to(bars[index][None, :, :], (h, w, 3)).copy()


def _next_picture(res_w: int, res_h: int) -> np.ndarray:
    """The next source picture at the framesize (centre-crop to the aspect, then resize)."""
    if _state.source is None:
        return _test_pattern(res_w, res_h)
    path = _state.source[_state.source_index % len(_state.source)]
    _state.source_index += 1
    rgb = _state.decoded.get(path)
    if rgb is None:
        with PILImage.open(path) as pil:
            rgb = np.asarray(pil.convert("RGB"), dtype=np.uint8)
        if len(_state.decoded) >= 16:
            _state.decoded.clear()
        _state.decoded[path] = rgb
    src_h, src_w = rgb.shape[:2]
    if (src_w, src_h) == (res_w, res_h):
        return rgb
    # Largest centred box with the framesize's aspect ratio (integer maths, no float drift).
    if src_w * res_h > src_h * res_w:
        crop_w, crop_h = src_h * res_w // res_h, src_h
    else:
        crop_w, crop_h = src_w, src_w * res_h // res_w
    left, top = (src_w - crop_w) // 2, (src_h - crop_h) // 2
    pil = PILImage.fromarray(rgb).crop((left, top, left + crop_w, top + crop_h))
    return np.asarray(pil.resize((res_w, res_h), PILImage.Resampling.BILINEAR), dtype=np.uint8)


def _window_box(res_w: int, res_h: int) -> tuple[int, int, int, int]:
    if _state.window is None:
        return 0, 0, res_w, res_h
    x, y, w, h = _state.window
    if _state.window_mode == "top_left":
        return 0, 0, w, h
    return x, y, w, h


def _buffers(w: int, h: int, gray: bool) -> tuple[np.ndarray, np.ndarray]:
    """The frame buffer (pixels, AI planes) for this snapshot; gray pixels live in the AI plane."""
    count = 2 if _state.dual_buff else 1
    if len(_state.buffers) != count or _state.buffers[0][1].size != 3 * w * h:
        _state.buffers = []
        for _ in range(count):
            ai = np.zeros(3 * w * h, dtype=np.uint8)
            pixels = ai[: w * h] if gray else np.zeros(2 * w * h, dtype=np.uint8)
            _state.buffers.append((pixels, ai))
        _state.next_buffer = 0
    pair = _state.buffers[_state.next_buffer % count]
    _state.next_buffer += 1
    return pair


def snapshot(**_kwargs: Any) -> Image:
    """A new Image over the frame buffer with ``pix_ai`` filled, as the DVP does."""
    _check_ready()
    res_w, res_h = _RESOLUTIONS[_state.framesize]
    frame = _next_picture(res_w, res_h)
    if _state.hmirror:
        frame = frame[:, ::-1]
    if _state.vflip:
        frame = frame[::-1]
    x, y, w, h = _window_box(res_w, res_h)
    frame = np.ascontiguousarray(frame[y : y + h, x : x + w])
    n = w * h
    gray = _state.pixformat == GRAYSCALE
    pixels, ai = _buffers(w, h, gray)
    if gray:
        luma = np.asarray(PILImage.fromarray(frame).convert("L"), dtype=np.uint8).reshape(-1)
        pixels[:] = luma
        ai[n : 2 * n] = luma  # what the DVP puts in the other planes is unknown (spec 9.1)
        ai[2 * n :] = luma
        # The other AI planes follow the gray pixels in memory (resize's box path reads on).
        img = _state.image_class._make(w, h, BPP_GRAYSCALE, ai, ai[:n])
    else:
        raw = rgb888_to_raw(frame).astype("<u2").reshape(-1)
        pixels[:] = raw.view(np.uint8)
        if _state.ai_source == "rgb888":
            planes = frame.transpose(2, 0, 1).reshape(-1)
        else:
            r5, g6, b5 = split_raw(raw)
            planes = np.concatenate([RB528[r5], G628[g6], RB528[b5]])
        ai[:] = planes
        img = _state.image_class._make(w, h, BPP_RGB565, pixels, ai)
    _state.last = img
    return img


def _accept(*_args: Any, **_kwargs: Any) -> None:
    """Camera tuning calls have no effect on file frames."""
    return None


set_contrast = set_brightness = set_saturation = set_gainceiling = _accept
set_auto_gain = set_auto_whitebal = set_auto_exposure = set_framerate = _accept
set_jb_quality = set_colorbar = set_lens_correction = shutdown = sleep = _accept
