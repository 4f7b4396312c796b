"""Board side of the K210 ISP protocol as a pure byte state machine (no I/O, no threads).

States: ``rom`` (the boot ROM's ISP, after a reset with BOOT low), ``stage2`` (the
uploaded flasher program runs), ``halted`` (a program that is not a flasher, or an
empty SRAM, was booted: silent until reset) and ``rebooted`` (stage-2 got REBOOT: the
transport should leave ISP and boot the application from flash).

The transport calls `feed(chunk)` with whatever arrived and sends back what it returns.
After sending, it applies `take_pending_baudrate()` when not None: the ROM (C6) and the
stage-2 (D6) switch their UART right after the request, without replying. When
`reboot_requested` is set, the transport boots the flash image.

Any uploaded program is treated as a flasher that speaks kflash's stage-2 protocol
(`stage2_is_kflash` tells whether it was kflash's own ISP_PROG, by SHA-256).
With ``extensions=True`` the stage-2 also answers MaixKPU's read/hash opcodes
(`Op.EXT_*`); kflash's real stage-2 has no read command, so real boards never do.

Flash writes (D4) replace the bytes of the range and keep the rest of the touched
sectors (`FlashImage.overwrite`). Flash operations before FLASH_INIT get BAD_INIT.
"""
from __future__ import annotations

import hashlib
import struct
from collections import Counter
from dataclasses import dataclass

from maixkpu.isp.framing import (
    CAP_READ,
    CAP_SHA256,
    EXT_READ_MAX,
    FLASH_CHUNK,
    ROM_CHUNK,
    SHORT_OPS,
    Op,
    Request,
    SlipDecoder,
    Status,
    pack_response,
    parse_request,
    slip_encode,
)
from maixkpu.isp.stage2 import KFLASH_ISP_PROG_SHA256
from maixkpu.vboard.flash import SECTOR_SIZE, FlashImage

DEFAULT_BAUDRATE = 115200
SRAM_BASE = 0x80000000
SRAM_UNCACHED_BASE = 0x40000000
SRAM_SIZE = 8 * 1024 * 1024  # 6 MiB general + 2 MiB AI SRAM, contiguous
BOOT_ENTRY = 0x80000000

# kflash scales the ROM baud request by 38.6/38 on FT2232 boards (goE, trainer): the ROM's
# divider assumes that clock ratio, so the line rate is the request scaled back.
ROM_BAUD_NUM, ROM_BAUD_DEN = 380, 386
STANDARD_RATES = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
                  1000000, 1500000, 2000000, 3000000)


def rom_line_rate(requested: int) -> int:
    """The UART rate a ROM baud request gives: scaled back, snapped to a standard rate (2%)."""
    rate = round(requested * ROM_BAUD_NUM / ROM_BAUD_DEN)
    nearest = min(STANDARD_RATES, key=lambda r: abs(r - rate))
    return nearest if abs(nearest - rate) <= nearest * 0.02 else rate


ROM, STAGE2, HALTED, REBOOTED = "rom", "stage2", "halted", "rebooted"


@dataclass
class IspFaults:
    """Fault injection: each counter is consumed by the next matching event."""

    drop_replies: int = 0  # next N replies are not sent
    busy_writes: int = 0  # next N flash writes answer FLASH_BUSY without writing
    bad_checksum_writes: int = 0  # next N flash writes answer BAD_DATA_CHECKSUM
    erase_busy_polls: int = 0  # FLASH_STATUS answers busy this many times per erase
    silent: bool = False  # ignore everything (a hung board)


class IspDevice:
    """The K210 ISP of one board: boot ROM, then the uploaded stage-2 (see the module doc)."""

    def __init__(self, flash: FlashImage, extensions: bool = True,
                 faults: IspFaults | None = None) -> None:
        self.flash = flash
        self.extensions = extensions
        self.faults = faults if faults is not None else IspFaults()
        self.op_counts: Counter[int] = Counter()
        self.write_log: list[tuple[int, int]] = []  # (address, length) of accepted D4s
        self.reset()

    # -- transport interface ------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the boot ROM's ISP state (SRAM contents are lost)."""
        self.state = ROM
        self.baudrate = DEFAULT_BAUDRATE
        self.pending_baudrate: int | None = None
        self.reboot_requested = False
        self.flash_ready = False
        self.stage2_sha256: str | None = None
        self._sram = bytearray()
        self._erase_busy = 0
        self._decoder = SlipDecoder()

    @property
    def stage2_is_kflash(self) -> bool:
        return self.stage2_sha256 == KFLASH_ISP_PROG_SHA256

    def take_pending_baudrate(self) -> int | None:
        """The baud rate to switch to now (after sending the last reply), or None."""
        rate, self.pending_baudrate = self.pending_baudrate, None
        if rate is not None:
            self.baudrate = rate
        return rate

    def feed(self, data: bytes) -> bytes:
        """Bytes from the host in, bytes for the host out."""
        if self.faults.silent or self.state in (HALTED, REBOOTED):
            return b""
        out = bytearray()
        for payload in self._decoder.feed(data):
            if self.state in (HALTED, REBOOTED):
                break  # the rest was sent to a program that no longer listens
            reply = self._handle(payload)
            if reply is None:
                continue
            if self.faults.drop_replies > 0:
                self.faults.drop_replies -= 1
                continue
            out += slip_encode(reply)
        return bytes(out)

    # -- dispatch -------------------------------------------------------------------------------
    def _handle(self, payload: bytes) -> bytes | None:
        req = parse_request(payload)
        if req is None:
            return None
        self.op_counts[req.op] += 1
        if self.state == ROM:
            return self._handle_rom(req)
        return self._handle_stage2(req)

    def _reject(self, req: Request, max_len: int) -> int | None:
        """Status for a malformed checked request, None when it is well formed."""
        if req.short:
            return Status.BAD_DATA_LEN
        if not req.checksum_ok:
            return Status.BAD_DATA_CHECKSUM
        if not req.length_ok or req.length > max_len:
            return Status.BAD_DATA_LEN
        return None

    # -- boot ROM -------------------------------------------------------------------------------
    def _handle_rom(self, req: Request) -> bytes | None:
        op = req.op
        if op == Op.NOP:
            return pack_response(op, Status.OK)
        if op == Op.MEMORY_WRITE:
            bad = self._reject(req, ROM_CHUNK)
            if bad is None and not self._sram_write(req.address, req.data):
                bad = Status.BAD_DATA_LEN
            return pack_response(op, Status.OK if bad is None else bad)
        if op == Op.MEMORY_BOOT:
            if self._reject(req, 0) is None:
                self._boot_sram(req.address)
            return None  # the ROM jumps away; kflash reads no reply
        if op == Op.CHANGE_BAUDRATE:
            if self._reject(req, 4) is None and len(req.data) == 4:
                (value,) = struct.unpack("<I", req.data)
                self.pending_baudrate = rom_line_rate(value)
            return None
        return pack_response(op, Status.INVALID_COMMAND)

    def _sram_offset(self, address: int) -> int | None:
        for base in (SRAM_BASE, SRAM_UNCACHED_BASE):
            if base <= address < base + SRAM_SIZE:
                return address - base
        return None

    def _sram_write(self, address: int, data: bytes) -> bool:
        offset = self._sram_offset(address)
        if offset is None or offset + len(data) > SRAM_SIZE:
            return False
        if len(self._sram) < offset + len(data):
            self._sram.extend(bytes(offset + len(data) - len(self._sram)))
        self._sram[offset:offset + len(data)] = data
        return True

    def _boot_sram(self, entry: int) -> None:
        if entry != BOOT_ENTRY or not self._sram:
            self.state = HALTED
            return
        self.stage2_sha256 = hashlib.sha256(self._sram).hexdigest()
        self.state = STAGE2
        self.flash_ready = False
        # the stage-2 starts its UART at the default rate
        if self.baudrate != DEFAULT_BAUDRATE:
            self.pending_baudrate = DEFAULT_BAUDRATE

    # -- stage-2 --------------------------------------------------------------------------------
    def _handle_stage2(self, req: Request) -> bytes | None:
        op = req.op
        if op in SHORT_OPS:
            return self._stage2_short(op)
        if op == Op.UARTHS_BAUDRATE_SET:
            bad = self._reject(req, 4)
            if bad is not None:
                return pack_response(op, bad)
            (self.pending_baudrate,) = struct.unpack("<I", req.data)
            return None  # kflash reads no reply; it would take one for the next NOP's
        if op == Op.FLASH_INIT:
            bad = self._reject(req, 0)
            if bad is None and req.address not in (0, 1):
                bad = Status.BAD_INIT
            self.flash_ready = self.flash_ready or bad is None
            return pack_response(op, Status.OK if bad is None else bad)
        if op == Op.FLASH_WRITE:
            return pack_response(op, self._flash_write(req))
        if op == Op.FLASH_ERASE_NONBLOCKING:
            return pack_response(op, self._flash_erase(req))
        if self.extensions and op in (Op.EXT_QUERY, Op.EXT_FLASH_SHA256, Op.EXT_FLASH_READ):
            return self._extension(req)
        return pack_response(op, Status.INVALID_COMMAND)

    def _stage2_short(self, op: int) -> bytes:
        if op == Op.FLASH_NOP:
            return pack_response(op, Status.OK)
        if op == Op.FLASH_STATUS:
            if self._erase_busy > 0:
                self._erase_busy -= 1
                return pack_response(op, Status.FLASH_BUSY)
            return pack_response(op, Status.OK)
        if op == Op.REBOOT:
            self.state = REBOOTED
            self.reboot_requested = True
            return pack_response(op, Status.OK)
        return pack_response(op, Status.INVALID_COMMAND)  # ROM NOP: not the ROM any more

    def _flash_write(self, req: Request) -> int:
        bad = self._reject(req, FLASH_CHUNK)
        if bad is not None:
            return bad
        if not self.flash_ready:
            return Status.BAD_INIT
        if req.address + len(req.data) > self.flash.size:
            return Status.BAD_WRITE
        if self.faults.busy_writes > 0:
            self.faults.busy_writes -= 1
            return Status.FLASH_BUSY
        if self.faults.bad_checksum_writes > 0:
            self.faults.bad_checksum_writes -= 1
            return Status.BAD_DATA_CHECKSUM
        self.flash.overwrite(req.address, req.data)
        self.write_log.append((req.address, len(req.data)))
        return Status.OK

    def _flash_erase(self, req: Request) -> int:
        # the length field is the erase length here, not a data length
        if req.short:
            return Status.BAD_DATA_LEN
        if not req.checksum_ok:
            return Status.BAD_DATA_CHECKSUM
        if not self.flash_ready:
            return Status.BAD_INIT
        start, length = req.address, req.length
        if start == 0 and length == 0:
            self.flash.erase_all()
        elif start % SECTOR_SIZE or length % SECTOR_SIZE or start + length > self.flash.size:
            return Status.BAD_ERASE
        else:
            self.flash.erase(start, length)
        self._erase_busy = self.faults.erase_busy_polls
        return Status.OK

    # -- MaixKPU extensions (virtual board only) -----------------------------------------------
    def _extension(self, req: Request) -> bytes:
        op = req.op
        if op == Op.EXT_QUERY:
            if req.short or not req.checksum_ok:
                return pack_response(op, Status.BAD_DATA_CHECKSUM)
            caps = struct.pack("<II", CAP_SHA256 | CAP_READ, self.flash.size)
            return pack_response(op, Status.OK, caps)
        bad = self._reject(req, 4)
        if bad is None and len(req.data) != 4:
            bad = Status.BAD_DATA_LEN
        if bad is not None:
            return pack_response(op, bad)
        if not self.flash_ready:
            return pack_response(op, Status.BAD_INIT)
        (count,) = struct.unpack("<I", req.data)
        if req.address + count > self.flash.size:
            return pack_response(op, Status.BAD_DATA_LEN)
        if op == Op.EXT_FLASH_SHA256:
            return pack_response(op, Status.OK, self.flash.sha256(req.address, count))
        if count > EXT_READ_MAX:
            return pack_response(op, Status.BAD_DATA_LEN)
        return pack_response(op, Status.OK, self.flash.read(req.address, count))
