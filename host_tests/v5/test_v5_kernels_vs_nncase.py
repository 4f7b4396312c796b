"""The stackvm tensor kernels against nncase 1.9's Simulator on hand-assembled programs (spec
F.3's method): one V5 file whose entry function applies every kernel variant below to the
same float input, each writing its own region of the output; every region must be identical
byte for byte. Kernels using libm (unary, sigmoid, softmax) rely on the host's libm like the
simulator does (spec G3); on this glibc they match exactly, so no tolerance is applied."""
from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable

import numpy as np
import pytest

from host_tests.v5.nncase_cache import CACHE, require_nncase
from host_tests.v5.svasm import (
    DATA,
    DT_F32,
    DT_I8,
    DT_I32,
    DT_U8,
    INPUT,
    OUTPUT,
    RDATA,
    Program,
    dense_strides,
    kmodel,
)
from maixkpu import core
from maixkpu.compile import simulate

SHAPE = [1, 3, 16, 16]
N_IN = 768
RNG = np.random.default_rng(11)
WEIGHTS = RNG.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)
BIAS = RNG.uniform(-1, 1, 4).astype(np.float32)
MAT = RNG.uniform(-1, 1, (16, 8)).astype(np.float32)
MAT_BIAS = RNG.uniform(-1, 1, 8).astype(np.float32)
TABLE = RNG.integers(0, 256, 256, dtype=np.uint8)
RDATA_BYTES = WEIGHTS.tobytes() + BIAS.tobytes() + MAT.tobytes() + MAT_BIAS.tobytes() + \
    TABLE.tobytes()
R_W, R_B = 0, WEIGHTS.nbytes
R_MAT = R_B + BIAS.nbytes
R_MATB = R_MAT + MAT.nbytes
R_TABLE = R_MATB + MAT_BIAS.nbytes
U8_DATA = 0  # data pool offset of the quantized input (u8 [1,3,16,16])


class Builder:
    """Appends kernel calls to one program; each writes a fresh region of the output."""

    def __init__(self) -> None:
        self.p = Program()
        self.cursor = 0
        self.regions: list[tuple[str, int, int]] = []
        # a uint8 copy of the input for the integer kernels: q = x * 40 + 128
        self.p.view_regs(0, SHAPE).lea(INPUT, 0).lea(DATA, U8_DATA).ldc_r4(40.0).ldc_r4(128.0)
        self.p.tensor(0x14, "BBBBB", DT_F32, DT_U8, 0, 1, 1)

    def out(self, name: str, nbytes: int) -> int:
        at = self.cursor
        self.regions.append((name, at, nbytes))
        self.cursor += (nbytes + 7) // 8 * 8
        return at


def unary_ops(b: Builder) -> None:
    for op in [*range(16), 17, 18]:
        at = b.out(f"unary {op}", N_IN * 4)
        b.p.view_regs(0, SHAPE).lea(INPUT, 0).lea(OUTPUT, at)
        b.p.tensor(0x26, "BBBBB", DT_F32, 0, 1, 1, op)


def sigmoid_softmax(b: Builder) -> None:
    at = b.out("sigmoid", N_IN * 4)
    b.p.view_regs(0, SHAPE).lea(INPUT, 0).lea(OUTPUT, at).tensor(0x1D, "BBBB", DT_F32, 0, 1, 1)
    for axis, beta in ((3, 1.0), (1, 0.5), (-2, 2.0)):
        at = b.out(f"softmax axis {axis}", N_IN * 4)
        b.p.view_regs(0, SHAPE).lea(INPUT, 0).lea(OUTPUT, at)
        b.p.tensor(0x1F, "BBBBif", DT_F32, 0, 1, 1, axis, beta)


def binary_ops(b: Builder) -> None:
    # the second operand: [1,3,1,1] (a value per channel) and [16] (the first row)
    for shape2, strides2 in (([1, 3, 1, 1], [768, 256, 0, 0]), ([16], [1])):
        for op in (0, 1, 2, 3, 4, 5, 6):
            lo, hi = (-1.5, 1.5) if op == 0 else (-np.inf, np.inf)
            at = b.out(f"binary {op} with {shape2}", N_IN * 4)
            b.p.view_regs(0, SHAPE).view_regs(2, shape2, strides2).view_regs(4, SHAPE)
            b.p.lea(INPUT, 0).lea(INPUT, 4).lea(OUTPUT, at)
            b.p.tensor(0x01, "BBBBBBBBff", DT_F32, 0, 1, 2, 3, 4, 5, op, lo, hi)


def quantize_convert(b: Builder) -> None:
    for out_dt, scale, bias in ((DT_U8, 63.3, 127.0), (DT_I8, 50.0, 0.5)):
        at = b.out(f"quantize to {out_dt}", N_IN)
        b.p.view_regs(0, SHAPE).lea(INPUT, 0).lea(OUTPUT, at).ldc_r4(scale).ldc_r4(bias)
        b.p.tensor(0x14, "BBBBB", DT_F32, out_dt, 0, 1, 1)
    at = b.out("dequantize u8", N_IN * 4)
    b.p.view_regs(0, SHAPE).lea(DATA, U8_DATA).lea(OUTPUT, at).ldc_r4(0.0157).ldc_r4(-2.01)
    b.p.tensor(0x0B, "BBBBB", DT_U8, DT_F32, 0, 1, 1)
    for out_dt, size in ((DT_I32, 4), (DT_U8, 1), (DT_I8, 1)):
        at = b.out(f"convert to {out_dt}", N_IN * size)
        b.p.view_regs(0, SHAPE).lea(INPUT, 0).lea(OUTPUT, at)
        b.p.tensor(0x08, "BBBBB", DT_F32, out_dt, 0, 1, 1)
    at = b.out("convert u8 to f32", N_IN * 4)
    b.p.view_regs(0, SHAPE).lea(DATA, U8_DATA).lea(OUTPUT, at)
    b.p.tensor(0x08, "BBBBB", DT_U8, DT_F32, 0, 1, 1)
    at = b.out("lut1d", N_IN)
    b.p.view_regs(0, SHAPE).lea(DATA, U8_DATA).lea(RDATA, R_TABLE).lea(OUTPUT, at)
    b.p.ldc_r4(0.0).ldc_r4(1.0).tensor(0x10, "BBBBH", DT_U8, 0, 1, 1, 256)


def resizes(b: Builder) -> None:
    for mode in (0, 1):
        for align, half in ((0, 0), (1, 0), (0, 1)):
            for dt, src, esize in ((DT_F32, (INPUT, 0), 4), (DT_U8, (DATA, U8_DATA), 1)):
                for oh, ow in ((7, 24), (32, 5)):
                    out_shape = [1, 3, oh, ow]
                    at = b.out(f"resize mode {mode} align {align} half {half} dt {dt} "
                               f"{oh}x{ow}", 3 * oh * ow * esize)
                    b.p.view_regs(0, SHAPE).stshape(2, dense_strides(out_shape))
                    b.p.ldc_i4(oh).ldc_i4(ow).lea(*src).lea(OUTPUT, at)
                    b.p.tensor(0x1B, "BBBBBBB", dt, 0, 1, 2, align, half, mode)


def windows(b: Builder) -> None:
    cases = (  # op, filter, stride, dilation, pads h, pads w, init, clamp
        (0, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 0.0, (-np.inf, np.inf)),
        (2, (2, 2), (2, 2), (1, 1), (0, 0), (0, 0), -3e38, (-np.inf, np.inf)),
        (1, (3, 2), (1, 2), (2, 1), (2, 0), (0, 1), 3e38, (-1.0, 1.0)),
        (3, (2, 3), (3, 1), (1, 1), (0, 1), (1, 1), 0.5, (-np.inf, np.inf)),
    )
    for op, (fh, fw), (sh, sw), (dh, dw), ph, pw, init, (lo, hi) in cases:
        oh = (16 + ph[0] + ph[1] - ((fh - 1) * dh + 1) + sh) // sh
        ow = (16 + pw[0] + pw[1] - ((fw - 1) * dw + 1) + sw) // sw
        out_shape = [1, 3, oh, ow]
        at = b.out(f"reduce_window2d op {op} {fh}x{fw}", 4 * int(np.prod(out_shape)))
        b.p.view_regs(0, SHAPE).stshape(2, dense_strides(out_shape))
        b.p.lea(INPUT, 0).ldc_r4(init).lea(OUTPUT, at)
        for v in (*ph, 0, *pw, 0):
            b.p.ldc_i4(v)
        b.p.tensor(0x1A, "BBBBBHHHHHHff", DT_F32, op, 0, 1, 2, fh, fw, sh, sw, dh, dw, lo, hi)
    for op, axes, keep in ((0, [2, 3], 1), (3, [1], 0), (1, [3], 1), (2, [1, 2], 0)):
        out_shape = [n if d not in axes else 1 for d, n in enumerate(SHAPE)]
        if not keep:
            out_shape = [n for d, n in enumerate(SHAPE) if d not in axes]
        at = b.out(f"reduce op {op} axes {axes}", 4 * int(np.prod(out_shape)))
        b.p.view_regs(0, SHAPE).stshape(2, dense_strides(out_shape)).stshape(3, axes)
        b.p.lea(INPUT, 0).lea(OUTPUT, at).ldc_r4(0.25)
        b.p.tensor(0x17, "BBBBBBB", DT_F32, 0, 1, 2, op, 3, keep)


def layouts(b: Builder) -> None:
    for mode in range(4):
        out_shape = [1, 3, 19, 19]
        at = b.out(f"pad mode {mode}", 4 * int(np.prod(out_shape)))
        b.p.view_regs(0, SHAPE).stshape(2, dense_strides(out_shape))
        b.p.stpaddings(0, [(0, 0, 0), (0, 0, 0), (1, 2, 0), (2, 1, 0)])
        b.p.lea(INPUT, 0).lea(OUTPUT, at).ldc_r4(0.25)
        b.p.tensor(0x13, "BBBBBB", DT_F32, 0, 1, 2, 0, mode)
    at = b.out("transpose", N_IN * 4)
    b.p.view_regs(0, SHAPE).stshape(2, dense_strides([1, 16, 16, 3])).stshape(3, [0, 2, 3, 1])
    b.p.lea(INPUT, 0).lea(OUTPUT, at).tensor(0x24, "BBBBB", DT_F32, 0, 1, 2, 3)
    out_shape = [1, 2, 4, 8]
    at = b.out("slice", 4 * int(np.prod(out_shape)))
    b.p.view_regs(0, SHAPE).stshape(2, dense_strides(out_shape))
    b.p.stshape(3, [0, 1, 2, 15]).stshape(4, [1, 3, 14, -1]).stshape(5, [1, 1, 3, -2])
    b.p.lea(INPUT, 0).lea(OUTPUT, at).tensor(0x1E, "BBBBBBB", DT_F32, 0, 1, 2, 3, 4, 5)
    at = b.out("strided copy", 4 * 3 * 8 * 8)
    b.p.view_regs(0, [1, 3, 8, 8], [768, 256, 32, 2]).stshape(2, dense_strides([1, 3, 8, 8]))
    b.p.lea(INPUT, 4).lea(OUTPUT, at).tensor(0x09, "BBBB", DT_F32, 0, 1, 2)
    at = b.out("broadcast", 4 * 3 * 4 * 4)
    b.p.view_regs(0, [1, 3, 1, 1], [768, 256, 0, 0]).view_regs(2, [1, 3, 4, 4])
    b.p.lea(INPUT, 0).lea(OUTPUT, at).tensor(0x02, "BBBBB", DT_F32, 0, 1, 2, 3)


def linear(b: Builder) -> None:
    for (sh, sw), (ph, pw) in (((2, 1), ((1, 1), (0, 2))), ((1, 1), ((0, 0), (1, 1)))):
        oh = (16 + sum(ph) - 3 + sh) // sh
        ow = (16 + sum(pw) - 3 + sw) // sw
        out_shape = [1, 4, oh, ow]
        at = b.out(f"conv2d stride {sh}x{sw}", 4 * int(np.prod(out_shape)))
        b.p.view_regs(0, SHAPE).view_regs(2, [4, 3, 3, 3]).stshape(4, [1])
        b.p.stshape(5, dense_strides(out_shape))
        b.p.lea(INPUT, 0).lea(RDATA, R_W).lea(RDATA, R_B).lea(OUTPUT, at)
        for v in (*ph, 0, *pw, 0):
            b.p.ldc_i4(v)
        b.p.tensor(0x06, "BBBBBBBHHHHHff", DT_F32, 0, 1, 2, 3, 4, 5, 1, sh, sw, 1, 1,
                   -2.0, 2.0)
    out_shape = [3, 16, 8]
    at = b.out("matmul", 4 * int(np.prod(out_shape)))
    b.p.view_regs(0, [3, 16, 16]).view_regs(2, [16, 8]).view_regs(4, out_shape)
    b.p.lea(INPUT, 0).lea(RDATA, R_MAT).lea(RDATA, R_MATB).lea(OUTPUT, at)
    b.p.tensor(0x11, "BBBBBBff", 0, 1, 2, 3, 4, 5, -np.inf, np.inf)


GROUPS: dict[str, Callable[[Builder], None]] = {
    "unary": unary_ops, "sigmoid_softmax": sigmoid_softmax, "binary": binary_ops,
    "quantize_convert": quantize_convert, "resize": resizes, "reduce": windows,
    "layout": layouts, "linear": linear,
}


def _input() -> np.ndarray:
    x = np.random.default_rng(5).uniform(-2.0, 2.0, SHAPE).astype(np.float32)
    # exact ties for the rounding of quantize (x * 63.3 + 127 is not exact, x * 50 + 0.5 is)
    x.reshape(-1)[:12] = [0.5, 1.5, 2.5, -0.5, -1.5, 0.0, -0.0, 1.0, 0.01, -0.01, 0.03, 0.05]
    return x


def _run_group(name: str) -> tuple[Builder, np.ndarray, np.ndarray]:
    b = Builder()
    GROUPS[name](b)
    data = kmodel(bytes(b.p.code), SHAPE, (b.cursor + 3) // 4, rdata=RDATA_BYTES)
    x = _input()
    path = CACHE / f"kernels-{name}-{hashlib.sha256(data + x.tobytes()).hexdigest()[:16]}.npy"
    if path.is_file():
        ref = np.load(path)
    else:
        require_nncase()
        ref = simulate(data, [x])[0][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, ref)
        tmp.replace(path)
    with core.Model.load(data) as m:
        ours = m.run(x)[0]
    return b, ours.reshape(-1).view(np.uint8), ref.reshape(-1).view(np.uint8)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_kernels_identical_to_nncase_simulator(group: str) -> None:
    b, ours, ref = _run_group(group)
    bad = []
    for name, at, n in b.regions:
        if not np.array_equal(ours[at:at + n], ref[at:at + n]):
            diff = int((ours[at:at + n] != ref[at:at + n]).sum())
            bad.append(f"{name}: {diff} of {n} bytes differ")
    assert not bad, "; ".join(bad)


def test_kernel_program_writes_something() -> None:
    """The regions hold real results (not all equal bytes)."""
    b, ours, _ = _run_group("binary")
    for name, at, n in b.regions:
        assert len(set(ours[at:at + n].tolist())) > 16, name
    assert struct.calcsize("<f") == 4
