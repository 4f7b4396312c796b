"""The MicroPython REPL protocols as a byte state machine (spec isp-kfpkg-repl §9).

Friendly REPL (`>>> `, `... `, echo, Ctrl-E paste mode), raw REPL (Ctrl-A; Ctrl-D runs and
answers `OK` + stdout + 0x04 + traceback + 0x04 + `>`), raw-paste mode (flow control with a
window as mpremote expects), soft reset (`MPY: soft reboot`), Ctrl-B, Ctrl-C. Code runs in the
`Interpreter`'s worker thread; bytes that arrive meanwhile wait, except Ctrl-C which interrupts.
"""
from __future__ import annotations

import codeop
import re
import struct
import threading
import time
import warnings
from collections import deque
from typing import Callable

from maixkpu.vboard.board_modules import MACHINE, VERSION_TEXT
from maixkpu.vboard.interpreter import Interpreter

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 1, 2, 3, 4, 5
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
SOFT_REBOOT = b"MPY: soft reboot\r\n"
PASTE_BANNER = b"paste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
DEFAULT_WINDOW = 128  # half of MicroPython's default 256-byte stdin buffer
_COMPOUND = frozenset({"if", "for", "while", "def", "class", "try", "with", "async"})

FRIENDLY, PASTE, RAW, RAW_PASTE, RUNNING, OFF = (
    "friendly", "paste", "raw", "raw_paste", "running", "off")


def friendly_banner() -> bytes:
    date = time.strftime("%Y-%m-%d")
    return (f"MicroPython {VERSION_TEXT} on {date}; {MACHINE}\r\n"
            'Type "help()" for more information.\r\n').encode()


def _needs_more(lines: list[str]) -> bool:
    """Friendly REPL: keep reading `... ` lines (the rule of MicroPython's readline)."""
    source = "\n".join(lines)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            complete = codeop.compile_command(source, "<stdin>", "single") is not None
        except (SyntaxError, ValueError, OverflowError):
            return False  # run it and let it fail with a traceback
    if not complete:
        return True
    first = lines[0].lstrip()
    word = re.match(r"\w*", first)
    return first.startswith("@") or (word is not None and word.group() in _COMPOUND)


class Repl:
    """One REPL session of a booted board; `feed()` takes host bytes, `out` sends bytes."""

    def __init__(self, interpreter: Interpreter, out: Callable[[bytes], None],
                 raw_paste: bool = True, window: int = DEFAULT_WINDOW) -> None:
        self.interpreter = interpreter
        self._out = out
        self.raw_paste = raw_paste
        self.window = window
        self._lock = threading.RLock()
        self.state = OFF
        self._pending: deque[int] = deque()
        self._line = bytearray()
        self._lines: list[str] = []
        self._escape = 0  # 1: ESC seen, 2: inside a CSI/SS3 sequence (arrow keys etc.)
        self._last = 0
        self._raw = bytearray()
        self._paste_count = 0
        self.executions = 0  # pieces of code run (for tests and logs)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """After a hard boot: run boot.py and main.py, then the friendly banner and prompt."""
        with self._lock:
            self._after_reset(raw=False)

    def stop(self) -> None:
        with self._lock:
            self.state = OFF
            self._pending.clear()
            self.interpreter.abort()

    def _soft_reset(self, raw: bool) -> None:
        self._out(SOFT_REBOOT)
        self.interpreter.reset()
        self._after_reset(raw)

    def _after_reset(self, raw: bool) -> None:
        scripts = ["boot.py"] if raw else ["boot.py", "main.py"]

        def ready() -> None:
            if raw:
                self._enter_raw()
            else:
                self._out(friendly_banner())
                self._prompt()

        self._run_scripts(scripts, ready)

    def _run_scripts(self, names: list[str], then: Callable[[], None]) -> None:
        """Run the first existing /flash script of `names`, then the rest, then `then()`."""
        while names:
            name, names = names[0], names[1:]
            try:
                with self.interpreter.context.fs.open(f"/flash/{name}", "r") as f:
                    source = f.read()
            except OSError:
                continue
            break
        else:
            then()
            return
        rest = names

        def done(traceback: str | None) -> None:
            with self._lock:
                if self.state != RUNNING:
                    return
                if traceback:
                    self._text(traceback)
                self._run_scripts(rest, then)
                self._drain()

        self._execute(source, name, echo=False, on_done=done)

    # -- output helpers --------------------------------------------------------------------------
    def _text(self, text: str) -> None:
        self._out(text.replace("\n", "\r\n").encode("utf-8", "replace"))

    def _prompt(self) -> None:
        self.state = FRIENDLY
        self._line.clear()
        self._lines.clear()
        self._out(b">>> ")

    def _enter_raw(self) -> None:
        self.state = RAW
        self._raw.clear()
        self._out(RAW_BANNER + b">")

    # -- input -----------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        with self._lock:
            for byte in data:
                if self.state == RUNNING and byte == CTRL_C and self.interpreter.interrupt():
                    continue
                if self.state != OFF:
                    self._pending.append(byte)
            self._drain()

    def _drain(self) -> None:
        while self._pending and self.state not in (RUNNING, OFF):
            byte = self._pending.popleft()
            handler = {FRIENDLY: self._friendly, PASTE: self._paste, RAW: self._raw_byte,
                       RAW_PASTE: self._raw_paste_byte}[self.state]
            handler(byte)

    def _execute(self, source: str, filename: str, echo: bool,
                 on_done: Callable[[str | None], None]) -> None:
        self.state = RUNNING
        self.executions += 1
        self.interpreter.run(source, filename, echo, on_done)

    # -- friendly REPL ---------------------------------------------------------------------------
    def _friendly(self, byte: int) -> None:
        last, self._last = self._last, byte
        if self._escape == 1:  # ESC seen: a CSI or SS3 sequence (arrow keys) follows
            self._escape = 2 if byte in (ord("["), ord("O")) else 0
            return
        if self._escape == 2:
            if 0x40 <= byte <= 0x7E:
                self._escape = 0
            return
        at_start = not self._line and not self._lines
        if byte == 0x1B:
            self._escape = 1
        elif byte == CTRL_C:
            self._out(b"\r\n")
            self._prompt()
        elif byte in (CTRL_A, CTRL_B, CTRL_D, CTRL_E):
            if at_start:
                self._friendly_control(byte)
        elif byte in (0x08, 0x7F):
            if self._line:
                del self._line[-1]
                self._out(b"\b \b")
        elif byte == ord("\r") or (byte == ord("\n") and last != ord("\r")):
            self._out(b"\r\n")
            self._end_of_line()
        elif byte >= 0x20 or byte == ord("\t"):
            self._line.append(byte)
            self._out(bytes([byte]))

    def _friendly_control(self, byte: int) -> None:
        self._out(b"\r\n")
        if byte == CTRL_A:
            self._enter_raw()
        elif byte == CTRL_B:
            self._out(friendly_banner())
            self._prompt()
        elif byte == CTRL_D:
            self._soft_reset(raw=False)
        else:
            self.state = PASTE
            self._line.clear()
            self._out(PASTE_BANNER)

    def _end_of_line(self) -> None:
        line = self._line.decode("utf-8", "replace")
        self._line.clear()
        if not self._lines:
            if not line.strip():
                self._out(b">>> ")
                return
            self._lines.append(line)
        elif line.strip():
            self._lines.append(line)
        else:
            self._run_friendly("\n".join(self._lines) + "\n", echo=True)
            return
        if _needs_more(self._lines):
            self._out(b"... ")
        else:
            self._run_friendly("\n".join(self._lines) + "\n", echo=True)

    def _run_friendly(self, source: str, echo: bool) -> None:
        self._lines.clear()

        def done(traceback: str | None) -> None:
            with self._lock:
                if self.state != RUNNING:
                    return
                if traceback:
                    self._text(traceback)
                self._prompt()
                self._drain()

        self._execute(source, "<stdin>", echo, done)

    def _paste(self, byte: int) -> None:
        if byte == CTRL_C:
            self._out(b"\r\n")
            self._prompt()
        elif byte == CTRL_D:
            self._out(b"\r\n")
            self._run_friendly(self._line.decode("utf-8", "replace"), echo=False)
        elif byte == ord("\r"):
            self._line.append(ord("\n"))
            self._out(b"\r\n=== ")
        elif byte != ord("\n"):
            self._line.append(byte)
            self._out(bytes([byte]))

    # -- raw REPL --------------------------------------------------------------------------------
    def _raw_byte(self, byte: int) -> None:
        if byte == CTRL_A:
            if self.raw_paste and len(self._raw) == 2 and self._raw[0] == CTRL_E:
                self._start_raw_paste(self._raw[1])
            else:
                self._enter_raw()
        elif byte == CTRL_B:
            self.state = FRIENDLY
            self._out(b"\r\n" + friendly_banner())
            self._prompt()
        elif byte == CTRL_C:
            self._raw.clear()
        elif byte == CTRL_D:
            self._out(b"OK")
            if not self._raw:
                self._out(b"\r\n")
                self._soft_reset(raw=True)
            else:
                source = self._raw.decode("utf-8", "replace")
                self._raw.clear()
                self._run_raw(source)
        else:
            self._raw.append(byte)

    def _run_raw(self, source: str) -> None:
        def done(traceback: str | None) -> None:
            with self._lock:
                if self.state != RUNNING:
                    return
                self._out(b"\x04")
                if traceback:
                    self._text(traceback)
                self._out(b"\x04")
                self.state = RAW
                self._raw.clear()
                self._out(b">")
                self._drain()

        self._execute(source, "<stdin>", echo=False, on_done=done)

    def _start_raw_paste(self, command: int) -> None:
        self._raw.clear()
        if command != ord("A"):
            self._out(b"R\x00>")  # understood, not supported
            return
        self.state = RAW_PASTE
        self._paste_count = 0
        # the host may send one window now and another for the extra 0x01
        self._out(b"R\x01" + struct.pack("<H", self.window) + b"\x01")

    def _raw_paste_byte(self, byte: int) -> None:
        if byte in (CTRL_C, CTRL_D):
            self._out(b"\x04")  # end of input acknowledged
            source = self._raw.decode("utf-8", "replace")
            self._raw.clear()
            if byte == CTRL_C:
                self._out(b"\x04")
                self._text("KeyboardInterrupt: \n")
                self._out(b"\x04")
                self._enter_raw_prompt()
            else:
                self._run_raw(source)
            return
        self._raw.append(byte)
        self._paste_count += 1
        if self._paste_count == self.window:
            self._paste_count = 0
            self._out(b"\x01")  # a window was consumed: the host may send another

    def _enter_raw_prompt(self) -> None:
        self.state = RAW
        self._out(b">")
