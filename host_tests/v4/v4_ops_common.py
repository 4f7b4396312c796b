"""Shared pieces of the V4 node tests: a one-node model around a main-memory input, float32
arithmetic in the spec's order, and the C library's libm for the transcendental functions
(the core calls the same libm, so those results are compared bit for bit)."""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

from host_tests.v4.v4_files import F32, MAIN, OP, U8, Range, run_model, v4_file

OUT_AT = 1024  # output offset in main memory; inputs stay below it


def in_range(x: np.ndarray) -> Range:
    return Range(MAIN, U8 if x.dtype == np.uint8 else F32, 0, x.nbytes)


def out_range(nbytes: int, dtype: int = F32, start: int = OUT_AT) -> Range:
    return Range(MAIN, dtype, start, nbytes)


def run_node(op: str, body: bytes, x: np.ndarray, out: Range, consts: bytes = b"",
             main_mem: int = 0) -> bytes:
    """Runs a model of one node whose input 0 is x at main offset 0; returns output 0."""
    data = v4_file([(OP[op], body)], in_range(x), (1, 1, 1, x.size), [out], constants=consts,
                   main_mem=max(main_mem, out.start + out.size, x.nbytes))
    return run_model(data, x.tobytes())[0]


def as_f32(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, "<f4")


def f(v: float) -> np.float32:
    return np.float32(v)


def clamp(v: np.float32, lo: float, hi: float) -> np.float32:
    v = f(lo) if v < lo else v
    return f(hi) if hi < v else v


_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
for _name in ("expf", "logf", "sinf", "cosf", "sqrtf"):
    getattr(_LIBM, _name).restype = ctypes.c_float
    getattr(_LIBM, _name).argtypes = [ctypes.c_float]


def libm(name: str, x: float) -> np.float32:
    return f(getattr(_LIBM, name)(float(x)))
