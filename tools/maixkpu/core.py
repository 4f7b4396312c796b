"""Python binding of the portable C core (modules/kpu/core) through cffi: kmodel loading,
running on the software KPU, outputs and feature maps as numpy arrays.

    from maixkpu.core import Model
    with Model.load(Path("face.kmodel").read_bytes()) as model:
        outputs = model.run(planar_rgb)

Every failure of the core raises KpuError (or a subclass) whose message is the core's diagnosis
text and which carries the status name, MaixPy's numeric code and the layer index.
"""
from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Union, cast

import numpy as np

from maixkpu._core import ffi, lib
from maixkpu.kpu_errors import (  # noqa: F401  (re-exported: the errors belong to this API)
    KpuError,
    KpuFormatError,
    KpuIndexError,
    KpuMemoryError,
    KpuNotImplementedError,
    KpuRunError,
    KpuSizeError,
    KpuStateError,
    error_for,
    maixpy_code_text,
)
from maixkpu.kpu_errors import check_status as _raise
from maixkpu.kpu_errors import new_diag as _new_diag

BytesLike = Union[bytes, bytearray, memoryview]
_F = TypeVar("_F", bound=Callable[..., Any])
ModelSource = Union[BytesLike, str, "os.PathLike[str]"]

KPU_RAM_BYTES: int = int(lib.KPU_RAM_BYTES)

_ROUNDING = {"v0.2": int(lib.KPU_ROUND_V02), "v0.1": int(lib.KPU_ROUND_V01)}
# CPU layers that keep the element order of the K210_CONV output before them
_ELEMENTWISE = frozenset(int(getattr(lib, n)) for n in (
    "KL_DEQUANTIZE", "KL_CHANNELWISE_DEQUANTIZE", "KL_LOGISTIC"))
# layers whose output lives in KPU RAM, which any later run on the same KPU overwrites
_KPU_RAM_WRITERS = frozenset(int(getattr(lib, n)) for n in (
    "KL_K210_CONV", "KL_K210_ADD_PADDING", "KL_K210_UPLOAD"))
_NP_DTYPE = {int(lib.KPU_DTYPE_UINT8): np.dtype(np.uint8),
             int(lib.KPU_DTYPE_FLOAT32): np.dtype("<f4")}


# ---------------------------------------------------------------------------------------------
# Helpers on raw kmodel bytes


def layer_type_name(layer_type: int) -> str:
    """"K210_CONV" for 10240, or "UNKNOWN_<n>" for a type the core does not name."""
    p = lib.kpu_layer_type_name(int(layer_type) & 0xFFFFFFFF)
    return ffi.string(p).decode() if p != ffi.NULL else f"UNKNOWN_{layer_type}"


def kmodel_version(data: BytesLike) -> tuple[int, bool]:
    """(container version 3/4/5 or 0, whether it is a word-swapped V3 file)."""
    buf = ffi.from_buffer(bytes(data))
    big = ffi.new("int *")
    version = lib.kpu_kmodel_version(buf, len(buf), big)
    return int(version), bool(big[0])


def swap_words(data: BytesLike) -> bytes:
    """A copy with every 32-bit word byte-swapped (LE <-> the "BE" flash layout)."""
    buf = ffi.new("uint8_t[]", bytes(data))
    lib.kpu_kmodel_swap_words(buf, len(data))
    return bytes(ffi.buffer(buf, len(data)))


def _read_source(source: ModelSource) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)  # a private immutable copy: the core requires unchanged data
    return Path(source).read_bytes()


def _load_flags(convert_big_endian: bool) -> int:
    return int(lib.KPU_LOAD_CONVERT_BIG_ENDIAN) if convert_big_endian else 0


def validate(data: ModelSource, *, convert_big_endian: bool = False) -> None:
    """Checks a kmodel as the loader would; raises KpuError with the reason if it is invalid."""
    raw = _read_source(data)
    diag = _new_diag()
    buf = ffi.from_buffer(raw)
    _raise(lib.kpu_model_validate(buf, len(raw), _load_flags(convert_big_endian), diag), diag)


# ---------------------------------------------------------------------------------------------
# Allocator with counters


@dataclass(frozen=True)
class MemoryStats:
    """Counters of one allocator: bytes in use now and at most, calls, refusals."""

    in_use: int
    peak: int
    allocs: int
    frees: int
    failures: int
    limit: int


class _CountingAllocator:
    """A host malloc allocator with its own counters (kpu_alloc_std_counting)."""

    def __init__(self, limit: int = 0) -> None:
        self.stats = ffi.new("kpu_alloc_std_stats_t *")
        self.stats.limit = int(limit)
        self.ptr = ffi.new("kpu_allocator_t *", lib.kpu_alloc_std_counting(self.stats))

    def snapshot(self) -> MemoryStats:
        s = self.stats
        return MemoryStats(int(s.in_use), int(s.peak), int(s.allocs), int(s.frees),
                           int(s.failures), int(s.limit))


# ---------------------------------------------------------------------------------------------
# Software KPU


class SoftKpu:
    """The bit-exact software KPU (kpu_soft_t) with its own 2 MiB KPU RAM image.

    rounding: "v0.2" (nncase v0.2/v1 kernels, default) or "v0.1" (nncase v0.1 emulator).
    """

    def __init__(self, rounding: str = "v0.2", *, memory_limit: int = 0) -> None:
        self._soft: Any = None
        # Runs on one KPU must not overlap (cffi releases the GIL in C calls), and a model may
        # only read feature maps from KPU RAM while no other run has reused it (generation).
        self.lock = threading.RLock()
        self.generation = 0
        self._rounding = self._check_rounding(rounding)
        self._alloc = _CountingAllocator(memory_limit)
        out = ffi.new("kpu_soft_t **")
        st = lib.kpu_soft_create(out, self._alloc.ptr, _ROUNDING[rounding])
        if st != lib.KPU_OK:
            _raise(st, None)
        self._soft = out[0]
        self._backend = ffi.new("kpu_backend_t *", lib.kpu_soft_backend(self._soft))

    @staticmethod
    def _check_rounding(rounding: str) -> str:
        if rounding not in _ROUNDING:
            raise ValueError(f"rounding must be one of {sorted(_ROUNDING)}, not {rounding!r}")
        return rounding

    @property
    def closed(self) -> bool:
        return self._soft is None

    def _handle(self) -> Any:
        if self._soft is None:
            raise error_for(lib.KPU_ERR_STATE, "the software KPU is closed")
        return self._soft

    @property
    def backend_ptr(self) -> Any:
        """The kpu_backend_t * to pass to core functions (valid while this object is open)."""
        self._handle()
        return self._backend

    @property
    def rounding(self) -> str:
        return self._rounding

    @rounding.setter
    def rounding(self, value: str) -> None:
        lib.kpu_soft_set_rounding(self._handle(), _ROUNDING[self._check_rounding(value)])
        self._rounding = value

    @property
    def memory(self) -> int:
        """Bytes this instance holds (RAM image + scratch)."""
        return int(lib.kpu_soft_memory(self._handle()))

    @property
    def memory_stats(self) -> MemoryStats:
        return self._alloc.snapshot()

    def read_ram(self, offset: int = 0, size: int = KPU_RAM_BYTES) -> np.ndarray:
        """A copy of size bytes of KPU RAM from byte offset."""
        self._check_range(offset, size)
        ram = lib.kpu_soft_ram(self._handle())
        return np.frombuffer(ffi.buffer(ram + offset, size), dtype=np.uint8).copy()

    def write_ram(self, offset: int, data: BytesLike | np.ndarray) -> None:
        """Writes bytes into KPU RAM at byte offset."""
        raw = np.ascontiguousarray(data, dtype=np.uint8).tobytes() \
            if isinstance(data, np.ndarray) else bytes(data)
        self._check_range(offset, len(raw))
        ram = lib.kpu_soft_ram(self._handle())
        ffi.memmove(ram + offset, raw, len(raw))

    @staticmethod
    def _check_range(offset: int, size: int) -> None:
        if offset < 0 or size < 0 or offset + size > KPU_RAM_BYTES:
            raise error_for(lib.KPU_ERR_BOUNDS,
                            f"KPU RAM range {offset}+{size} outside 0..{KPU_RAM_BYTES}")

    def close(self) -> None:
        """Frees the KPU RAM image. Closing twice is harmless."""
        with self.lock:  # never while a run is using it
            soft, self._soft = self._soft, None
            if soft is not None:
                lib.kpu_soft_destroy(soft)

    def __enter__(self) -> SoftKpu:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: lib may already be gone
            pass


_default_soft: SoftKpu | None = None
_default_lock = threading.Lock()


def default_soft_kpu() -> SoftKpu:
    """The process-wide software KPU used when no backend is given (created on first use)."""
    global _default_soft
    with _default_lock:
        if _default_soft is None or _default_soft.closed:
            _default_soft = SoftKpu()
        return _default_soft


# ---------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class TensorInfo:
    """A tensor as MaixPy describes it: width, height, channels, element type, bytes."""

    w: int
    h: int
    c: int
    dtype: np.dtype
    size: int

    @property
    def shape(self) -> tuple[int, int, int]:
        """(c, h, w): planar CHW."""
        return (self.c, self.h, self.w)


@dataclass(frozen=True)
class LayerInfo:
    """One layer as MaixPy's netinfo shows it, plus where its body lives in the file."""

    index: int
    type: int
    type_name: str
    wi: int
    hi: int
    chi: int
    wo: int
    ho: int
    cho: int
    dw: int
    kernel_type: int
    pool_type: int
    para_size: int
    body_offset: int
    body_size: int
    flags: int


def _tensor_info(info: Any) -> TensorInfo:
    dtype = _NP_DTYPE.get(int(info.dtype), np.dtype(np.uint8))
    return TensorInfo(int(info.w), int(info.h), int(info.c), dtype, int(info.size))


def _locked(method: _F) -> _F:
    """Runs a Model method under the model's lock: no run, read or close overlaps another."""
    @functools.wraps(method)
    def wrapper(self: Model, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return cast(_F, wrapper)


class Model:
    """A loaded kmodel: main memory from its own counting allocator, the file bytes kept alive.

    Build it with Model.load(bytes or path) or Model(bytes or path).
    """

    def __init__(self, source: ModelSource, *, convert_big_endian: bool = False,
                 memory_limit: int = 0) -> None:
        self._lock = threading.RLock()
        self._model: Any = None
        self._data = _read_source(source)
        self._buf = ffi.from_buffer(self._data)
        self._alloc = _CountingAllocator(memory_limit)
        self._backend: SoftKpu | None = None  # backend of the last run (holds layer outputs)
        self._generation = 0  # the backend's run counter at that run
        self.path = None if isinstance(source, (bytes, bytearray, memoryview)) else Path(source)
        out = ffi.new("kpu_model_t **")
        diag = _new_diag()
        _raise(lib.kpu_model_load(out, self._buf, len(self._data),
                                  _load_flags(convert_big_endian), self._alloc.ptr, diag), diag)
        self._model = out[0]

    @classmethod
    def load(cls, data: ModelSource, *, convert_big_endian: bool = False,
             memory_limit: int = 0) -> Model:
        """Loads a kmodel from bytes or a file path (memory_limit: allocator cap, 0 = none)."""
        return cls(data, convert_big_endian=convert_big_endian, memory_limit=memory_limit)

    # -- lifetime ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._model is None

    def _handle(self) -> Any:
        if self._model is None:
            raise error_for(lib.KPU_ERR_STATE, "the model is closed")
        return self._model

    @_locked
    def close(self) -> None:
        """Frees the model's memory. Closing twice is harmless; any later use raises."""
        model, self._model = self._model, None
        self._backend = None
        if model is not None:
            lib.kpu_model_free(model)

    def __enter__(self) -> Model:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __repr__(self) -> str:
        if self._model is None:
            return "<Model closed>"
        return (f"<Model V{self.version} layers={self.layer_count} outputs={self.output_count}"
                f" memory={self.memory}>")

    # -- description ------------------------------------------------------------------------

    @property
    def data(self) -> bytes:
        """The file bytes the model was loaded from."""
        return self._data

    @property
    def version(self) -> int:
        return int(lib.kpu_model_version(self._handle()))

    @property
    def layer_count(self) -> int:
        return int(lib.kpu_model_layer_count(self._handle()))

    @property
    def output_count(self) -> int:
        return int(lib.kpu_model_output_count(self._handle()))

    @property
    def memory(self) -> int:
        """Bytes the model holds (main memory + copies + tables)."""
        return int(lib.kpu_model_memory(self._handle()))

    @property
    def main_memory(self) -> int:
        return int(lib.kpu_model_main_memory(self._handle()))

    @property
    def memory_stats(self) -> MemoryStats:
        """Counters of this model's allocator (peak = high-water mark since load)."""
        return self._alloc.snapshot()

    @property
    def input_info(self) -> TensorInfo:
        info = ffi.new("kpu_tensor_info_t *")
        diag = _new_diag()
        _raise(lib.kpu_model_input_info(self._handle(), info, diag), diag)
        return _tensor_info(info)

    @property
    def last_run_layer(self) -> int:
        """Index of the last layer the previous run computed, or -1."""
        return int(lib.kpu_model_last_run_layer(self._handle()))

    def layer_info(self, layer: int) -> LayerInfo:
        info = ffi.new("kpu_layer_info_t *")
        diag = _new_diag()
        _raise(lib.kpu_model_layer_info(self._handle(), self._u32(layer), info, diag), diag)
        return LayerInfo(
            index=int(info.index), type=int(info.type), type_name=layer_type_name(info.type),
            wi=int(info.wi), hi=int(info.hi), chi=int(info.chi), wo=int(info.wo),
            ho=int(info.ho), cho=int(info.cho), dw=int(info.dw),
            kernel_type=int(info.kernel_type), pool_type=int(info.pool_type),
            para_size=int(info.para_size), body_offset=int(info.body_offset),
            body_size=int(info.body_size), flags=int(info.flags))

    def layers(self) -> list[LayerInfo]:
        return [self.layer_info(i) for i in range(self.layer_count)]

    def layer_output_info(self, layer: int) -> TensorInfo:
        info = ffi.new("kpu_tensor_info_t *")
        diag = _new_diag()
        _raise(lib.kpu_model_layer_output_info(self._handle(), self._u32(layer), info, diag),
               diag)
        return _tensor_info(info)

    @staticmethod
    def _u32(index: int) -> int:
        # a negative or huge index must reach the core as out of range, not wrap to a valid one
        index = int(index)
        if index < 0 or index > 0xFFFFFFFF:
            raise error_for(lib.KPU_ERR_INDEX, f"index {index} out of range")
        return index

    # -- running ----------------------------------------------------------------------------

    def _input_bytes(self, data: Any) -> Any:
        if isinstance(data, (bytes, bytearray, memoryview)):
            return ffi.from_buffer(bytes(data))
        info = self.input_info
        arr = np.asarray(data)
        # an image in HWC order has the right size but the wrong layout: refuse, do not guess
        chw = (info.c, info.h, info.w)
        if arr.ndim >= 3 and arr.size == info.w * info.h * info.c and \
                arr.shape not in (chw, (1, *chw)):
            hint = " (HWC? use arr.transpose(2, 0, 1))" if arr.shape == (
                info.h, info.w, info.c) else ""
            raise error_for(lib.KPU_ERR_SIZE,
                            f"input shape {arr.shape} is not planar CHW {chw}{hint}")
        return ffi.from_buffer(np.ascontiguousarray(arr, dtype=info.dtype))

    @_locked
    def run(self, input: Any, last_layer: int | None = None,
            backend: SoftKpu | None = None) -> list[np.ndarray]:
        """Runs layers 0..last_layer (default: all) on input and returns the results.

        input: bytes of exactly the input size, or an array converted to the input dtype
        (uint8 planar CHW for KPU models, float32 for CPU-first models). After a full run the
        result is every model output; after a partial run it is [layer_output(last_layer)].
        """
        handle = self._handle()
        soft = backend if backend is not None else default_soft_kpu()
        buf = self._input_bytes(input)
        last = -1 if last_layer is None else int(last_layer)
        if last_layer is not None and not 0 <= last < self.layer_count:
            raise error_for(lib.KPU_ERR_INDEX,
                            f"layer {last} out of range 0..{self.layer_count - 1}")
        diag = _new_diag()
        self._backend = None
        with soft.lock:
            soft.generation += 1
            st = lib.kpu_model_run(handle, soft.backend_ptr, buf, len(buf), last, diag)
            _raise(st, diag)
            self._backend, self._generation = soft, soft.generation
            if last_layer is not None and last != self.layer_count - 1:
                return [self.layer_output(last)]  # read before another run reuses KPU RAM
        return [self.output(i) for i in range(self.output_count)]

    def _check_has_run(self, layer: int = 0) -> None:
        ran = self.last_run_layer
        if ran < 0:
            raise error_for(lib.KPU_ERR_STATE, "the model has not run yet")
        if layer > ran:
            raise error_for(lib.KPU_ERR_STATE,
                            f"layer {layer} was not computed: the last run stopped at {ran}",
                            layer)

    @_locked
    def output(self, index: int) -> np.ndarray:
        """A copy of model output index from the last run (float32 or uint8)."""
        handle = self._handle()
        self._check_has_run()
        data = ffi.new("uint8_t **")
        size = ffi.new("size_t *")
        dtype = ffi.new("kpu_dtype_t *")
        diag = _new_diag()
        _raise(lib.kpu_model_output(handle, self._u32(index), data, size, dtype, diag), diag)
        ran = self.last_run_layer
        if ran != self.layer_count - 1:  # a partial run leaves the outputs of an older run
            raise error_for(lib.KPU_ERR_STATE,
                            f"output {index} needs a full run: the last run stopped at layer "
                            f"{ran}; read layer_output({ran}) instead", ran)
        np_dtype = _NP_DTYPE.get(int(dtype[0]), np.dtype(np.uint8))
        n = int(size[0]) // np_dtype.itemsize
        arr = np.frombuffer(ffi.buffer(data[0], n * np_dtype.itemsize), dtype=np_dtype).copy()
        if self.version == 5:  # the recorded shape, a batch of 1 dropped as V3's CHW has none
            dims = self.output_dims(index)
            return arr.reshape(dims[1:] if len(dims) > 1 and dims[0] == 1 else dims or (n,))
        if self.version == 4:  # the graph's shape of the node that writes it: CHW, a vector flat
            info = self.output_info(index)
            image = info.h > 1 or info.c > 1
            return arr.reshape(info.shape) if image and info.w * info.h * info.c == n else arr
        return self._shape_output(arr)

    def output_info(self, index: int) -> TensorInfo:
        """Output index as w/h/c in memory order (w innermost, c the product of the outer
        dims): V5 from the shape the file records, V4 from the graph's node that writes it,
        V3 (which records none) flat, w = the element count."""
        handle = self._handle()
        info = ffi.new("kpu_tensor_info_t *")
        diag = _new_diag()
        version = self.version
        if version in (4, 5):
            fn = lib.kpu_v5_output_info if version == 5 else lib.kpu_v4_output_info
            _raise(fn(handle, self._u32(index), info, diag), diag)
            return _tensor_info(info)
        data = ffi.new("uint8_t **")
        size = ffi.new("size_t *")
        dtype = ffi.new("kpu_dtype_t *")
        _raise(lib.kpu_model_output(handle, self._u32(index), data, size, dtype, diag), diag)
        np_dtype = _NP_DTYPE.get(int(dtype[0]), np.dtype(np.uint8))
        return TensorInfo(int(size[0]) // np_dtype.itemsize, 1, 1, np_dtype, int(size[0]))

    def output_dims(self, index: int) -> tuple[int, ...]:
        """The dims a V5 model records for output index, outermost first (N, C, H, W for
        images; () for a scalar). V3/V4 files record none: KpuError (KPU_ERR_VERSION)."""
        dims = ffi.new("uint32_t[]", int(lib.KPU_V5_MAX_RANK))
        rank = ffi.new("uint32_t *")
        diag = _new_diag()
        _raise(lib.kpu_v5_output_dims(self._handle(), self._u32(index), dims, rank, diag), diag)
        return tuple(int(dims[d]) for d in range(int(rank[0])))

    def _shape_output(self, arr: np.ndarray) -> np.ndarray:
        # A single output is written by the last layer: use its CHW shape when it has a real
        # height, else that of a K210_CONV it merely converts (dequantize, logistic, ...).
        if self.output_count != 1 or self.layer_count == 0:
            return arr
        last = self.layer_count - 1
        try:
            info = self.layer_output_info(last)
            if info.h > 1 and info.w * info.h * info.c == arr.size:
                return arr.reshape(info.shape)
            if self.layer_info(last).type in _ELEMENTWISE and last > 0:
                conv = self.layer_info(last - 1)
                if conv.type == lib.KL_K210_CONV and conv.wo * conv.ho * conv.cho == arr.size:
                    return arr.reshape(conv.cho, conv.ho, conv.wo)
        except KpuError:
            pass
        return arr

    @_locked
    def layer_output(self, layer: int, channel: int | None = None) -> np.ndarray:
        """A copy of a computed layer's output: CHW, or one H x W plane when channel is given."""
        handle = self._handle()
        info = self.layer_output_info(layer)
        self._check_has_run(layer)
        soft = self._backend
        if soft is None or soft.closed:
            raise error_for(lib.KPU_ERR_STATE, "the backend of the last run is closed", layer)
        if soft.generation != self._generation and \
                self.layer_info(layer).type in _KPU_RAM_WRITERS:
            raise error_for(lib.KPU_ERR_STATE,
                            f"layer {layer}'s output in KPU RAM was overwritten by another run on "
                            "the same KPU; run this model again first", layer)
        ch = -1 if channel is None else int(channel)
        if channel is not None and not 0 <= ch < info.c:
            raise error_for(lib.KPU_ERR_INDEX,
                            f"channel {ch} out of range 0..{info.c - 1} of layer {layer}", layer)
        plane = info.w * info.h * info.dtype.itemsize
        nbytes = plane if channel is not None else max(info.size, plane * info.c)
        dst = ffi.new("uint8_t[]", max(nbytes, 1))
        copied = ffi.new("size_t *")
        diag = _new_diag()
        with soft.lock:
            st = lib.kpu_model_read_layer_output(handle, soft.backend_ptr, layer, ch, dst, nbytes,
                                                 copied, diag)
        _raise(st, diag)
        n = int(copied[0]) // info.dtype.itemsize
        arr = np.frombuffer(ffi.buffer(dst, n * info.dtype.itemsize), dtype=info.dtype).copy()
        shape: tuple[int, ...] = (info.h, info.w) if channel is not None else info.shape
        if int(np.prod(shape)) == arr.size:
            return arr.reshape(shape)
        return arr
