"""Routes `sys.stdout` writes of a board's worker thread to that board's serial output.

Board code prints through the board's own `print`, but host modules it calls (the MaixPy
modules on CPython, e.g. `KPU.netinfo` or `KPU.memtest`) print through `sys.stdout`. While a
board runs code, its thread's writes to `sys.stdout` go to the board; every other thread keeps
the real stdout. The router is installed only while some board runs code."""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_lock = threading.Lock()
_routes: dict[int, Callable[[str], None]] = {}


class _ThreadRoutedStdout:
    def __init__(self, fallback: TextIO) -> None:
        self.fallback = fallback

    def write(self, text: str) -> int:
        route = _routes.get(threading.get_ident())
        if route is None:
            return self.fallback.write(text)
        route(text)
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() not in _routes:
            self.fallback.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fallback, name)


@contextmanager
def route_stdout(write: Callable[[str], None]) -> Iterator[None]:
    """While the block runs, this thread's `sys.stdout` writes go to `write`."""
    ident = threading.get_ident()
    with _lock:
        if not isinstance(sys.stdout, _ThreadRoutedStdout):
            sys.stdout = _ThreadRoutedStdout(sys.stdout)
        _routes[ident] = write
    try:
        yield
    finally:
        with _lock:
            _routes.pop(ident, None)
            if not _routes and isinstance(sys.stdout, _ThreadRoutedStdout):
                sys.stdout = sys.stdout.fallback
