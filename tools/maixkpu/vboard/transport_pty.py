"""The board's serial port as a raw pseudo-terminal, for tools that want a device path.

A pty has no modem lines and its baud rate is invisible to the master side, so the board
sees neither (spec isp-kfpkg-repl §1.4). The slave is put in raw mode (no echo, no CR/LF
mapping) and one slave fd stays open, otherwise reads on the master fail with EIO whenever
no client has the port open. Output nobody reads is dropped once the pty buffer is full, as
a UART without a listener would lose it.
"""
from __future__ import annotations

import errno
import os
import select
import threading
import tty
from typing import Callable

_POLL = 0.2


class PtyPort:
    """A pty pair; `path` is the slave device (/dev/pts/N) clients open."""

    def __init__(self, on_bytes: Callable[[bytes], None]) -> None:
        self._on_bytes = on_bytes
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.dropped = 0  # output bytes lost because nobody read them

    @property
    def url(self) -> str:
        return self.path

    def start(self) -> None:
        self._thread = threading.Thread(target=self._read_loop, name="vboard-pty", daemon=True)
        self._thread.start()

    def send(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view and not self._stopping.is_set():
                try:
                    written = os.write(self._master, view)
                except BlockingIOError:
                    self.dropped += len(view)
                    return
                except OSError:
                    return
                view = view[written:]

    def _read_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], _POLL)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:  # no slave open (should not happen: we hold one)
                    self._stopping.wait(0.05)
                    continue
                return
            if chunk:
                self._on_bytes(chunk)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
