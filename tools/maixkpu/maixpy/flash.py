"""The 16 MiB SPI flash that ``KPU.load(offset)`` reads on the host.

Erased bytes are 0xFF, as on a NOR chip. ``load_kfpkg`` writes every entry of a kfpkg at its
address (through ``maixkpu.kfpkg``, so ``sha256Prefix`` entries land wrapped as bootable images,
exactly as kflash writes them).
"""
from __future__ import annotations

import os

from maixkpu import kfpkg

FLASH_SIZE = 16 * 1024 * 1024
ERASED = 0xFF


class HostFlash:
    """A flash image in memory with byte-addressed ``read`` and ``write``."""

    def __init__(self, size: int = FLASH_SIZE) -> None:
        if size <= 0:
            raise ValueError(f"flash size must be positive, not {size}")
        self.size = size
        self._data = bytearray([ERASED]) * size

    def _check(self, addr: int, n: int) -> None:
        if addr < 0 or n < 0 or addr + n > self.size:
            raise ValueError(
                f"range 0x{addr:x}+0x{n:x} is outside the {self.size // 1024} KiB flash"
            )

    def read(self, addr: int, n: int) -> bytes:
        """``n`` bytes from ``addr``."""
        self._check(addr, n)
        return bytes(self._data[addr : addr + n])

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Program ``data`` at ``addr`` (a plain overwrite: kflash erases before writing)."""
        self._check(addr, len(data))
        self._data[addr : addr + len(data)] = data

    def erase(self) -> None:
        """Back to all 0xFF."""
        self._data[:] = bytes([ERASED]) * self.size

    def load_kfpkg(self, path: str | os.PathLike[str]) -> list[tuple[int, int]]:
        """Write every entry of a kfpkg at its address; returns [(address, length)]."""
        written = []
        for address, data in kfpkg.read_kfpkg(path).regions():
            self.write(address, data)
            written.append((address, len(data)))
        return written

    def load_file(self, addr: int, path: str | os.PathLike[str]) -> int:
        """Write a raw file (e.g. a bare kmodel) at ``addr``; returns its length."""
        with open(path, "rb") as handle:
            data = handle.read()
        self.write(addr, data)
        return len(data)
