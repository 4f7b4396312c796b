"""Exceptions of maixkpu.core: one KpuError per failure of the C core, carrying the core's
diagnosis text, the status name, MaixPy's numeric code and the layer index, with subclasses that
also derive from the matching Python built-in (ValueError, IndexError, MemoryError, ...)."""
from __future__ import annotations

from typing import Any

from maixkpu._core import ffi, lib


class KpuError(Exception):
    """A failure reported by the C core.

    Attributes: status (int), status_name ("KPU_ERR_FORMAT"), maixpy_code (2001..2015),
    layer (layer index the failure is about, or -1) and the core's detail text as message.
    """

    def __init__(self, status: int, message: str, layer: int = -1) -> None:
        super().__init__(message)
        self.status = int(status)
        self.status_name = _status_name(status)
        self.maixpy_code = int(lib.kpu_status_maixpy_code(status))
        self.layer = int(layer)
        self.message = message

    @property
    def maixpy_text(self) -> str:
        """MaixPy's fixed text for the code (the V3-only firmware variant)."""
        return maixpy_code_text(self.maixpy_code)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status_name}, {self.message!r}, layer={self.layer})"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (multiprocessing, pytest-xdist)
        return (type(self), (self.status, self.message, self.layer))


class KpuFormatError(KpuError, ValueError):
    """The file is not a kmodel this runtime accepts (version, format, bounds, layer types)."""


class KpuIndexError(KpuError, IndexError):
    """A layer, output or channel index out of range."""


class KpuSizeError(KpuError, ValueError):
    """A buffer whose size does not match what the model needs."""


class KpuMemoryError(KpuError, MemoryError):
    """The allocator refused an allocation."""


class KpuStateError(KpuError, RuntimeError):
    """A call out of order: not run yet, or the object is closed."""


class KpuNotImplementedError(KpuError, NotImplementedError):
    """Valid input that this runtime does not support."""


class KpuRunError(KpuError, RuntimeError):
    """A layer failed while running, or the KPU timed out."""


def _status_groups() -> dict[int, type[KpuError]]:
    groups: dict[type[KpuError], tuple[str, ...]] = {
        KpuFormatError: ("KPU_ERR_VERSION", "KPU_ERR_VERSION_V4V5", "KPU_ERR_BIG_ENDIAN",
                         "KPU_ERR_FORMAT", "KPU_ERR_TRUNCATED", "KPU_ERR_LAYER_TYPE",
                         "KPU_ERR_BOUNDS", "KPU_ERR_FIRST_LAYER"),
        KpuIndexError: ("KPU_ERR_INDEX",),
        KpuSizeError: ("KPU_ERR_SIZE",),
        KpuMemoryError: ("KPU_ERR_NO_MEMORY",),
        KpuStateError: ("KPU_ERR_STATE", "KPU_ERR_OUTPUTS_NOT_SET"),
        KpuNotImplementedError: ("KPU_ERR_NOT_IMPLEMENTED",),
        KpuRunError: ("KPU_ERR_RUN", "KPU_ERR_TIMEOUT"),
    }
    return {int(getattr(lib, name)): cls for cls, names in groups.items() for name in names}


_ERROR_CLASS = _status_groups()


def _status_name(status: int) -> str:
    p = lib.kpu_status_name(status)
    return ffi.string(p).decode() if p != ffi.NULL else f"KPU_STATUS_{status}"


def error_for(status: int, message: str, layer: int = -1) -> KpuError:
    """The KpuError subclass instance for a core status."""
    return _ERROR_CLASS.get(int(status), KpuError)(status, message, layer)


def check_status(status: int, diag: Any) -> None:
    """Raises the KpuError for a failed status, with the text of diag (a kpu_diag_t *)."""
    if status == lib.KPU_OK:
        return
    text = ffi.string(diag.text).decode("utf-8", "replace") if diag is not None else ""
    if not text:
        text = ffi.string(lib.kpu_status_message(status)).decode("utf-8", "replace")
    layer = int(diag.layer) if diag is not None and diag.status == status else -1
    raise error_for(status, text, layer)


def new_diag() -> Any:
    """A fresh kpu_diag_t * (layer -1) for one core call."""
    diag = ffi.new("kpu_diag_t *")
    diag.layer = -1
    return diag


def maixpy_code_text(code: int, v4_build: bool = False) -> str:
    """MaixPy's exact error text for a code (2001..2015; ERR_NONE for 0)."""
    return ffi.string(lib.kpu_maixpy_code_text(int(code), int(v4_build))).decode()
