"""Post-processing of model outputs in the C core: MaixPy's YOLOv2 region layer and face
feature encoding / comparison (modules/kpu/core/yolo2.h and face_feature.h).

    dets = yolo2_decode(output, 10, 7, 125, 320, 240, VOC_ANCHORS, 0.5, 0.2)
    score = face_compare(face_encode(feature_a), face_encode(feature_b))

Differences from MaixPy (all bug fixes, documented in yolo2.h): any anchor count, any number of
detections, the output array is never modified, equal probabilities sort by box index in NMS,
and coordinates are int32 (no int16 wrap). Core failures raise maixpy.core.KpuError subclasses.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from maixkpu._core import ffi, lib
from maixkpu.core import KpuError, error_for

BufferLike = Union[bytes, bytearray, memoryview, np.ndarray]

__all__ = ["Detection", "KpuError", "face_compare", "face_encode", "fmap_channel", "fmap_mosaic",
           "yolo2_decode", "FACE_FEATURE_MAX"]

FACE_FEATURE_MAX: int = int(lib.KPU_FACE_FEATURE_MAX)
_U32_MAX = 0xFFFFFFFF


@dataclass(frozen=True)
class Detection:
    """One YOLOv2 detection, with the fields of MaixPy's kpu_yolo2_find.

    x, y, w, h are model-input pixels (x, y = top-left corner clamped at 0); value is
    sigmoid(objectness) * softmax(class); index is the position in the result and objnum the
    result's length. anchor and cell (row * out_w + col) tell which prediction it came from.
    """

    x: int
    y: int
    w: int
    h: int
    value: float
    classid: int
    index: int
    objnum: int
    anchor: int = 0
    cell: int = 0

    def rect(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


def _new_diag() -> Any:
    diag = ffi.new("kpu_diag_t *")
    diag.layer = -1
    return diag


def _check(status: int, diag: Any) -> None:
    if status != lib.KPU_OK:
        raise error_for(status, ffi.string(diag.text).decode("utf-8", "replace"))


def _argument_error(message: str) -> KpuError:
    return error_for(int(lib.KPU_ERR_ARGUMENT), message)


def _u32(name: str, value: int) -> int:
    value = int(value)
    if not 0 <= value <= _U32_MAX:
        raise _argument_error(f"{name}={value} out of range")
    return value


def yolo2_decode(output: np.ndarray | Sequence[float], out_w: int, out_h: int, out_c: int,
                 in_w: int, in_h: int, anchors: Sequence[float], threshold: float,
                 nms: float) -> list[Detection]:
    """MaixPy's region layer on a float32 output (CHW array of shape (out_c, out_h, out_w), or
    flat), anchors as (w, h) pairs in grid cells. Returns every detection in visiting order
    (anchor-major, then cells in raster order); an empty list when nothing is found."""
    arr = np.asarray(output, dtype=np.float32)
    if arr.ndim == 3 and arr.shape != (out_c, out_h, out_w):
        raise error_for(int(lib.KPU_ERR_SIZE),
                        f"yolo2: output shape {arr.shape} is not ({out_c}, {out_h}, {out_w})")
    flat = np.ascontiguousarray(arr.reshape(-1))
    anchor_list = [float(a) for a in anchors]
    if not anchor_list or len(anchor_list) % 2:
        raise _argument_error(f"yolo2: {len(anchor_list)} anchor values are not (w, h) pairs")
    anchor_buf = ffi.new("float[]", anchor_list)
    cfg = ffi.new("kpu_yolo2_config_t *")
    cfg.out_w, cfg.out_h, cfg.out_c = (_u32("out_w", out_w), _u32("out_h", out_h),
                                      _u32("out_c", out_c))
    cfg.in_w, cfg.in_h = _u32("in_w", in_w), _u32("in_h", in_h)
    cfg.anchors = anchor_buf
    cfg.anchor_num = _u32("anchor_num", len(anchor_list) // 2)
    cfg.threshold = float(threshold)
    cfg.nms = float(nms)

    diag = _new_diag()
    max_dets = ffi.new("size_t *")
    _check(lib.kpu_yolo2_max_detections(cfg, max_dets, diag), diag)
    work_size = ffi.new("size_t *")
    _check(lib.kpu_yolo2_work_size(cfg, work_size, diag), diag)
    work = ffi.new("float[]", max(1, int(work_size[0]) // 4))  # float[]: 4-byte aligned
    dets = ffi.new("kpu_yolo2_detection_t[]", max(1, int(max_dets[0])))
    count = ffi.new("size_t *")
    _check(lib.kpu_yolo2_decode(cfg, ffi.from_buffer("float[]", flat), flat.size, work,
                                int(work_size[0]), dets, int(max_dets[0]), count, diag), diag)
    n = int(count[0])
    return [Detection(x=int(d.x), y=int(d.y), w=int(d.w), h=int(d.h), value=float(d.value),
                      classid=int(d.classid), index=int(d.index), objnum=n,
                      anchor=int(d.anchor), cell=int(d.cell))
            for d in (dets[i] for i in range(n))]


def face_encode(features: Sequence[float] | np.ndarray, *, saturate: bool = False) -> bytearray:
    """MaixPy's face_encode: each float to an int8 byte (clamp to +-0.25, x512, truncate).

    By default f >= 0.25 gives byte 0x80 (-128) like MaixPy; saturate=True gives 127 instead.
    More than FACE_FEATURE_MAX (512) values raise KpuError (KPU_ERR_ARGUMENT)."""
    values = np.ascontiguousarray(np.asarray(features, dtype=np.float32).reshape(-1))
    out = bytearray(values.size)
    flags = lib.KPU_FACE_ENCODE_SATURATE if saturate else lib.KPU_FACE_ENCODE_MAIXPY
    diag = _new_diag()
    src = ffi.from_buffer("float[]", values) if values.size else ffi.NULL
    dst = ffi.from_buffer("int8_t[]", out, require_writable=True) if out else ffi.NULL
    _check(lib.kpu_face_encode(src, values.size, flags, dst, diag), diag)
    return out


def face_compare(a: BufferLike, b: BufferLike) -> float:
    """MaixPy's face_compare: 50 * (1 + cosine) of two int8 features (bytes-like), 0..100.

    NaN when either feature is all zeros (as MaixPy); KpuError for different lengths; TypeError
    for objects without the buffer protocol (lists), like MaixPy."""
    raw_a, raw_b = memoryview(a).tobytes(), memoryview(b).tobytes()
    score = ffi.new("float *")
    diag = _new_diag()
    pa = ffi.from_buffer("int8_t[]", raw_a) if raw_a else ffi.NULL
    pb = ffi.from_buffer("int8_t[]", raw_b) if raw_b else ffi.NULL
    _check(lib.kpu_face_compare(pa, len(raw_a), pb, len(raw_b), score, diag), diag)
    return float(score[0])


def _chw_u8(tensor: np.ndarray) -> np.ndarray:
    arr = np.asarray(tensor)
    if arr.dtype != np.uint8 or arr.ndim != 3:
        raise _argument_error(f"fmap: need a (c, h, w) uint8 tensor, got {arr.dtype} {arr.shape}")
    return np.ascontiguousarray(arr)


def fmap_channel(tensor: np.ndarray, channel: int) -> np.ndarray:
    """Channel of a (c, h, w) uint8 layer output as an (h, w) grayscale image of its raw bytes
    (no scaling, like KPU.fmap). A view of the tensor's memory when it is contiguous."""
    arr = _chw_u8(tensor)
    c, h, w = arr.shape
    if not 0 <= int(channel) <= _U32_MAX:
        raise error_for(int(lib.KPU_ERR_INDEX), f"fmap: channel {channel} out of range")
    flat = arr.reshape(-1)
    base = ffi.from_buffer("uint8_t[]", flat)
    plane = ffi.new("const uint8_t **")
    size = ffi.new("size_t *")
    diag = _new_diag()
    _check(lib.kpu_fmap_channel(base, flat.size, _u32("w", w), _u32("h", h), _u32("c", c),
                                int(channel), plane, size, diag), diag)
    offset = int(ffi.cast("uintptr_t", plane[0])) - int(ffi.cast("uintptr_t", base))
    return flat[offset:offset + int(size[0])].reshape(h, w)


def fmap_mosaic(tensor: np.ndarray, first: int = 0, count: int | None = None, cols: int = 0,
                gap: int = 1, background: int = 0) -> np.ndarray:
    """Channels first .. first + count - 1 (default: all from first) of a (c, h, w) uint8
    tensor tiled into one grayscale image: cols columns (0: square-ish), gap pixels of
    background between tiles. Returns an (height, width) uint8 array."""
    arr = _chw_u8(tensor)
    c, h, w = arr.shape
    n = c - int(first) if count is None else int(count)
    layout = ffi.new("kpu_fmap_mosaic_t *")
    diag = _new_diag()
    _check(lib.kpu_fmap_mosaic_layout(_u32("w", w), _u32("h", h), _u32("count", n),
                                      _u32("cols", cols), _u32("gap", gap), layout, diag), diag)
    out = np.empty((int(layout.height), int(layout.width)), dtype=np.uint8)
    if not 0 <= int(background) <= 255:
        raise _argument_error(f"fmap: background {background} is not a byte")
    flat = arr.reshape(-1)
    _check(lib.kpu_fmap_mosaic(ffi.from_buffer("uint8_t[]", flat), flat.size, w, h, c,
                               _u32("first", first), n, int(cols), int(gap), int(background),
                               ffi.from_buffer("uint8_t[]", out, require_writable=True),
                               out.size, diag), diag)
    return out
