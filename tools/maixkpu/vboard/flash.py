"""The SPI NOR flash of the virtual Maix board, optionally persisted to a file.

Semantics (like a real NOR chip):

* erased bytes read 0xFF;
* `write` *programs*: it can only clear bits (new = old AND data), so writing over
  non-erased data without an erase gives the AND of both, as on hardware;
* `erase` works on whole 4 KiB sectors (address and length sector aligned);
* `overwrite` is the read-modify-write a careful stage-2 flasher does: it erases the
  sectors that the range touches, then programs the old bytes around the range and the
  new bytes inside it. Bytes outside the range keep their value.

The boot ROM view (`boot_image`) follows the bootable image format of the kflash tool:
flags u8, length u32 LE, firmware, SHA-256 over everything before it.
"""
from __future__ import annotations

import hashlib
import mmap
import os
from pathlib import Path
from typing import Union

import numpy as np

from maixkpu.isp import bootimage

SECTOR_SIZE = 4096
BLOCK_SIZE = 65536
DEFAULT_SIZE = 16 * 1024 * 1024
ERASED = 0xFF

PathLike = Union[str, "os.PathLike[str]"]


class FlashImage:
    """A NOR flash of `size` bytes kept in memory (`path=None`) or in a file (write-through).

    An existing file is reused as is (its contents are the flash contents); a missing or
    shorter file is created/extended with 0xFF. Call `close()` (or use `with`) when done.
    """

    def __init__(self, path: PathLike | None = None, size: int = DEFAULT_SIZE) -> None:
        if size <= 0 or size % SECTOR_SIZE:
            raise ValueError(f"flash size must be a positive multiple of {SECTOR_SIZE}: {size}")
        self.size = size
        self.path = Path(path) if path is not None else None
        self.last_boot_error: str | None = None
        self._file = None
        self._map: mmap.mmap | None = None
        if self.path is None:
            self._buf: bytearray | mmap.mmap = bytearray(b"\xff" * size)
        else:
            self._buf = self._open_file(self.path, size)
        self._view = np.frombuffer(self._buf, dtype=np.uint8)

    def _open_file(self, path: Path, size: int) -> mmap.mmap:
        mode = "r+b" if path.exists() else "w+b"
        f = open(path, mode)  # noqa: SIM115 - kept open for the mmap's lifetime
        have = os.fstat(f.fileno()).st_size
        if have < size:
            f.seek(have)
            f.write(b"\xff" * (size - have))
            f.flush()
        self._file = f
        self._map = mmap.mmap(f.fileno(), size)
        return self._map

    # -- context manager and lifetime -------------------------------------------------------
    def close(self) -> None:
        """Flush and release the backing file; the image stays readable from memory."""
        if self._map is not None:
            self._buf = bytearray(self._map)
            self._view = np.frombuffer(self._buf, dtype=np.uint8)
            self._map.flush()
            self._map.close()
            self._map = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def flush(self) -> None:
        if self._map is not None:
            self._map.flush()

    def __enter__(self) -> FlashImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- access -------------------------------------------------------------------------------
    def _check_range(self, addr: int, n: int) -> None:
        if addr < 0 or n < 0 or addr + n > self.size:
            raise ValueError(
                f"range 0x{addr:x}+0x{n:x} outside the {self.size // 1024} KiB flash"
            )

    def read(self, addr: int, n: int) -> bytes:
        self._check_range(addr, n)
        return bytes(self._buf[addr:addr + n])

    def write(self, addr: int, data: bytes) -> None:
        """Program `data` at `addr`: NOR semantics, every byte becomes old AND new."""
        self._check_range(addr, len(data))
        src = np.frombuffer(data, dtype=np.uint8)
        np.bitwise_and(self._view[addr:addr + len(data)], src,
                       out=self._view[addr:addr + len(data)])

    def erase(self, addr: int, n: int) -> None:
        """Erase whole sectors: `addr` and `n` must be multiples of 4 KiB."""
        if addr % SECTOR_SIZE or n % SECTOR_SIZE:
            raise ValueError(f"erase 0x{addr:x}+0x{n:x} is not 4 KiB sector aligned")
        self._check_range(addr, n)
        self._view[addr:addr + n] = ERASED

    def erase_all(self) -> None:
        self._view[:] = ERASED

    def overwrite(self, addr: int, data: bytes) -> None:
        """Make `[addr, addr+len(data))` equal `data`, keeping the rest of the touched sectors."""
        self._check_range(addr, len(data))
        if not data:
            return
        first = addr - addr % SECTOR_SIZE
        end = addr + len(data)
        last = -(-end // SECTOR_SIZE) * SECTOR_SIZE
        last = min(last, self.size)
        keep = bytearray(self.read(first, last - first))
        keep[addr - first:end - first] = data
        self.erase(first, last - first)
        self.write(first, bytes(keep))

    def sha256(self, addr: int = 0, n: int | None = None) -> bytes:
        """SHA-256 digest of `n` bytes from `addr` (default: to the end of the flash)."""
        if n is None:
            n = self.size - addr
        self._check_range(addr, n)
        return hashlib.sha256(memoryview(self._buf)[addr:addr + n]).digest()

    def is_erased(self, addr: int, n: int) -> bool:
        self._check_range(addr, n)
        return bool(np.all(self._view[addr:addr + n] == ERASED))

    # -- boot ROM view ------------------------------------------------------------------------
    def boot_image(self) -> bytes | None:
        """The firmware the boot ROM would load from offset 0, or None (see `last_boot_error`)."""
        payload, error = bootimage.check(self._read_clamped)
        self.last_boot_error = None if error is None else f"flash {error}"
        return payload

    def _read_clamped(self, addr: int, n: int) -> bytes | None:
        if addr + n > self.size:
            return None
        return self.read(addr, n)
