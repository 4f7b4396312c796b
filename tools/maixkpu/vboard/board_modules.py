"""What `import X` gives a script on the virtual board: a map name -> module factory.

Every factory gets the `BoardContext` of the running VM and returns a module object; modules
are made once per VM (a soft reset makes new ones). A name missing from the map raises
`ImportError: no module named 'X'`, like a firmware built without it.

The MaixPy modules come from `maixkpu.maixpy.<name>`. When such a module defines
`board_module(ctx: BoardContext) -> ModuleType` the board calls it, so the module can bind to
this board (flash reader for `KPU.load(offset)`, camera folder, LCD output folder); otherwise
the module is used as is.
"""
from __future__ import annotations

import gc as host_gc
import importlib
import importlib.util
import os as host_os
import threading
import time as host_time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from maixkpu.vboard.filesystem import BoardFs

FIRMWARE_VERSION = (0, 6, 2)
VERSION_TEXT = "v0.6.2-maixkpu"
MACHINE = "Sipeed_M1 with kendryte-k210"
TICKS_PERIOD = 1 << 30  # MicroPython's ticks_* wrap at 2**30
HEAP_SIZE = 3 * 1024 * 1024  # MaixPy's default GC heap (reported by gc.mem_free/alloc)
MPY_EPOCH = 946684800  # 2000-01-01, MicroPython's time.time() origin


@dataclass
class BoardContext:
    """Everything board modules may use of the board they run on."""

    fs: BoardFs
    write: Callable[[str], None]  # board stdout; "\n" becomes "\r\n" on the wire
    flash_read: Callable[[int, int], bytes]
    flash_size: int
    camera_dir: Path | None = None
    lcd_out_dir: Path | None = None
    request_reset: Callable[[], None] = lambda: None  # machine.reset()
    wake: threading.Event = field(default_factory=threading.Event)  # set by Ctrl-C
    started: float = field(default_factory=host_time.monotonic)

    def sleep(self, seconds: float) -> None:
        """Sleep that a Ctrl-C ends at once (the KeyboardInterrupt follows on return)."""
        if seconds > 0 and self.wake.wait(seconds):
            self.wake.clear()


ModuleFactory = Callable[[BoardContext], ModuleType]


def _module(module_name: str, doc: str, /, **attrs: Any) -> ModuleType:
    mod = ModuleType(module_name, doc)
    for key, value in attrs.items():
        setattr(mod, key, value)
    return mod


# -- time ---------------------------------------------------------------------------------------

class _Clock:
    """MaixPy's time.clock(): tick() starts a frame, fps() gives frames per second since."""

    def __init__(self) -> None:
        self._t0 = host_time.monotonic()
        self._dt = 0.0

    def tick(self) -> None:
        self._t0 = host_time.monotonic()

    def fps(self) -> float:
        self._dt = host_time.monotonic() - self._t0
        return 1.0 / self._dt if self._dt > 0 else 0.0

    def avg(self) -> float:
        return self._dt * 1000.0

    def reset(self) -> None:
        self.tick()


def make_time(ctx: BoardContext) -> ModuleType:
    def elapsed() -> float:
        return host_time.monotonic() - ctx.started

    def ticks_diff(end: int, start: int) -> int:
        half = TICKS_PERIOD // 2
        return ((end - start + half) % TICKS_PERIOD) - half

    return _module(
        "utime", "time functions of the virtual board",
        ticks_ms=lambda: int(elapsed() * 1e3) % TICKS_PERIOD,
        ticks_us=lambda: int(elapsed() * 1e6) % TICKS_PERIOD,
        ticks_cpu=lambda: int(elapsed() * 1e6) % TICKS_PERIOD,
        ticks_add=lambda ticks, delta: (ticks + delta) % TICKS_PERIOD,
        ticks_diff=ticks_diff,
        sleep=ctx.sleep,
        sleep_ms=lambda ms: ctx.sleep(ms / 1e3),
        sleep_us=lambda us: ctx.sleep(us / 1e6),
        time=lambda: int(host_time.time()) - MPY_EPOCH,
        localtime=lambda secs=None: host_time.localtime(
            None if secs is None else secs + MPY_EPOCH)[:8],
        mktime=lambda t: int(host_time.mktime(tuple(t[:8]) + (-1,))) - MPY_EPOCH,
        clock=_Clock,
    )


# -- gc, micropython, machine, sys --------------------------------------------------------------

def make_gc(ctx: BoardContext) -> ModuleType:
    state = {"enabled": True}

    def enable() -> None:
        state["enabled"] = True

    def disable() -> None:
        state["enabled"] = False

    def collect() -> None:
        host_gc.collect()

    return _module(
        "gc", "garbage collector of the virtual board (sizes are nominal)",
        collect=collect,
        mem_free=lambda: HEAP_SIZE // 2,
        mem_alloc=lambda: HEAP_SIZE // 2,
        enable=enable, disable=disable, isenabled=lambda: state["enabled"],
        threshold=lambda amount=None: -1 if amount is None else None,
    )


def make_micropython(ctx: BoardContext) -> ModuleType:
    def mem_info(verbose: object = None) -> None:
        ctx.write(f"stack: 0 out of 16384\nGC: total: {HEAP_SIZE}, used: {HEAP_SIZE // 2}, "
                  f"free: {HEAP_SIZE // 2}\n")

    def schedule(func: Callable[[Any], object], arg: object) -> None:
        func(arg)

    return _module(
        "micropython", "MicroPython internals (no-ops on the virtual board)",
        const=lambda value: value, opt_level=lambda level=None: 0 if level is None else None,
        mem_info=mem_info, alloc_emergency_exception_buf=lambda size: None,
        heap_lock=lambda: 0, heap_unlock=lambda: 0, kbd_intr=lambda char: None,
        schedule=schedule,
    )


def make_machine(ctx: BoardContext) -> ModuleType:
    return _module(
        "machine", "machine-lite: reset, ids and clocks of the virtual board",
        reset=ctx.request_reset,
        unique_id=lambda: b"MAIXKPU-VBOARD\x00\x01",
        freq=lambda: 400_000_000,
        idle=lambda: ctx.sleep(0.001),
    )


class _Stream:
    """sys.stdout/stderr of the board: text goes to the UART."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def write(self, text: str | bytes) -> int:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", "replace")
        self._write(text)
        return len(text)

    def flush(self) -> None:
        pass


def make_sys(ctx: BoardContext) -> ModuleType:
    stream = _Stream(ctx.write)

    def print_exception(exc: BaseException, file: Any = None) -> None:
        from maixkpu.vboard.interpreter import format_exception

        (file or stream).write(format_exception(exc, frozenset({"<stdin>"})))

    def sys_exit(code: object = None) -> None:
        raise SystemExit(code)

    impl = _module("implementation", "", name="micropython", version=FIRMWARE_VERSION,
                   _machine=MACHINE)
    return _module(
        "sys", "sys of the virtual board",
        platform="MaixPy", byteorder="little", maxsize=(1 << 31) - 1,
        version="3.4.0", version_info=(3, 4, 0), implementation=impl,
        path=["", "/flash", "/flash/lib"], argv=[], modules={},
        stdout=stream, stderr=stream, exit=sys_exit, print_exception=print_exception,
    )


def make_os(ctx: BoardContext) -> ModuleType:
    fs = ctx.fs

    def uname() -> tuple[str, ...]:
        return ("MaixPy", "MaixPy", "0.6.2", VERSION_TEXT, MACHINE)

    return _module(
        "uos", "os of the virtual board, over its file system",
        listdir=fs.listdir, ilistdir=fs.ilistdir, stat=fs.stat, mkdir=fs.mkdir,
        rmdir=fs.rmdir, remove=fs.remove, unlink=fs.remove, rename=fs.rename,
        chdir=fs.chdir, getcwd=fs.getcwd, statvfs=fs.statvfs, uname=uname,
        sync=lambda: None, urandom=host_os.urandom, sep="/",
    )


# -- host modules MicroPython also has, and MaixPy's own ----------------------------------------

def host_module(name: str) -> ModuleFactory:
    """The host's module `name` as is (math, struct, json, ...)."""

    def make(ctx: BoardContext) -> ModuleType:
        return importlib.import_module(name)

    return make


def maixpy_module(name: str) -> ModuleFactory:
    """`maixkpu.maixpy.<name>`, bound to the board through its `board_module(ctx)` if any."""
    full = f"maixkpu.maixpy.{name}"

    def make(ctx: BoardContext) -> ModuleType:
        try:
            mod = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name not in (full, "maixkpu.maixpy"):
                raise
            raise ImportError(f"no module named '{name}'") from None
        hook = getattr(mod, "board_module", None)
        if not callable(hook):
            return mod
        # a private copy per board: the hook binds module state (flash, camera, paths) that
        # must not leak into host code or into another board in the same process
        copy = _private_copy(mod)
        bound = copy.board_module(ctx)
        return copy if bound is mod else bound

    return make


def _private_copy(mod: ModuleType) -> ModuleType:
    spec = importlib.util.find_spec(mod.__name__)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot copy module {mod.__name__}")
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    return copy


_HOST_MODULES = {
    "math": "math", "cmath": "cmath", "struct": "struct", "json": "json",
    "binascii": "binascii", "hashlib": "hashlib", "collections": "collections", "re": "re",
    "io": "io", "errno": "errno", "random": "random", "array": "array", "heapq": "heapq",
    "zlib": "zlib",
}
_ALIASES = {"utime": "time", "uos": "os", "usys": "sys", "umachine": "machine"}


def default_modules() -> dict[str, ModuleFactory]:
    """The module map of the virtual MaixPy firmware."""
    modules: dict[str, ModuleFactory] = {
        "time": make_time, "gc": make_gc, "os": make_os, "sys": make_sys,
        "machine": make_machine, "micropython": make_micropython,
        "KPU": maixpy_module("kpu"), "image": maixpy_module("image"),
        "sensor": maixpy_module("sensor"), "lcd": maixpy_module("lcd"),
    }
    for name, host in _HOST_MODULES.items():
        modules[name] = host_module(host)
        modules["u" + name] = modules[name]
    for alias, target in _ALIASES.items():
        modules[alias] = modules[target]
    return modules


def merged_modules(extra: Mapping[str, ModuleFactory | None] | None) -> dict[str, ModuleFactory]:
    """The default map updated with `extra`; a None value removes that module."""
    modules = default_modules()
    for name, factory in (extra or {}).items():
        if factory is None:
            modules.pop(name, None)
        else:
            modules[name] = factory
    return modules
