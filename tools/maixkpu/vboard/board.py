"""The virtual Maix board: boot pins, boot ROM, and routing of serial bytes to ISP or REPL.

    with VirtualBoard(flash="flash.bin", pty=True) as board:
        print(board.urls)   # ['rfc2217://127.0.0.1:40123', '/dev/pts/7']

States: ``reset`` (RESET held low), ``isp`` (left reset with BOOT low: the ROM's ISP, then
kflash's stage-2, both in `IspDevice`), ``app`` (left reset with BOOT high and a valid boot
image in flash: the MaixPy-compatible REPL), ``boot_error`` (no valid image: the ROM prints
its error line and stays silent), ``hung`` (fault injection: deaf and mute until a reset) and
``off`` (not started / stopped). DTR/RTS act through the board profile (`profiles.py`).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, Callable, Union

from maixkpu.vboard.board_modules import BoardContext, ModuleFactory, merged_modules
from maixkpu.vboard.filesystem import BoardFs
from maixkpu.vboard.flash import FlashImage
from maixkpu.vboard.interpreter import Interpreter
from maixkpu.vboard.isp_device import IspDevice, IspFaults
from maixkpu.vboard.line import FaultPlan, Line
from maixkpu.vboard.profiles import DEFAULT_PROFILE, BoardProfile, get_profile
from maixkpu.vboard.repl import Repl
from maixkpu.vboard.transport_pty import PtyPort
from maixkpu.vboard.transport_rfc2217 import Rfc2217Server

RESET, ISP, APP, BOOT_ERROR, HUNG, OFF = "reset", "isp", "app", "boot_error", "hung", "off"
DEFAULT_BAUD = 115200
EVENTS_KEPT = 100_000
RESET_SETTLE = 0.2  # seconds RESET must stay released before the chip runs (RC on the pin)
# what the K210 ROM prints when flash offset 0 holds no valid image (spec §5)
ROM_BOOT_FAILED = (b"interesting, something's wrong, boot failed with exit code 233, "
                   b"go to find your vendor.\r\n")

PathLike = Union[str, "os.PathLike[str]"]


class VirtualBoard:
    """A Maix board on a serial endpoint: RFC 2217 on 127.0.0.1 and/or a raw pty.

    flash: a `FlashImage` (the caller keeps ownership), a file path (opened and closed by the
    board) or None (erased, in memory). `fs_dir` backs /flash (a temporary folder when None),
    `sd_dir` adds /sd. `rfc2217_port`: 0 picks a free port, None serves no RFC 2217.
    `boot_pin_low`: BOOT strapped low at power-on, so the ROM's ISP starts (a pty cannot move
    the pins). `modules` updates the import map (None values remove modules).

    `reset_settle` models the RC on the RESET pin: the chip leaves reset (and samples BOOT)
    only when RESET stayed released that long, or when the next byte arrives, whichever comes
    first. A shorter pulse is absorbed. This matters because RFC 2217 moves DTR and RTS one at a
    time ~50 ms apart, so kflash's step "RTS on, DTR off" passes through a state that releases
    RESET with BOOT high on a cross-coupled board; on hardware that glitch lasts microseconds.
    """

    def __init__(self, flash: FlashImage | PathLike | None = None, *,
                 profile: str | BoardProfile = DEFAULT_PROFILE,
                 rfc2217_port: int | None = 0, pty: bool = False,
                 fs_dir: PathLike | None = None, sd_dir: PathLike | None = None,
                 camera_dir: PathLike | None = None, lcd_out_dir: PathLike | None = None,
                 line_rate: bool = False, faults: FaultPlan | None = None,
                 isp_faults: IspFaults | None = None,
                 modules: Mapping[str, ModuleFactory | None] | None = None,
                 raw_paste: bool = True, boot_pin_low: bool = False,
                 reset_settle: float = RESET_SETTLE, host: str = "127.0.0.1") -> None:
        self.profile = profile if isinstance(profile, BoardProfile) else get_profile(profile)
        self._flash_arg = flash
        self._rfc2217_port = rfc2217_port
        self._want_pty = pty
        self._fs_dir = Path(fs_dir) if fs_dir is not None else None
        self._sd_dir = Path(sd_dir) if sd_dir is not None else None
        self.camera_dir = Path(camera_dir) if camera_dir is not None else None
        self.lcd_out_dir = Path(lcd_out_dir) if lcd_out_dir is not None else None
        self._line_rate = line_rate
        self.faults = faults if faults is not None else FaultPlan()
        self._isp_faults = isp_faults
        self.modules = merged_modules(modules)
        self.raw_paste = raw_paste
        self._power_on_boot_low = boot_pin_low
        self._host = host

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.state = OFF
        # ("lines", dtr, rts), ("boot", state, ...), ...: the latest EVENTS_KEPT of them
        self.events: deque[tuple[Any, ...]] = deque(maxlen=EVENTS_KEPT)
        self.dtr = self.rts = False
        self.reset_settle = reset_settle
        self._in_reset = False  # RESET pin held low
        self._release_token = 0  # identifies the pending release (RESET up, chip not yet out)
        self._release_pending = False
        self._boot_pin_low = boot_pin_low
        self.baudrate = DEFAULT_BAUD  # the board's UART
        self.host_baud: int | None = None  # what the RFC 2217 client set
        self.rx_count = 0  # bytes from the host that reached the board
        self.tx_count = 0  # bytes the board put on the wire (after line faults)
        self._faults_done: set[str] = set()  # one-shot faults that have acted
        self._temp_dir: str | None = None
        self.flash: FlashImage | None = None
        self.isp: IspDevice | None = None
        self.repl: Repl | None = None
        self.rfc2217: Rfc2217Server | None = None
        self.pty: PtyPort | None = None
        self.line: Line | None = None
        self._owns_flash = False

    # -- lifetime ---------------------------------------------------------------------------------
    def start(self) -> VirtualBoard:
        with self._lock:
            if self.state != OFF:
                raise RuntimeError("the board is already running")
            # power-on: lines released, BOOT as strapped
            self.dtr = self.rts = self._in_reset = self._release_pending = False
            self._boot_pin_low = self._power_on_boot_low
            self.rx_count = self.tx_count = 0
            self._faults_done.clear()
        flash = self._flash_arg
        if isinstance(flash, FlashImage):
            self.flash = flash
            self._owns_flash = False
        else:
            self.flash = FlashImage(flash)
            self._owns_flash = True
        self.isp = IspDevice(self.flash, faults=self._isp_faults)
        if self._fs_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="vboard-fs-")
            self._fs_dir = Path(self._temp_dir)
        self.line = Line(self._from_line, self._to_transports, self._line_baud,
                         self.faults, self._line_rate)
        try:
            if self._rfc2217_port is not None:
                self.rfc2217 = Rfc2217Server(self, self._rfc2217_port, self._host)
            if self._want_pty:
                self.pty = PtyPort(self.host_bytes)
        except OSError:
            self._close_resources()
            raise
        with self._lock:
            self._event("power_on")
            self._leave_reset()
        for transport in (self.rfc2217, self.pty):
            if transport is not None:
                transport.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self.state == OFF:
                return
            self._stop_app()
            self.state = OFF
            self._event("power_off")
        self._close_resources()

    def _close_resources(self) -> None:
        for transport in (self.rfc2217, self.pty):
            if transport is not None:
                transport.stop()
        self.rfc2217 = self.pty = None
        if self.line is not None:
            self.line.close()
        if self.flash is not None and self._owns_flash:
            self.flash.close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
            self._fs_dir = None

    def __enter__(self) -> VirtualBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = " ".join(self.urls) or "no endpoint"
        return f"<VirtualBoard {self.profile.name} {self.state} {where}>"

    @property
    def urls(self) -> list[str]:
        """Where clients connect: the RFC 2217 URL and/or the pty path."""
        return [t.url for t in (self.rfc2217, self.pty) if t is not None]

    @property
    def rfc2217_url(self) -> str | None:
        return self.rfc2217.url if self.rfc2217 is not None else None

    @property
    def pty_path(self) -> str | None:
        return self.pty.path if self.pty is not None else None

    @property
    def fs_dir(self) -> Path | None:
        """Host folder behind the board's /flash."""
        return self._fs_dir

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until `predicate()` (checked under the board lock on every event) holds."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def _event(self, *event: Any) -> None:
        self.events.append(event)
        self._changed.notify_all()

    # -- host side (transports) -------------------------------------------------------------------
    def host_bytes(self, data: bytes) -> None:
        if self.line is not None:
            self.line.from_host(data)

    def host_lines(self, dtr: bool, rts: bool) -> None:
        if self.line is not None:
            self.line.host_event(partial(self.set_lines, dtr, rts))

    def host_baudrate(self, baudrate: int) -> None:
        if self.line is not None:
            self.line.host_event(partial(self._set_host_baud, baudrate))

    def host_purge_output(self) -> None:
        if self.line is not None:
            self.line.discard_output()

    def _line_baud(self) -> int:
        return self.host_baud or self.baudrate

    def _set_host_baud(self, baudrate: int) -> None:
        with self._lock:
            self.host_baud = baudrate
            self._event("host_baud", baudrate)

    # -- pins -------------------------------------------------------------------------------------
    def set_lines(self, dtr: bool, rts: bool) -> None:
        """New DTR/RTS states (True = asserted), acting through the board profile."""
        with self._lock:
            if self.state == OFF:
                return
            self.dtr, self.rts = dtr, rts
            self._event("lines", dtr, rts)
            reset_low, boot_low = self.profile.pins(dtr, rts)
            self._boot_pin_low = boot_low
            if reset_low and not self._in_reset:
                self._in_reset = True
                if self._release_pending:
                    self._release_pending = False  # a glitch shorter than the RC: no boot
                else:
                    self._enter_reset()
            elif not reset_low and self._in_reset:
                self._in_reset = False
                self._release_reset()

    def _release_reset(self) -> None:
        if self.reset_settle <= 0:
            self._leave_reset()
            return
        self._release_token += 1
        self._release_pending = True
        timer = threading.Timer(self.reset_settle, self._settled, args=(self._release_token,))
        timer.daemon = True
        timer.start()

    def _settled(self, token: int) -> None:
        with self._lock:
            if self._release_pending and token == self._release_token and self.state != OFF:
                self._leave_reset()

    def press_reset(self, boot_low: bool | None = None) -> None:
        """A reset pulse, as from the RESET button; `boot_low` holds BOOT (default: as is)."""
        with self._lock:
            if self.state == OFF:
                return
            if boot_low is not None:
                self._boot_pin_low = boot_low
            self._enter_reset()
            self._leave_reset()

    def _enter_reset(self) -> None:
        self._stop_app()
        if self.line is not None:
            self.line.discard_output()  # a paced line loses what the chip had not sent yet
        self._release_pending = False
        self.state = RESET
        self.baudrate = DEFAULT_BAUD
        self._event("reset")

    def _leave_reset(self) -> None:
        self._release_pending = False
        if self._boot_pin_low:
            assert self.isp is not None
            self.isp.reset()
            self.state = ISP
            self._event("boot", ISP)
        else:
            self._boot_flash()

    def _stop_app(self) -> None:
        if self.repl is not None:
            self.repl.stop()
            self.repl = None

    # -- boot ROM and application -----------------------------------------------------------------
    def _boot_flash(self) -> None:
        assert self.flash is not None
        firmware = self.flash.boot_image()
        if firmware is None:
            self.state = BOOT_ERROR
            self._event("boot", BOOT_ERROR, self.flash.last_boot_error)
            self._tx(ROM_BOOT_FAILED)
            return
        self.state = APP
        self._event("boot", APP, len(firmware))
        self._tx(self._boot_log(firmware))
        self.repl = self._make_repl()
        self.repl.start()

    def _boot_log(self, firmware: bytes) -> bytes:
        return (f"\r\n[MaixKPU] virtual K210 ({self.profile.name}): "
                f"{len(firmware)}-byte firmware booted from flash\r\n"
                "Official Site : https://www.sipeed.com\r\n"
                "Wiki          : https://maixpy.sipeed.com\r\n\r\n").encode()

    def _make_repl(self) -> Repl:
        assert self.flash is not None and self._fs_dir is not None
        mounts = {"/flash": self._fs_dir}
        if self._sd_dir is not None:
            mounts["/sd"] = self._sd_dir
        interpreter: Interpreter | None = None

        def write(text: str) -> None:
            if interpreter is not None:
                interpreter.write(text)

        context = BoardContext(
            fs=BoardFs(mounts), write=write, flash_read=self.flash.read,
            flash_size=self.flash.size, camera_dir=self.camera_dir,
            lcd_out_dir=self.lcd_out_dir, request_reset=self._reset_from_code)
        interpreter = Interpreter(self.modules, context, self._tx_text)
        return Repl(interpreter, self._tx, raw_paste=self.raw_paste)

    def _reset_from_code(self) -> None:
        # machine.reset(): runs outside the calling board thread, which the reset aborts
        threading.Thread(target=self.press_reset, name="vboard-machine-reset",
                         daemon=True).start()

    # -- bytes ------------------------------------------------------------------------------------
    def _tx(self, data: bytes) -> None:
        if self.line is not None and self.state not in (RESET, HUNG, OFF):
            self.line.to_host(data)

    def _tx_text(self, text: str) -> None:
        self._tx(text.replace("\n", "\r\n").encode("utf-8", "replace"))

    def _to_transports(self, data: bytes) -> None:
        if self.state == HUNG:
            return
        self.tx_count += len(data)
        for transport in (self.rfc2217, self.pty):
            if transport is not None:
                transport.send(data)

    def _from_line(self, data: bytes) -> None:
        """Host bytes after line faults and pacing; fault counters cut them where they act."""
        with self._lock:
            try:
                self._take_bytes(data)
            finally:
                self._changed.notify_all()  # rx_count moved

    def _take_bytes(self, data: bytes) -> None:
        if self._release_pending:
            self._leave_reset()  # the chip is out of reset by the time a byte arrives
        while data:
            if self.state in (OFF, HUNG):
                return
            take = len(data)
            for limit in (self._pending_fault("stop"), self._pending_fault("reset")):
                if limit is not None:
                    take = min(take, limit - self.rx_count)
            piece, data = data[:take], data[take:]
            self.rx_count += len(piece)
            self._deliver(piece)
            if self._pending_fault("stop") == self.rx_count:
                self._faults_done.add("stop")
                self._hang()
                return
            if self._pending_fault("reset") == self.rx_count:
                self._faults_done.add("reset")
                self._event("fault_reset", self.rx_count)
                self._enter_reset()
                self._leave_reset()

    def _pending_fault(self, kind: str) -> int | None:
        """Byte count at which a one-shot fault still has to act (None: done or not set)."""
        limit = self.faults.stop_after if kind == "stop" else self.faults.reset_after
        if limit is None or kind in self._faults_done or limit < self.rx_count:
            return None
        return limit

    def _hang(self) -> None:
        self._stop_app()
        self.state = HUNG
        self._event("hung", self.rx_count)

    def _deliver(self, data: bytes) -> None:
        if not data:
            return
        if self.state == ISP:
            assert self.isp is not None
            reply = self.isp.feed(data)
            if reply:
                self._tx(reply)
            rate = self.isp.take_pending_baudrate()
            if rate is not None:
                self.baudrate = rate
                self._event("board_baud", rate)
            if self.isp.reboot_requested:
                self._event("isp_reboot")
                self.baudrate = DEFAULT_BAUD
                self._boot_flash()
        elif self.state == APP and self.repl is not None:
            self.repl.feed(data)
