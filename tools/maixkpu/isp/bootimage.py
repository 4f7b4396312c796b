"""The K210 bootable flash image: what the boot ROM loads from flash offset 0.

Layout (kflash's `sha256Prefix: true` and plain `.bin` writes): flags u8 (bit0 AES,
bit1 DIO SPI mode), firmware length N u32 LE, N firmware bytes, then the SHA-256 of
the N + 5 bytes before it. A default kflash image starts with flags 0x02.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Callable, Optional

HEADER_SIZE = 5
HASH_SIZE = 32
OVERHEAD = HEADER_SIZE + HASH_SIZE
FLAG_AES = 0x01
FLAG_DIO = 0x02
DEFAULT_FLAGS = FLAG_DIO

Reader = Callable[[int, int], Optional[bytes]]


def wrap(firmware: bytes, flags: int = DEFAULT_FLAGS) -> bytes:
    """Bootable image for `firmware` (unencrypted)."""
    if flags & FLAG_AES:
        raise ValueError("AES images are not supported")
    head = struct.pack("<BI", flags, len(firmware)) + firmware
    return head + hashlib.sha256(head).digest()


def check(read: Reader) -> tuple[bytes | None, str | None]:
    """Validate the image that `read(addr, n)` sees at offset 0.

    `read` returns None when the range runs past the end of the medium.
    Returns (firmware, None) when valid, else (None, reason).
    """
    header = read(0, HEADER_SIZE)
    if header is None or len(header) < HEADER_SIZE:
        return None, "too small for a boot header"
    flags, length = struct.unpack("<BI", header)
    if flags == 0xFF and length == 0xFFFFFFFF:
        return None, "erased at offset 0 (no bootable image)"
    if flags & ~0x03:
        return None, f"invalid boot header flags 0x{flags:02x}"
    if length == 0:
        return None, "boot header gives a firmware length of 0"
    body = read(0, HEADER_SIZE + length + HASH_SIZE)
    if body is None:
        return None, f"boot header length {length} runs past the end"
    if hashlib.sha256(body[:HEADER_SIZE + length]).digest() != body[HEADER_SIZE + length:]:
        return None, "boot image SHA-256 mismatch"
    if flags & FLAG_AES:
        return None, "boot image is AES encrypted (no key to decrypt it)"
    return body[HEADER_SIZE:HEADER_SIZE + length], None


def unwrap(image: bytes) -> tuple[bytes | None, str | None]:
    """`check` over an in-memory image; trailing bytes after the hash are ignored."""

    def read(addr: int, n: int) -> bytes | None:
        return image[addr:addr + n] if addr + n <= len(image) else None

    return check(read)
