"""Helpers for the virtual-board tests: bootable flash, a byte-level serial client, mpremote."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import serial

from maixkpu.isp import bootimage
from maixkpu.vboard.flash import FlashImage

VENV_BIN = Path(sys.executable).parent
MPREMOTE = str(VENV_BIN / "mpremote")
WAIT = 10.0  # upper bound for anything the board should do at once (never reached when OK)
FIRMWARE = bytes(range(256)) * 40  # any payload: the virtual board boots every valid image


def bootable_flash(path: Path | None = None) -> FlashImage:
    """A flash whose offset 0 holds a valid boot image."""
    flash = FlashImage(path)
    flash.overwrite(0, bootimage.wrap(FIRMWARE))
    return flash


class Client:
    """A pyserial client (RFC 2217 URL or pty path) with `expect` for exact byte checks."""

    def __init__(self, url: str) -> None:
        self.port = serial.serial_for_url(url, 115200, timeout=0.05)
        self.buffer = bytearray()
        self._syncs = 0

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def read_until(self, ending: bytes, timeout: float = WAIT) -> bytes:
        """Everything up to and including `ending`; AssertionError if it never comes."""
        deadline = time.monotonic() + timeout
        while ending not in self.buffer:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {ending!r} from the board; got {bytes(self.buffer)!r}")
            self.buffer += self.port.read(max(1, self.port.in_waiting))
        end = self.buffer.index(ending) + len(ending)
        data = bytes(self.buffer[:end])
        del self.buffer[:end]
        return data

    def read_exactly(self, count: int, timeout: float = WAIT) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.buffer) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"wanted {count} bytes; got {bytes(self.buffer)!r}")
            self.buffer += self.port.read(max(1, self.port.in_waiting))
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def drain(self) -> bytes:
        """What has arrived so far (no waiting beyond one read timeout)."""
        self.buffer += self.port.read(self.port.in_waiting or 1)
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def friendly_prompt(self) -> None:
        """Bring the board to an idle friendly prompt and forget all earlier output."""
        self._syncs += 1
        marker = f"sync{self._syncs}".encode()
        # the echo shows the expression, only the printed result ends in marker + prompt
        self.write(b"\r\x03\x02print('%s' + '%s')\r" % (marker[:2], marker[2:]))
        self.read_until(marker + b"\r\n>>> ")
        self.buffer.clear()

    def enter_raw(self) -> None:
        self.friendly_prompt()
        self.write(b"\x01")
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>")

    def raw_exec(self, code: bytes) -> tuple[bytes, bytes]:
        """Run code in the raw REPL: (stdout, traceback)."""
        self.write(code + b"\x04")
        self.read_until(b"OK")
        out = self.read_until(b"\x04")[:-1]
        err = self.read_until(b"\x04")[:-1]
        self.read_until(b">")
        return out, err


def mpremote(url: str, *args: str, timeout: float = 60.0,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real mpremote CLI against the board (bounded: a hung board fails the test)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([MPREMOTE, "connect", url, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env, check=False)
