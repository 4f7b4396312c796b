"""``kpu_net`` (what ``KPU.load`` / ``load_flash`` return) over the C core's kpu_api.h.

The C core owns the model and every MaixPy rule (sizes, codes, maps, yolo2 checks); this file
only moves Python values in and out and turns statuses into MaixPy's exceptions. One
``KpuApi`` is the module-wide state (allocator and memtest figures); each net keeps it alive.
"""
from __future__ import annotations

from typing import Any, Callable

from maixkpu._core import ffi, lib

from .kpu_types import kpu_yolo2

FlashReader = Callable[[int, int], bytes]

PREFIX = "[MAIXPY]kpu: "


def diag_text(diag: Any) -> str:
    return ffi.string(diag.text).decode("utf-8", "replace")


def new_diag() -> Any:
    diag = ffi.new("kpu_diag_t *")
    diag.layer = -1
    return diag


def maixpy_code(status: int) -> int:
    return int(lib.kpu_status_maixpy_code(status))


def error_text(status: int) -> str:
    """MaixPy's text for the status's code (V3 or V3/V4 build wording)."""
    return ffi.string(lib.kpu_api_error_text(status)).decode()


def with_detail(text: str, diag: Any) -> str:
    detail = diag_text(diag)
    return f"{text} ({detail})" if detail else text


def run_error(status: int, diag: Any) -> OSError:
    """A failure while running: OSError with MaixPy's text and the core's detail."""
    detail = diag_text(diag)
    text = error_text(status)
    return OSError(f"{text}: {detail}" if detail else text)


@ffi.callback("int(void *, uint32_t, void *, size_t)")
def _flash_read(ctx: Any, addr: int, dst: Any, n: int) -> int:
    reader: FlashReader = ffi.from_handle(ctx)
    try:
        data = reader(int(addr), int(n))
    except Exception:  # a read past the chip or a dead provider is a read failure (2005)
        return -1
    if len(data) != n:
        return -1
    ffi.memmove(dst, data, n)
    return 0


class KpuApi:
    """The module-wide kpu_api_t: host malloc allocator, bytes held by all nets."""

    def __init__(self) -> None:
        self.ptr = ffi.new("kpu_api_t *")
        alloc = ffi.new("kpu_allocator_t *", lib.kpu_alloc_std())
        lib.kpu_api_init(self.ptr, alloc)

    @property
    def held(self) -> int:
        return int(self.ptr.held)

    @property
    def nets(self) -> int:
        return int(self.ptr.nets)


class LoadError(Exception):
    """A failed load: status, MaixPy code and text, and the core's detail."""

    def __init__(self, status: int, diag: Any) -> None:
        self.status = int(status)
        self.code = maixpy_code(status)
        self.text = error_text(status)
        self.detail = diag_text(diag)
        super().__init__(f"{self.code}, {self.text}" + (f" ({self.detail})" if self.detail
                                                         else ""))


class kpu_net:  # MaixPy's type name
    """A loaded model: model_size(), model_addr(), model_path(), net_arg() (methods, as in
    MaixPy). repr: {"model_addr": .., "model_size": .., "model_path": "..", "net_args": ..}."""

    def __init__(self, api: KpuApi, ptr: Any, path: str | None = None,
                 keep: Any = None) -> None:
        self._api = api
        self._ptr = ptr
        self._path = path
        self._keep = keep  # the flash reader handle a load_flash net reads through
        self._args: kpu_yolo2 | None = None
        self._size = int(lib.kpu_net_model_size(ptr))
        self._addr = int(lib.kpu_net_model_addr(ptr))

    # ----- loading ----------------------------------------------------------------------------

    @classmethod
    def from_flash(cls, api: KpuApi, reader: FlashReader, addr: int) -> kpu_net:
        handle = ffi.new_handle(reader)
        flash = ffi.new("kpu_flash_t *", {"read": _flash_read, "ctx": handle})
        out = ffi.new("kpu_net_t **")
        diag = new_diag()
        st = lib.kpu_net_load_flash(api.ptr, out, flash, addr, diag)
        if st != lib.KPU_OK:
            raise LoadError(st, diag)
        return cls(api, out[0])

    @classmethod
    def from_flash_stream(cls, api: KpuApi, reader: FlashReader, addr: int, dual_buf: bool,
                          batch_size: int) -> kpu_net:
        handle = ffi.new_handle(reader)
        flash = ffi.new("kpu_flash_t *", {"read": _flash_read, "ctx": handle})
        out = ffi.new("kpu_net_t **")
        diag = new_diag()
        st = lib.kpu_net_load_flash_stream(api.ptr, out, flash, addr, int(bool(dual_buf)),
                                           max(0, min(int(batch_size), 0xFFFFFFFF)), diag)
        if st != lib.KPU_OK:
            raise LoadError(st, diag)
        return cls(api, out[0], keep=handle)

    @classmethod
    def from_bytes(cls, api: KpuApi, data: bytes, path: str) -> kpu_net:
        out = ffi.new("kpu_net_t **")
        diag = new_diag()
        st = lib.kpu_net_load_memory(api.ptr, out, data, len(data), diag)
        if st != lib.KPU_OK:
            raise LoadError(st, diag)
        return cls(api, out[0], path=path)

    # ----- state --------------------------------------------------------------------------------

    @property
    def ptr(self) -> Any:
        return self._ptr

    @property
    def loaded(self) -> bool:
        return self._ptr is not None and bool(lib.kpu_net_loaded(self._ptr))

    def require(self) -> Any:
        """The C net, or OSError when deinit released it."""
        if not self.loaded:
            raise OSError(PREFIX + "this kpu_net was released by kpu.deinit(): load the model "
                          "again")
        return self._ptr

    def deinit(self) -> None:
        if self._ptr is not None:
            lib.kpu_net_deinit(self._ptr)
        self._args = None
        self._keep = None

    def __del__(self) -> None:
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr is not None:
            try:
                lib.kpu_net_destroy(ptr)
            except Exception:  # interpreter shutdown
                pass

    @property
    def memory(self) -> int:
        return int(lib.kpu_net_memory(self._ptr)) if self._ptr is not None else 0

    def set_args(self, args: kpu_yolo2 | None) -> None:
        self._args = args

    # ----- MaixPy methods -------------------------------------------------------------------

    def model_size(self) -> int:
        return self._size

    def model_addr(self) -> int | None:
        return None if self._path is not None else self._addr

    def model_path(self) -> str | None:
        return self._path

    def net_arg(self) -> kpu_yolo2 | None:
        return self._args

    def __repr__(self) -> str:
        path = self._path if self._path is not None else "(null)"
        args = repr(self._args) if self._args is not None else '"(null)"'
        return (f'{{"model_addr": {self._addr}, "model_size": {self._size}, '
                f'"model_path": "{path}", "net_args": {args}}}')

    __str__ = __repr__
