"""BMP reading and writing as MaixPy's ``bmp.c`` does it (image-subset spec 2.2, 2.14).

Loading gives (width, height, bpp, bytes) in MaixPy's memory layout: one byte per gray pixel, or
raw little-endian RGB565 words (byte-swapped standard RGB565, see ``tables``).
"""
from __future__ import annotations

import errno
import struct

import numpy as np

from .tables import BPP_GRAYSCALE, BPP_RGB565, G826, RB825, compose_raw, raw_to_standard

_FILE_HEADER = struct.Struct("<2sIHHI")
_INFO_HEADER = struct.Struct("<IiiHHIIiiII")


def _corrupted() -> ValueError:
    return ValueError("file_corrupted_raise!")


def decode_bmp(data: bytes) -> tuple[int, int, int, np.ndarray]:
    """Decode a BMP file's bytes into (w, h, bpp, pixel bytes) with MaixPy's rules."""
    if len(data) < _FILE_HEADER.size + _INFO_HEADER.size:
        raise OSError(errno.EIO, "EIO")
    _, file_size, _, _, data_offset = _FILE_HEADER.unpack_from(data, 0)
    (_, width, height, _, bpp, compression, _, _, _, _, _) = _INFO_HEADER.unpack_from(data, 14)
    if not (
        (bpp == 8 and compression == 0)
        or (bpp == 16 and compression == 3)
        or (bpp == 24 and compression in (0, 3))
    ):
        raise OSError("Unsupported format!")
    w, h = abs(width), abs(height)
    row_bytes = ((w * bpp + 31) // 32) * 4
    if file_size <= data_offset or file_size - data_offset < row_bytes * h:
        raise _corrupted()
    # The 8-bit palette and the 16-bit masks are read but never checked by MaixPy.
    end = data_offset + row_bytes * h
    if len(data) < end:
        raise OSError(errno.EIO, "EIO")
    rows = np.frombuffer(data, dtype=np.uint8, count=row_bytes * h, offset=data_offset)
    rows = rows.reshape(h, row_bytes)
    if height > 0:  # bottom-up storage
        rows = rows[::-1]
    if bpp == 8:
        pixels = rows[:, :w]
        out_bpp = BPP_GRAYSCALE
    elif bpp == 16:
        standard = rows[:, : 2 * w].copy().view("<u2")
        pixels = raw_to_standard(standard)
        out_bpp = BPP_RGB565
    else:
        bgr = rows[:, : 3 * w].reshape(h, w, 3)
        pixels = compose_raw(RB825[bgr[..., 2]], G826[bgr[..., 1]], RB825[bgr[..., 0]])
        out_bpp = BPP_RGB565
    if width < 0:
        pixels = pixels[:, ::-1]
    flat = np.ascontiguousarray(pixels).astype("<u2" if out_bpp == BPP_RGB565 else np.uint8)
    return w, h, out_bpp, flat.reshape(-1).view(np.uint8).copy()


def encode_bmp(pixels: np.ndarray, bpp: int) -> bytes:
    """Encode a (h, w) gray uint8 or raw-RGB565 uint16 array as MaixPy writes BMP (top-down)."""
    h, w = pixels.shape
    if bpp == BPP_GRAYSCALE:
        row_bytes = (w + 3) // 4 * 4
        palette = np.repeat(np.arange(256, dtype=np.uint8), 4).reshape(256, 4)
        palette[:, 3] = 0
        extra = palette.tobytes()
        body = np.zeros((h, row_bytes), dtype=np.uint8)
        body[:, :w] = pixels
        bits, compression = 8, 0
    else:
        row_bytes = (w * 2 + 3) // 4 * 4
        extra = struct.pack("<III", 0xF800, 0x07E0, 0x001F)
        body = np.zeros((h, row_bytes), dtype=np.uint8)
        body[:, : 2 * w] = raw_to_standard(pixels).astype("<u2").view(np.uint8).reshape(h, 2 * w)
        bits, compression = 16, 3
    offset = _FILE_HEADER.size + _INFO_HEADER.size + len(extra)
    size = offset + row_bytes * h
    header = _FILE_HEADER.pack(b"BM", size, 0, 0, offset)
    info = _INFO_HEADER.pack(40, w, -h, 1, bits, compression, row_bytes * h, 0, 0, 0, 0)
    return header + info + extra + body.tobytes()
