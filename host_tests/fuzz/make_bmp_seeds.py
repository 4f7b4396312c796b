"""Writes the BMP fuzz seeds into a folder (run_fuzz.sh, target fuzz_bmp): small valid files of
every kind MaixPy reads (8-bit gray, 16-bit BI_BITFIELDS, 24-bit BI_RGB/BI_BITFIELDS; bottom-up,
top-down, mirrored; odd widths with row padding) and a few broken headers."""
from __future__ import annotations

import struct
import sys
from pathlib import Path


def bmp(width: int, height: int, bits: int, compression: int, extra: bytes = b"") -> bytes:
    w, h = abs(width), abs(height)
    row_bytes = (w * bits + 31) // 32 * 4
    body = bytes((7 * i + 3) & 0xFF for i in range(row_bytes * h))
    offset = 54 + len(extra)
    head = struct.pack("<2sIHHI", b"BM", offset + len(body), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(body), 0, 0,
                       0, 0)
    return head + info + extra + body


def seeds() -> dict[str, bytes]:
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    masks = struct.pack("<III", 0xF800, 0x07E0, 0x001F)
    out: dict[str, bytes] = {}
    for w, h in ((1, 1), (3, 2), (5, -4), (-7, 3), (16, 9)):
        out[f"gray_{w}_{h}"] = bmp(w, h, 8, 0, palette)
        out[f"rgb16_{w}_{h}"] = bmp(w, h, 16, 3, masks)
        out[f"rgb24_{w}_{h}"] = bmp(w, h, 24, 0)
        out[f"rgb24bf_{w}_{h}"] = bmp(w, h, 24, 3, masks)
    good = out["rgb24_3_2"]
    out["truncated_body"] = good[:-3]
    out["truncated_header"] = good[:30]
    out["bpp32"] = good[:28] + struct.pack("<H", 32) + good[30:]
    out["zero_size"] = good[:2] + struct.pack("<I", 0) + good[6:]
    return out


def main(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (folder / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
