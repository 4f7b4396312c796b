"""FlashImage: NOR semantics, sector erase, persistence and the boot ROM's view."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from maixkpu.vboard.flash import FlashImage

KIB = 1024


def boot_image(firmware: bytes, flags: int = 0x02) -> bytes:
    head = bytes([flags]) + len(firmware).to_bytes(4, "little") + firmware
    return head + hashlib.sha256(head).digest()


def test_erased_state_and_nor_programming() -> None:
    flash = FlashImage(size=64 * KIB)
    assert flash.read(0, 64 * KIB) == b"\xff" * 64 * KIB
    flash.write(100, b"\x0f\xf0")
    flash.write(100, b"\x3c\x3c")  # bits can only be cleared
    assert flash.read(100, 2) == b"\x0c\x30"


def test_erase_granularity_and_bounds() -> None:
    flash = FlashImage(size=64 * KIB)
    flash.write(0, b"\x00" * 8 * KIB)
    with pytest.raises(ValueError, match="not 4 KiB sector aligned"):
        flash.erase(100, 4 * KIB)
    with pytest.raises(ValueError, match="not 4 KiB sector aligned"):
        flash.erase(0, 100)
    flash.erase(4 * KIB, 4 * KIB)
    assert flash.read(0, 8 * KIB) == b"\x00" * 4 * KIB + b"\xff" * 4 * KIB
    with pytest.raises(ValueError, match="outside"):
        flash.read(60 * KIB, 8 * KIB)
    with pytest.raises(ValueError, match="multiple of 4096"):
        FlashImage(size=5000)


def test_overwrite_keeps_neighbours_in_the_sector() -> None:
    flash = FlashImage(size=64 * KIB)
    flash.write(4 * KIB, b"\x11" * 8 * KIB)
    flash.overwrite(5 * KIB + 3, b"\xaa\xbb")
    expected = bytearray(b"\x11" * 8 * KIB)
    expected[KIB + 3:KIB + 5] = b"\xaa\xbb"
    assert flash.read(4 * KIB, 8 * KIB) == bytes(expected)
    assert flash.sha256(4 * KIB, 8 * KIB) == hashlib.sha256(expected).digest()


def test_file_backing_persists_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "flash.bin"
    with FlashImage(path, size=64 * KIB) as flash:
        flash.overwrite(0x1234, b"persist")
    assert path.stat().st_size == 64 * KIB
    assert flash.read(0x1234, 7) == b"persist"  # still readable after close
    with FlashImage(path, size=128 * KIB) as again:
        assert again.read(0x1234, 7) == b"persist"
        assert again.read(64 * KIB, 16) == b"\xff" * 16


def test_boot_image_reasons() -> None:
    flash = FlashImage(size=64 * KIB)
    assert flash.boot_image() is None and "erased" in (flash.last_boot_error or "")
    flash.overwrite(0, boot_image(b"firmware!"))
    assert flash.boot_image() == b"firmware!" and flash.last_boot_error is None
    flash.overwrite(7, b"X")
    assert flash.boot_image() is None and "SHA-256 mismatch" in (flash.last_boot_error or "")
    flash.overwrite(0, boot_image(b"secret", flags=0x03))
    assert flash.boot_image() is None and "AES" in (flash.last_boot_error or "")
    flash.overwrite(0, bytes([0x02]) + (1 << 20).to_bytes(4, "little"))
    assert flash.boot_image() is None and "past the end" in (flash.last_boot_error or "")
