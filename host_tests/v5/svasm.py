"""A stackvm assembler and a writer of single-module kmodel V5 files, from the spec
(kmodel-v4-v5.md Parts B, C2, C3), so the tensor kernels can be run on hand-written programs in
both nncase 1.9's Simulator and our runtime.

    p = Program()
    p.view_regs(0, [1, 3, 16, 16])          # r0 = shape, r1 = dense strides
    p.lea(INPUT, 0); p.lea(OUTPUT, 0)
    p.tensor(0x26, "BBBBB", 9, 0, 1, 1, 5)  # unary exp, f32
    data = kmodel(p.code, in_shape=[1, 3, 16, 16], out_elems=4096)
"""
from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

INPUT, OUTPUT, RDATA, DATA = 0, 1, 2, 3
DT_I8, DT_I32, DT_U8, DT_F32 = 0, 2, 4, 9


def dense_strides(shape: Sequence[int]) -> list[int]:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.insert(0, acc)
        acc *= n
    return strides


class Program:
    def __init__(self) -> None:
        self.code = bytearray()

    def op(self, opcode: int, fmt: str = "", *values: float) -> Program:
        self.code += bytes([opcode]) + struct.pack("<" + fmt, *values)
        return self

    def ldc_i4(self, v: int) -> Program:
        return self.op(0x02, "i", v)

    def ldc_r4(self, v: float) -> Program:
        return self.op(0x05, "f", v)

    def lea(self, location: int, offset: int) -> Program:
        return self.op(0x17, "BBI", location, 0, offset)

    def stshape(self, reg: int, values: Sequence[int]) -> Program:
        for v in values:
            self.ldc_i4(v)
        return self.op(0x31, "BB", reg, len(values))

    def stpaddings(self, reg: int, pads: Sequence[tuple[int, int, int]]) -> Program:
        for before, after, interior in pads:
            self.ldc_i4(before).ldc_i4(after).ldc_i4(interior)
        return self.op(0x32, "BB", reg, len(pads))

    def view_regs(self, reg: int, shape: Sequence[int],
                  strides: Sequence[int] | None = None) -> Program:
        """Shape in register reg, strides (dense by default) in reg + 1."""
        self.stshape(reg, shape)
        return self.stshape(reg + 1, strides if strides is not None else dense_strides(shape))

    def tensor(self, funct: int, fmt: str, *values: float) -> Program:
        self.code += bytes([0x5E]) + struct.pack("<H" + fmt, funct, *values)
        return self


def _pad8(buf: bytearray) -> None:
    buf += bytes(-len(buf) % 8)


def _range(location: int, dtype: int, size: int) -> bytes:
    return struct.pack("<BBHII", location, dtype, 0, 0, size)


def _shape(dims: Sequence[int]) -> bytes:
    return struct.pack(f"<I{len(dims)}I", len(dims), *dims)


def kmodel(code: bytes, in_shape: Sequence[int], out_elems: int, rdata: bytes = b"",
           data_size: int = 65536, in_dtype: int = DT_F32) -> bytes:
    """A V5 file with one stackvm module whose entry function runs code on one input (float32
    or uint8 of in_shape) and one float32 output of out_elems elements."""
    in_size = int(np.prod(in_shape)) * (4 if in_dtype == DT_F32 else 1)
    out_size = out_elems * 4
    f = bytearray(struct.pack("<8I", 32, 0, in_size, out_size, 1, 1, 0, len(code)))
    f += _range(INPUT, in_dtype, in_size) + _shape(in_shape)
    f += _range(OUTPUT, DT_F32, out_size) + _shape([out_elems])
    _pad8(f)
    f[4:8] = struct.pack("<I", len(f))
    out = bytearray(struct.pack("<4s7I", b"LDMK", 5, 32, 0, 8, 1, 0, 0))
    module_start = len(out)
    out += bytes(48)
    out += struct.pack("<BxxxI", RDATA, len(rdata)) + struct.pack("<BxxxI", DATA, data_size)
    out += f
    for name, body in ((b".rdata", rdata), (b".text", bytes(code))):
        header_end = len(out) + 32
        pad = -header_end % 8
        out += struct.pack("<16s4I", name, 0, pad, len(body), 0) + bytes(pad) + body
    _pad8(out)
    out[module_start:module_start + 48] = struct.pack(
        "<16s8I", b"stackvm", 1, 48, len(out) - module_start, 2, 0, 2, 1, 0)
    return bytes(out)
