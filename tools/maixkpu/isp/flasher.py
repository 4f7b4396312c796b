"""Flash a K210 over its ISP: boot ROM greeting, kflash's stage-2 upload, then flash writes.

The sequence is kflash 1.1.6's (reset per board, ROM NOP, optional 1.5 Mbaud ROM switch on
FT2232 boards, stage-2 upload in 1 KiB pieces at 0x80000000 and boot, stage-2 NOP, optional
baud change, flash init, 64 KiB writes, reboot) with its defects fixed:

* a write answered with an error (e.g. bad checksum) or not answered is resent, same data to
  the same address, a bounded number of times; then `FlashError` names the chunk;
* ROM upload retries resend the same piece to the same address;
* every reply wait has a deadline, and silence ends in `FlashError`, never in success;
* a 64 KiB write that keeps arriving damaged is resent as 4 KiB pieces;
* an optional journal (`maixkpu.isp.journal`) lets a rerun skip what an interrupted run wrote.

Read-back: kflash's stage-2 has no read or hash command, so on a real board the written
data cannot be checked and the report says "not verified". The virtual board offers
MaixKPU's extension opcodes (`Op.EXT_QUERY`, `Op.EXT_FLASH_SHA256`); when the board answers
the query, every region is hashed after writing and must match (else it is rewritten and
checked again, then `FlashError`), and chunks whose content is already there are skipped,
which also resumes an interrupted flash. The query is sent once after flash init; a board
that does not know it answers INVALID_COMMAND or nothing, after which we re-greet it.
"""
from __future__ import annotations

import hashlib
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from maixkpu.isp import framing
from maixkpu.isp.framing import Op, Response, SlipDecoder, Status, status_text
from maixkpu.isp.journal import ResumeJournal
from maixkpu.isp.progress import FlashProgress
from maixkpu.isp.reset import BoardProfile, profile
from maixkpu.isp.stage2 import kflash_isp_prog

ROM_BAUDRATE = 115200
FAST_ROM_BAUDRATE = 1500000
SRAM_BASE = 0x80000000
# Host rates the Maix Go open-ec firmware maps to very high line rates (kflash goE aliases).
GOE_ALIAS_RATES = {4500000: 300, 6000000: 250, 7500000: 350}
# A 64 KiB write answered "damaged" this often is resent as 4 KiB pieces (4 KiB-aligned
# starts, like kflash's first piece of a raw file), which get through a noisy line far more often.
SPLIT_SIZE = 4096
DAMAGE_BEFORE_SPLIT = 3


class FlashError(Exception):
    """Flashing failed; the message says where and why."""


class _Damaged(FlashError):
    """A request keeps arriving damaged (internal: the caller splits it)."""


@dataclass
class FlashOptions:
    board: str = "auto"
    baudrate: int = ROM_BAUDRATE  # stage-2 line rate for the writes
    verify: bool = True  # hash-check written regions when the board can
    require_verify: bool = False  # fail when the board cannot verify
    skip_unchanged: bool = True  # skip chunks whose hash already matches (needs hashing)
    retries: int = 8  # resends per request before FlashError
    timeout: float = 3.0  # reply deadline for one request
    greeting_timeout: float = 0.5
    reset_rounds: int = 5  # rounds of reset + ROM greeting
    flash_chip: int = 1  # D7 chip id: 1 = on-board SPI0 flash, 0 = SPI3
    slow: bool = False  # never switch the ROM to 1.5 Mbaud
    isp_prog: bytes | None = None  # stage-2 program; default: kflash's ISP_PROG
    reboot: bool = True
    journal: ResumeJournal | None = None  # records acknowledged chunks (see isp.journal)
    resume: bool = False  # skip chunks the journal lists (boards that cannot hash)
    sleep: Callable[[float], None] = time.sleep


@dataclass
class FlashReport:
    board: str = ""
    regions: int = 0
    bytes_total: int = 0
    bytes_written: int = 0
    bytes_skipped: int = 0
    resends: int = 0
    split_chunks: int = 0  # 64 KiB writes that were resent in 4 KiB pieces
    verified: bool | None = None  # None: the board cannot be verified
    verify_note: str = ""
    extensions: bool = False
    elapsed: float = 0.0
    log: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rate = self.bytes_written / self.elapsed / 1024 if self.elapsed > 0 else 0.0
        verified = {True: "verified", False: "NOT verified",
                    None: "not verified"}[self.verified]
        text = (f"{self.regions} region(s), {self.bytes_total} bytes: {self.bytes_written} "
                f"written, {self.bytes_skipped} already there; {self.resends} resend(s); "
                f"{verified}; {self.elapsed:.1f} s ({rate:.1f} KiB/s)")
        if self.split_chunks:
            text += f"; {self.split_chunks} chunk(s) resent in 4 KiB pieces"
        return text + (f" - {self.verify_note}" if self.verify_note else "")


def chunk_plan(address: int, size: int, chunk: int = framing.FLASH_CHUNK) -> list[tuple[int, int]]:
    """(offset, length) pieces: the first ends at a 64 KiB boundary, then 64 KiB each."""
    plan = []
    offset = 0
    while offset < size:
        room = chunk - (address + offset) % chunk
        n = min(room, size - offset)
        plan.append((offset, n))
        offset += n
    return plan


class IspLink:
    """Requests and replies over a pyserial-like port (read/write/in_waiting/baudrate)."""

    def __init__(self, port: Any) -> None:
        self.port = port
        self.decoder = SlipDecoder()
        self.frames: deque[bytes] = deque()
        self.debug_lines: list[str] = []

    def send(self, payload: bytes) -> float:
        """Writes one frame; returns the seconds its bytes need on the line (10 bits a byte):
        a socket-backed port (rfc2217://) returns from write() long before they are through."""
        frame = framing.slip_encode(payload)
        self.port.write(frame)
        baud = getattr(self.port, "baudrate", 0) or 0
        return len(frame) * 10 / baud if baud > 0 else 0.0

    def drain(self) -> None:
        """Forget replies that arrived late (to an earlier, already retried request)."""
        self.port.reset_input_buffer()
        self.decoder.reset()
        self.frames.clear()

    def receive(self, timeout: float) -> Response | None:
        """The next reply frame (debug text frames are collected, not returned)."""
        deadline = time.monotonic() + timeout
        while True:
            while self.frames:
                reply = framing.parse_response(self.frames.popleft())
                if reply is None:
                    continue
                if reply.op == Op.DEBUG_INFO:
                    self.debug_lines.append(reply.data.decode("ascii", "replace"))
                    continue
                return reply
            if time.monotonic() >= deadline:
                return None
            waiting = getattr(self.port, "in_waiting", 0)
            self.frames.extend(self.decoder.feed(self.port.read(waiting or 1)))

    def request(self, payload: bytes, timeout: float) -> Response | None:
        """Sends and waits for the reply: `timeout` counts from when the request is through."""
        self.drain()
        return self.receive(timeout + self.send(payload))


class Flasher:
    def __init__(self, port: Any, options: FlashOptions | None = None,
                 progress: FlashProgress | None = None) -> None:
        self.port = port
        self.opt = options or FlashOptions()
        self.progress = progress or FlashProgress(quiet=True)
        self.link = IspLink(port)
        self.report = FlashReport()
        self.profile: BoardProfile = profile(self.opt.board)
        self.hash_capable = False

    def _log(self, message: str) -> None:
        self.report.log.append(message)
        self.progress.note(message)

    # -- ROM ------------------------------------------------------------------------------------
    def enter_isp(self) -> None:
        """Reset into the boot ROM and get its greeting; sets report.board."""
        for _ in range(self.opt.reset_rounds):
            for seq, name in zip(self.profile.isp, self.profile.detected or
                                 (self.profile.name,) * len(self.profile.isp)):
                seq.run(self.port, sleep=self.opt.sleep)
                self.port.baudrate = ROM_BAUDRATE
                if self.link.request(framing.pack_short(Op.NOP),
                                     self.opt.greeting_timeout) is not None:
                    self.report.board = name
                    self._log(f"boot ROM answered (board wiring: {name})")
                    return
        tried = ", ".join(s.name for s in self.profile.isp)
        raise FlashError(f"no K210 boot ROM answered after {self.opt.reset_rounds} rounds of "
                         f"reset ({tried}); check the port and --board")

    def _fast_rom(self) -> None:
        value = int(FAST_ROM_BAUDRATE * 38.6 / 38)  # the ROM's divider assumes this ratio
        self.link.drain()
        self.link.send(framing.pack_u32_request(Op.CHANGE_BAUDRATE, 0, value))
        self.opt.sleep(0.05)
        self.port.baudrate = FAST_ROM_BAUDRATE
        for _ in range(3):
            if self.link.request(framing.pack_short(Op.NOP), self.opt.greeting_timeout):
                self._log("boot ROM switched to 1.5 Mbaud")
                return
        # a lost request leaves the ROM at the old rate: carry on there, only slower
        self.port.baudrate = ROM_BAUDRATE
        if self.link.request(framing.pack_short(Op.NOP), self.opt.greeting_timeout):
            self._log("boot ROM stayed at 115200 baud (the 1.5 Mbaud request was lost)")
            return
        raise FlashError("the boot ROM answers neither at 1.5 Mbaud nor at 115200; use --slow")

    def upload_stage2(self, prog: bytes) -> None:
        if self.profile.fast_rom and not self.opt.slow and self.opt.baudrate >= FAST_ROM_BAUDRATE:
            self._fast_rom()
        self.progress.start("ISP", len(prog))
        for offset in range(0, len(prog), framing.ROM_CHUNK):
            piece = prog[offset:offset + framing.ROM_CHUNK]
            payload = framing.pack_request(Op.MEMORY_WRITE, SRAM_BASE + offset, piece)
            self._expect(payload, Op.MEMORY_WRITE, f"stage-2 upload at 0x{SRAM_BASE + offset:x}",
                         ok=(Status.OK, Status.DEFAULT))
            self.progress.advance(len(piece))
        self.progress.done()

    def boot_stage2(self) -> None:
        """Start the uploaded program and greet it; a ROM that missed the boot is told again."""
        for _ in range(3):
            self.link.drain()
            self.link.send(framing.pack_request(Op.MEMORY_BOOT, SRAM_BASE))
            self.port.baudrate = ROM_BAUDRATE  # the stage-2 starts its UART at this rate
            self.opt.sleep(0.1)
            for _ in range(self.opt.retries + 1):
                reply = self.link.request(framing.pack_short(Op.FLASH_NOP),
                                          min(self.opt.timeout, 1.0))
                if reply is not None and reply.op == Op.FLASH_NOP and reply.ok:
                    return
                if reply is not None and reply.reason == Status.INVALID_COMMAND:
                    break  # the ROM is still listening: the boot request was lost
                self.report.resends += 1
        raise FlashError("the stage-2 flasher did not start (no answer to its greeting)")

    # -- stage-2 --------------------------------------------------------------------------------
    def _expect(self, payload: bytes, op: int, what: str,
                ok: tuple[int, ...] = (Status.OK,), timeout: float | None = None,
                damage_limit: int | None = None) -> Response:
        """Send until a reply with `op` and an OK status arrives; bounded resends.

        With `damage_limit`, give up early (`_Damaged`) after that many answers that show the
        request arrived damaged, so the caller can try smaller pieces.
        """
        last = "no reply"
        damaged = 0
        for attempt in range(self.opt.retries + 1):
            if attempt:
                self.report.resends += 1
            reply = self.link.request(payload, self.opt.timeout if timeout is None else timeout)
            if reply is None:
                last = "no reply"
                continue
            if reply.op == (op & 0xFF) and reply.reason in ok:
                return reply
            if reply.op != (op & 0xFF):
                last = f"reply to op 0x{reply.op:02x}"
            else:
                last = status_text(reply.reason)
            if reply.op == (op & 0xFF) and reply.reason == Status.FLASH_BUSY:
                self.opt.sleep(0.1)
                continue
            damaged += 1
            if damage_limit is not None and damaged >= damage_limit:
                raise _Damaged(f"{what}: {damaged} damaged exchanges ({last})")
        raise FlashError(f"{what}: failed after {self.opt.retries + 1} attempts ({last})")

    def greet_stage2(self) -> None:
        self._expect(framing.pack_short(Op.FLASH_NOP), Op.FLASH_NOP, "stage-2 greeting",
                     timeout=min(self.opt.timeout, 1.0))

    def _greet_quick(self) -> bool:
        for _ in range(3):
            reply = self.link.request(framing.pack_short(Op.FLASH_NOP),
                                      min(self.opt.timeout, 0.5))
            if reply is not None and reply.op == Op.FLASH_NOP and reply.ok:
                return True
        return False

    def set_baudrate(self, rate: int) -> None:
        host = GOE_ALIAS_RATES.get(rate, rate) if self.profile.name == "goE" else rate
        old = self.port.baudrate
        for _ in range(3):
            self.link.drain()
            self.link.send(framing.pack_u32_request(Op.UARTHS_BAUDRATE_SET, 0, rate))
            self.opt.sleep(0.05)
            early = self.link.receive(0.0)  # only a rejected request is answered
            if early is not None and early.op == Op.UARTHS_BAUDRATE_SET and not early.ok:
                self.report.resends += 1
                continue
            self.port.baudrate = host
            if self._greet_quick():
                self._log(f"stage-2 at {rate} baud")
                return
            self.port.baudrate = old
            if not self._greet_quick():
                break  # lost at both rates
            self.report.resends += 1  # still at the old rate: the request was lost
        raise FlashError(f"no answer after switching to {rate} baud; try a lower --baud")

    def init_flash(self) -> None:
        self._expect(framing.pack_request(Op.FLASH_INIT, self.opt.flash_chip), Op.FLASH_INIT,
                     "flash init")

    def probe_extensions(self) -> bool:
        """Whether the stage-2 offers MaixKPU's flash hash command (virtual boards only)."""
        for _ in range(3):
            reply = self.link.request(framing.pack_request(Op.EXT_QUERY),
                                      min(self.opt.timeout, 0.5))
            if reply is not None and reply.op == Op.EXT_QUERY:
                if reply.reason == Status.INVALID_COMMAND:
                    break
                if reply.ok and len(reply.data) >= 8:
                    (caps,) = struct.unpack_from("<I", reply.data)
                    return bool(caps & framing.CAP_SHA256)
            self.report.resends += 1  # silence or a damaged exchange: ask again
        self.greet_stage2()  # back in step with a board that did not know the query
        return False

    def flash_sha256(self, address: int, size: int) -> bytes:
        payload = framing.pack_u32_request(Op.EXT_FLASH_SHA256, address, size)
        reply = self._expect(payload, Op.EXT_FLASH_SHA256, f"hash of 0x{address:x}+{size}",
                             timeout=self.opt.timeout + size / (1 << 20))
        if len(reply.data) != 32:
            raise FlashError(f"hash of 0x{address:x}+{size}: malformed reply")
        return reply.data

    def write_chunk(self, address: int, data: bytes) -> None:
        """One D4; a chunk that keeps arriving damaged is sent again as 4 KiB pieces."""
        what = f"write of {len(data)} bytes at 0x{address:06x}"
        payload = framing.pack_request(Op.FLASH_WRITE, address, data)
        if len(data) <= SPLIT_SIZE:
            self._expect(payload, Op.FLASH_WRITE, what)
            return
        try:
            self._expect(payload, Op.FLASH_WRITE, what, damage_limit=DAMAGE_BEFORE_SPLIT)
        except _Damaged:
            self.report.split_chunks += 1
            for offset, n in chunk_plan(address, len(data), SPLIT_SIZE):
                piece = data[offset:offset + n]
                self._expect(framing.pack_request(Op.FLASH_WRITE, address + offset, piece),
                             Op.FLASH_WRITE, f"write of {n} bytes at 0x{address + offset:06x}")

    def reboot(self) -> None:
        self._expect(framing.pack_short(Op.REBOOT), Op.REBOOT, "reboot")

    # -- the whole job --------------------------------------------------------------------------
    def connect(self) -> None:
        prog = self.opt.isp_prog if self.opt.isp_prog is not None else kflash_isp_prog()
        self.enter_isp()
        self.upload_stage2(prog)
        self.boot_stage2()
        if self.opt.baudrate != ROM_BAUDRATE:
            self.set_baudrate(self.opt.baudrate)
        self.init_flash()
        wants_hash = self.opt.verify or self.opt.skip_unchanged or self.opt.require_verify
        self.hash_capable = wants_hash and self.probe_extensions()
        self.report.extensions = self.hash_capable
        if self.opt.require_verify and not self.hash_capable:
            raise FlashError("the board cannot verify flash (kflash's stage-2 has no read or "
                             "hash command); drop --require-verify")

    def write_regions(self, regions: list[tuple[int, bytes]]) -> None:
        self.report.regions = len(regions)
        self.report.bytes_total = sum(len(d) for _, d in regions)
        self.progress.start("write", self.report.bytes_total)
        for address, data in regions:
            self._write_region(address, data, self.opt.skip_unchanged and self.hash_capable)
        self.progress.done()
        if not self.opt.verify:
            self.report.verify_note = "verification turned off"
        elif not self.hash_capable:
            self.report.verify_note = ("the board's stage-2 (kflash ISP_PROG) has no read-back "
                                       "command")
        else:
            self._verify(regions)

    def _write_region(self, address: int, data: bytes, skip: bool) -> None:
        journal = self.opt.journal
        for offset, n in chunk_plan(address, len(data)):
            piece = data[offset:offset + n]
            at = address + offset
            if skip and self.flash_sha256(at, n) == hashlib.sha256(piece).digest():
                self.report.bytes_skipped += n
            elif self.opt.resume and journal is not None and not self.hash_capable \
                    and journal.is_done(at, n):
                self.report.bytes_skipped += n  # written by an earlier, interrupted run
            else:
                self.write_chunk(at, piece)
                self.report.bytes_written += n
                if journal is not None:
                    journal.mark(at, n)
            self.progress.advance(n)

    def _verify(self, regions: list[tuple[int, bytes]], rounds: int = 3) -> None:
        self.progress.start("verify", sum(len(d) for _, d in regions))
        bad = list(regions)
        for _ in range(rounds):
            still = []
            for address, data in bad:
                if self.flash_sha256(address, len(data)) != hashlib.sha256(data).digest():
                    still.append((address, data))
                    self._log(f"region at 0x{address:06x} differs after writing; rewriting it")
                else:
                    self.progress.advance(len(data))
            if not still:
                self.progress.done()
                self.report.verified = True
                return
            for address, data in still:
                self._write_region(address, data, skip=True)  # only the chunks that differ
            bad = still
        self.report.verified = False
        raise FlashError(f"{len(bad)} region(s) still differ after {rounds} rewrites, first at "
                         f"0x{bad[0][0]:06x}")

    def run(self, regions: list[tuple[int, bytes]]) -> FlashReport:
        start = time.monotonic()
        try:
            self.connect()
            self.write_regions(regions)
            if self.opt.journal is not None:
                self.opt.journal.clear()  # complete: nothing left to resume
            if self.opt.reboot:
                try:
                    self.reboot()
                except FlashError as exc:  # the data is in place; only the restart is unsure
                    self.report.verify_note += f"; reboot not confirmed ({exc}): press reset"
        finally:
            self.report.elapsed = time.monotonic() - start
        return self.report


def open_port(url: str) -> Any:
    """A pyserial port for a device path or URL (rfc2217://, socket://, loop://)."""
    import serial

    try:
        return serial.serial_for_url(url, baudrate=ROM_BAUDRATE, timeout=0.05)
    except (serial.SerialException, ValueError) as exc:
        raise FlashError(f"cannot open {url}: {exc}") from exc
