"""In-memory serial loopback between a host program and an `IspDevice`, for tests.

`LoopbackBoard` is the board: an `IspDevice`, the DTR/RTS wiring of a board profile,
and fault injection on the wire. `board.port()` gives a host end with the parts of
pyserial's API that our flasher and kflash 1.1.6 use (`read`, `write`, `dtr`/`rts` and
`setDTR`/`setRTS`, `baudrate`, `open`/`close`, buffer flushes).

Delivery is synchronous: `write()` feeds the device at once and queues its reply for
`read()`. Bytes sent while host and board baud rates differ are lost (a real UART sees
garbage). `read()` waits out its timeout in real time when nothing is queued, so a
silent board costs the host its real timeouts.

Wiring (spec 1.2): "kd233": DTR holds RESET, RTS pulls BOOT (IO16) low; "dan": the other
way round; None: lines ignored and the board is always in ISP (like a pty). The ROM
samples BOOT `BOOT_SAMPLE_DELAY` after RESET is released, which is why kflash may
release RESET a moment before it pulls BOOT low.
"""
from __future__ import annotations

import random
import time
from typing import Callable

from maixkpu.vboard.isp_device import IspDevice

BOOT_SAMPLE_DELAY = 0.02  # well inside the 0.1 s between reset steps
WIRINGS = {"kd233": ("dtr", "rts"), "dan": ("rts", "dtr")}  # (reset line, boot line)


class LoopbackBoard:
    def __init__(self, device: IspDevice, wiring: str | None = None, seed: int = 1) -> None:
        if wiring is not None and wiring not in WIRINGS:
            raise ValueError(f"unknown wiring {wiring!r}")
        self.device = device
        self.wiring = wiring
        self.rng = random.Random(seed)
        self.in_isp = wiring is None  # powered up running the application
        self.lines = {"dtr": False, "rts": False}
        self._released_at: float | None = None
        # fault injection
        self.corrupt_rate = 0.0  # probability that a host write gets one byte flipped
        self.reply_corrupt_rate = 0.0  # same for a board reply
        self.byte_error_rate = 0.0  # per byte: long host writes are damaged more often
        self.corrupt_write_filter: Callable[[int, bytes], bool] | None = None
        self.drop_write_filter: Callable[[int, bytes], bool] | None = None  # lost on the wire
        self.silent_after_writes: int | None = None  # board stops answering after N writes
        self.silenced_at: float | None = None
        # what happened
        self.host_writes = 0
        self.corrupted_writes = 0
        self.dropped_writes = 0
        self.corrupted_replies = 0
        self.isp_entries = 0
        self.line_log: list[tuple[str, bool]] = []
        self.host_baudrate = 115200
        self._rx = bytearray()

    def port(self, **kwargs: object) -> LoopbackSerial:
        return LoopbackSerial(self, **kwargs)

    # -- reset lines --------------------------------------------------------------------------
    def _settle(self) -> None:
        """Let the ROM sample BOOT if RESET was released long enough ago."""
        if self._released_at is None:
            return
        if time.monotonic() - self._released_at < BOOT_SAMPLE_DELAY:
            return
        self._released_at = None
        assert self.wiring is not None
        boot_line = WIRINGS[self.wiring][1]
        self.in_isp = self.lines[boot_line]
        if self.in_isp:
            self.isp_entries += 1
            self.device.reset()

    def set_line(self, name: str, value: bool) -> None:
        self._settle()
        self.line_log.append((name, value))
        old = self.lines[name]
        self.lines[name] = value
        if self.wiring is None:
            return
        reset_line = WIRINGS[self.wiring][0]
        if name == reset_line and old and not value:
            self._released_at = time.monotonic()
        elif name == reset_line and value:
            self._released_at = None
            self.in_isp = False  # held in reset: deaf

    # -- data ---------------------------------------------------------------------------------
    def _flip_one(self, data: bytes) -> bytes:
        buf = bytearray(data)
        i = self.rng.randrange(len(buf))
        buf[i] ^= 1 << self.rng.randrange(8)
        return bytes(buf)

    def host_write(self, data: bytes) -> None:
        self._settle()
        index = self.host_writes
        self.host_writes += 1
        if not self.in_isp or not data:
            return
        if self.silent_after_writes is not None and index >= self.silent_after_writes:
            if not self.device.faults.silent:
                self.silenced_at = time.monotonic()
            self.device.faults.silent = True
        if self.host_baudrate != self.device.baudrate:
            return
        if self.drop_write_filter is not None and self.drop_write_filter(index, data):
            self.dropped_writes += 1
            return
        damaged = 1.0 - (1.0 - self.byte_error_rate) ** len(data)
        if (self.corrupt_write_filter is not None and self.corrupt_write_filter(index, data)) \
                or (self.corrupt_rate and self.rng.random() < self.corrupt_rate) \
                or (self.byte_error_rate and self.rng.random() < damaged):
            data = self._flip_one(data)
            self.corrupted_writes += 1
        reply = self.device.feed(data)
        rate = self.device.take_pending_baudrate()
        del rate  # the device records its new rate itself
        if reply:
            if self.reply_corrupt_rate and self.rng.random() < self.reply_corrupt_rate:
                reply = self._flip_one(reply)
                self.corrupted_replies += 1
            self._rx += reply

    def host_read(self, n: int) -> bytes:
        out = bytes(self._rx[:n])
        del self._rx[:n]
        return out

    @property
    def rx_waiting(self) -> int:
        return len(self._rx)

    def clear_rx(self) -> None:
        self._rx.clear()


class LoopbackSerial:
    """Host end of the loopback with the pyserial calls our flasher and kflash make."""

    def __init__(self, board: LoopbackBoard, port: object = None, baudrate: int = 115200,
                 timeout: float | None = 0.1, **_ignored: object) -> None:
        self.board = board
        self.port = port
        self.timeout = timeout
        self.is_open = False
        self._dtr = True
        self._rts = True
        self.baudrate = baudrate
        self.open()

    # pyserial asserts DTR and RTS when it opens a port
    def open(self) -> None:
        self.is_open = True
        self.board.set_line("dtr", self._dtr)
        self.board.set_line("rts", self._rts)

    def close(self) -> None:
        self.is_open = False

    def isOpen(self) -> bool:  # noqa: N802 - pyserial 2 name that kflash calls
        return self.is_open

    @property
    def baudrate(self) -> int:
        return self.board.host_baudrate

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        self.board.host_baudrate = int(value)

    def _check_open(self) -> None:
        if not self.is_open:
            raise OSError("port is closed")

    # modem lines
    @property
    def dtr(self) -> bool:
        return self._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._dtr = bool(value)
        if self.is_open:
            self.board.set_line("dtr", self._dtr)

    @property
    def rts(self) -> bool:
        return self._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._rts = bool(value)
        if self.is_open:
            self.board.set_line("rts", self._rts)

    def setDTR(self, value: bool = True) -> None:  # noqa: N802 - pyserial 2 name
        self.dtr = value

    def setRTS(self, value: bool = True) -> None:  # noqa: N802 - pyserial 2 name
        self.rts = value

    # data
    def write(self, data: bytes) -> int:
        self._check_open()
        self.board.host_write(bytes(data))
        return len(data)

    def read(self, size: int = 1) -> bytes:
        self._check_open()
        if self.board.rx_waiting == 0 and self.timeout:
            time.sleep(self.timeout)
        return self.board.host_read(size)

    @property
    def in_waiting(self) -> int:
        return self.board.rx_waiting

    def inWaiting(self) -> int:  # noqa: N802 - pyserial 2 name
        return self.in_waiting

    def reset_input_buffer(self) -> None:
        self.board.clear_rx()

    def reset_output_buffer(self) -> None:
        pass

    flushInput = reset_input_buffer  # noqa: N815 - pyserial 2 names that kflash calls
    flushOutput = reset_output_buffer  # noqa: N815

    def flush(self) -> None:
        pass
