"""One Maix board over a serial URL: reset into the application, raw REPL, exec with a deadline.

    with Board("rfc2217://127.0.0.1:4000", board="maix_go") as b:
        b.exec("import KPU as kpu")
        print(b.eval_json("[1, 2, 3]"))

The raw-REPL protocol is mpremote's `SerialTransport` used as a library; this class adds an
overall deadline per exec, MicroPython tracebacks turned into `BoardError`, and recovery: a
script that overruns its timeout is stopped with Ctrl-C (or, if the board stays deaf, a reset
through the DTR/RTS lines of its board type) and the board is usable again afterwards.
"""
from __future__ import annotations

import json
import time
from typing import Any

from maixkpu.board.errors import BoardConnectionError, BoardError, BoardTimeout
from maixkpu.board.profiles import DEFAULT_BOARD, BoardType, board_type

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
EOT = b"\x04"
SERIAL_READ_TIMEOUT = 1.0  # bounds pyserial's blocking reads (mpremote's pty path uses them)
RECOVER_TIMEOUT = 5.0
BOOT_TIMEOUT = 10.0
JSON_MARK = "\x1e"  # record separator: the JSON line of eval_json, apart from other prints


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


class Board:
    """A connected board. `url` is a device path or a pyserial URL (rfc2217://, socket://).

    `reset`: restart the board into its application first (needs wired DTR/RTS: not for
    `generic`); `soft_reset`: soft-reset the VM when entering the raw REPL (fresh globals).
    `timeout`: default seconds per exec; `connect_timeout`: for reaching the REPL.
    """

    def __init__(self, url: str, *, board: str | BoardType = DEFAULT_BOARD,
                 baud: int | None = None, reset: bool = False, soft_reset: bool = False,
                 timeout: float = 30.0, connect_timeout: float = BOOT_TIMEOUT) -> None:
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.url = url
        self.type = board if isinstance(board, BoardType) else board_type(board)
        self.baud = baud or self.type.repl_baud
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._fs: bool | None = None
        self._modules: dict[str, bool] = {}
        self.vboard: Any = None  # the VirtualBoard behind the URL, when the harness started one
        self.flash_report: Any = None  # FlashReport of the session's flashing (pytest plugin)
        try:
            self.transport = SerialTransport(url, self.baud, timeout=SERIAL_READ_TIMEOUT)
        except (TransportError, OSError, ValueError) as exc:
            raise BoardConnectionError(f"cannot open {url}: {exc}") from exc
        try:
            if reset:
                self.reset_to_app()
            try:
                self.enter_raw(soft_reset=soft_reset)
            except BoardConnectionError as first:
                # still booting (e.g. just flashed): wait for the prompt, then once more
                try:
                    self._wait_for_prompt(self.connect_timeout)
                except BoardConnectionError:
                    raise first from None
                self.enter_raw(soft_reset=soft_reset)
        except BaseException:
            self.transport.close()
            raise

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Leave the raw REPL (back to `>>> `) and close the port."""
        try:
            if self.transport.in_raw_repl:
                self.transport.exit_raw_repl()
        except OSError:
            pass
        finally:
            self.transport.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- REPL modes -------------------------------------------------------------------------------
    def enter_raw(self, soft_reset: bool = False) -> None:
        from mpremote.transport import TransportError

        self._forget_capabilities()
        try:
            self.transport.enter_raw_repl(soft_reset=soft_reset,
                                          timeout_overall=self.connect_timeout)
        except (TransportError, OSError) as exc:
            raise BoardConnectionError(
                f"no MicroPython raw REPL on {self.url} ({exc}); is a MaixPy firmware "
                "flashed and running?") from exc

    def soft_reset(self) -> None:
        """Fresh VM (globals and imported modules gone), raw REPL again."""
        self.enter_raw(soft_reset=True)

    def reset_to_app(self, timeout: float | None = None) -> None:
        """Hardware reset into the application through DTR/RTS, then wait for the prompt."""
        seq = self.type.app_reset
        if seq is None:
            raise BoardError(f"board type {self.type.name!r} has no reset lines: press RESET "
                             "or name the board (--board)")
        self.transport.in_raw_repl = False
        self._forget_capabilities()
        seq.run(self.transport.serial)
        self._wait_for_prompt(self.connect_timeout if timeout is None else timeout)

    def _wait_for_prompt(self, timeout: float) -> None:
        """Poke with Ctrl-C until the friendly prompt answers (boot messages come first)."""
        serial = self.transport.serial
        deadline = time.monotonic() + timeout
        seen = b""
        while time.monotonic() < deadline:
            serial.write(b"\r\x03")
            got = self.transport.read_until(1, b">>> ", timeout=0.5,
                                            timeout_overall=deadline - time.monotonic())
            seen = (seen + got)[-400:]
            if got.endswith(b">>> "):
                return
        raise BoardConnectionError(f"{self.url}: no MicroPython prompt within {timeout:.0f} s "
                                   f"after reset; last output {seen[-120:]!r}")

    def _forget_capabilities(self) -> None:
        self._fs = None
        self._modules.clear()

    # -- running code -----------------------------------------------------------------------------
    def exec(self, code: str | bytes, timeout: float | None = None) -> str:
        """Run `code` in the raw REPL; its stdout ("\\n" line ends). A remote exception raises
        `BoardError`; overrunning `timeout` seconds stops the code and raises `BoardTimeout`."""
        out, err = self.exec_raw(code, timeout)
        if err:
            raise BoardError.from_traceback(err, out)
        return out

    def exec_raw(self, code: str | bytes, timeout: float | None = None) -> tuple[str, str]:
        """(stdout, traceback text) of `code`; BoardTimeout as for `exec`."""
        from mpremote.transport import TransportError

        limit = self.timeout if timeout is None else timeout
        if not self.transport.in_raw_repl:
            self.enter_raw()
        try:
            self.transport.exec_raw_no_follow(code)
        except (TransportError, OSError, ValueError) as exc:
            self.recover()
            raise BoardConnectionError(f"{self.url}: could not send code: {exc}") from exc
        deadline = time.monotonic() + limit
        out = self._read_block(deadline)
        err = self._read_block(deadline) if out is not None else None
        if out is None or err is None:
            partial = _text(out) if out is not None else ""
            how = self.recover()
            raise BoardTimeout(f"code on {self.url} did not finish within {limit:g} s; {how}",
                               stdout=partial)
        return _text(out), _text(err)

    def _read_block(self, deadline: float) -> bytes | None:
        """Bytes up to the next 0x04 (None when the deadline passes first)."""
        data = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            data += self.transport.read_until(1, EOT, timeout=None, timeout_overall=remaining)
            if data.endswith(EOT):
                return data[:-1]

    def recover(self) -> str:
        """Stop running code and get back to the raw prompt; says how it was done."""
        from mpremote.transport import TransportError

        try:
            self.transport.serial.write(b"\x03")  # KeyboardInterrupt in the running code
            self.transport.enter_raw_repl(soft_reset=False, timeout_overall=RECOVER_TIMEOUT)
            return "stopped with Ctrl-C"
        except (TransportError, OSError):
            pass
        if self.type.app_reset is None:
            raise BoardConnectionError(f"{self.url}: the board ignores Ctrl-C and has no reset "
                                       "lines (board type generic): reset it by hand")
        self.reset_to_app()
        self.enter_raw()
        return "the board ignored Ctrl-C and was reset"

    def run_file(self, path: str, timeout: float | None = None) -> str:
        """Run a local script file on the board (like `mpremote run`)."""
        with open(path, encoding="utf-8") as f:
            return self.exec(f.read(), timeout)

    def eval_json(self, expr: str, timeout: float | None = None, setup: str = "") -> Any:
        """The value of `expr` on the board, sent back as JSON (lists, dicts, numbers, str)."""
        code = (f"{setup}\ntry:\n import ujson as _hil_json\nexcept ImportError:\n"
                f" import json as _hil_json\n"
                f"print({JSON_MARK!r} + _hil_json.dumps({expr}))\n")
        out = self.exec(code, timeout)
        for line in reversed(out.split("\n")):
            if line.startswith(JSON_MARK):
                return json.loads(line[len(JSON_MARK):])
        raise BoardError(f"no JSON result for {expr!r}; board printed {out[-200:]!r}",
                         stdout=out)

    # -- what the firmware has --------------------------------------------------------------------
    def has_module(self, name: str) -> bool:
        if name not in self._modules:
            found = self.eval_json(
                "_hil_found", setup=f"try:\n import {name}\n _hil_found = True\n"
                                     "except ImportError:\n _hil_found = False")
            self._modules[name] = bool(found)
        return self._modules[name]

    def has_filesystem(self) -> bool:
        """True when the board has a writable /flash (MaixPy's SPIFFS)."""
        if self._fs is None:
            self._fs = bool(self.eval_json(
                "_hil_fs", setup="try:\n import uos as _o\nexcept ImportError:\n import os as _o\n"
                                 "try:\n _o.stat('/flash')\n _hil_fs = True\n"
                                 "except (OSError, AttributeError):\n _hil_fs = False"))
        return self._fs
