"""V4 quantized nodes (spec A3) against integer references written from the spec text:
quantized_conv2d (offsets added), cpu_quantized_conv2d / _depthwise (offsets subtracted, NHWC),
quantized_matmul and quantized_binary (all six ops, broadcasting, ulffd's ReLU parameters, a
division by zero as a run error). Requantisation is MCS: round half up of (int64)x * mul."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from host_tests.v4.v4_files import CONST, U8, Range, i32, shape, u32
from host_tests.v4.v4_ops_common import in_range, out_range, run_node
from maixkpu.core import KpuError

RNG = np.random.default_rng(21)


def wrap32(v: int) -> int:
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def rhu(v: int, s: int) -> int:
    return v if s == 0 else (v + (1 << (s - 1))) >> s  # Python's >> floors, like the spec's


def mcs(x: int, mul: int, s: int) -> int:
    return wrap32(rhu(x * mul, s))


def to_u8(v: int) -> int:
    return min(max(v, 0), 255)


def u8(*dims: int) -> np.ndarray:
    return RNG.integers(0, 256, dims, np.uint8)


PADS, K, S, D = (1, 1, 2, 0), (3, 2), (2, 1), (1, 2)
GEOM = i32(*PADS) + i32(K[0], K[1], S[0], S[1], D[0], D[1])
Q = (-128, -120, 1_500_000, 30, 100)  # input_offset, filter_offset, mul, shift, output_offset


def out_hw(ih: int, iw: int) -> tuple[int, int]:
    oh = (ih + PADS[0] + PADS[1] - ((K[0] - 1) * D[0] + 1) + S[0]) // S[0]
    ow = (iw + PADS[2] + PADS[3] - ((K[1] - 1) * D[1] + 1) + S[1]) // S[1]
    return oh, ow


def taps(oy: int, ox: int, ih: int, iw: int):
    for ky, kx in itertools.product(range(K[0]), range(K[1])):
        y, x = oy * S[0] - PADS[0] + ky * D[0], ox * S[1] - PADS[2] + kx * D[1]
        if 0 <= y < ih and 0 <= x < iw:
            yield ky, kx, y, x


@pytest.mark.parametrize("groups", [1, 2])
def test_quantized_conv2d_adds_offsets(groups: int) -> None:
    x = u8(1, 4, 5, 6)
    w = u8(4, 4 // groups, 3, 2)
    bias = RNG.integers(-5000, 5000, 4).astype("<i4")
    oh, ow = out_hw(5, 6)
    want = np.zeros((1, 4, oh, ow), np.uint8)
    for o, oy, ox in itertools.product(range(4), range(oh), range(ow)):
        g, icg = o // (4 // groups), 4 // groups
        v = int(bias[o])
        for c in range(icg):
            for ky, kx, y, xx in taps(oy, ox, 5, 6):
                v += (int(x[0, g * icg + c, y, xx]) + Q[0]) * (int(w[o, c, ky, kx]) + Q[1])
        want[0, o, oy, ox] = to_u8(wrap32(mcs(wrap32(v), Q[2], Q[3]) + Q[4]))
    assert len(set(want.ravel())) > 10  # not saturated
    out = out_range(want.nbytes, U8)
    body = in_range(x).pack() + out.pack() + shape(1, 4, 5, 6) + i32(groups, 4) + GEOM + \
        i32(*Q) + bias.tobytes() + w.tobytes()
    assert run_node("quantized_conv2d", body, x, out) == want.tobytes()


@pytest.mark.parametrize("depthwise", [False, True])
def test_cpu_quantized_conv2d_subtracts_offsets(depthwise: bool) -> None:
    q = (128, 120, 1_500_000, 30, 100)
    x = u8(1, 5, 6, 3)
    oc = 3 if depthwise else 4
    w = u8(oc, 3, 2) if depthwise else u8(oc, 3, 2, 3)
    bias = RNG.integers(-5000, 5000, oc).astype("<i4")
    oh, ow = out_hw(5, 6)
    want = np.zeros((1, oh, ow, oc), np.uint8)
    for oy, ox, o in itertools.product(range(oh), range(ow), range(oc)):
        v = int(bias[o])
        for ky, kx, y, xx in taps(oy, ox, 5, 6):
            if depthwise:
                v += (int(x[0, y, xx, o]) - q[0]) * (int(w[o, ky, kx]) - q[1])
            else:
                v += sum((int(x[0, y, xx, c]) - q[0]) * (int(w[o, ky, kx, c]) - q[1])
                         for c in range(3))
        want[0, oy, ox, o] = to_u8(wrap32(mcs(wrap32(v), q[2], q[3]) + q[4]))
    assert len(set(want.ravel())) > 10
    out = out_range(want.nbytes, U8)
    node = "cpu_quantized_depthwise_conv2d" if depthwise else "cpu_quantized_conv2d"
    body = in_range(x).pack() + out.pack() + shape(1, 5, 6, 3) + (b"" if depthwise else i32(oc)) \
        + GEOM + i32(*q) + w.tobytes() + bias.tobytes()  # weights first, then the bias
    assert run_node(node, body, x, out) == want.tobytes()


def test_quantized_matmul() -> None:
    a, b = u8(3, 5), u8(5, 4)
    bias = RNG.integers(-3000, 3000, 4).astype("<i4")
    q = (-100, -128, 870_000, 28, 7)
    want = np.zeros((3, 4), np.uint8)
    for m, n in itertools.product(range(3), range(4)):
        v = int(bias[n]) + sum((int(a[m, k]) + q[0]) * (int(b[k, n]) + q[1]) for k in range(5))
        want[m, n] = to_u8(wrap32(mcs(wrap32(v), q[2], q[3]) + q[4]))
    assert len(set(want.ravel())) > 5
    out = out_range(12, U8)
    body = in_range(a).pack() + Range(CONST, U8, 0, 20).pack() + out.pack() + i32(3, 5, 4) + \
        i32(*q) + bias.tobytes()
    assert run_node("quantized_matmul", body, a, out, consts=b.tobytes()) == want.tobytes()


def c_div(n: int, d: int) -> int:
    q = abs(n) // abs(d)
    return q if (n >= 0) == (d > 0) else -q


def qbinary_ref(op: int, a: int, b: int, q: tuple) -> int:
    av, bv = mcs(wrap32(a + q[0]), q[1], q[2]), mcs(wrap32(b + q[3]), q[4], q[5])
    r = [av + bv, av - bv, av * bv, None, min(av, bv), max(av, bv)][op]
    if op == 3:
        r = c_div(wrap32(av + c_div(bv, 2)), bv)
    return to_u8(wrap32(mcs(wrap32(r), q[7], q[8]) + q[6]))


def qbinary_body(a: Range, b: Range, out: Range, op: int, a_dims: tuple, b_dims: tuple,
                 out_dims: tuple, q: tuple) -> bytes:
    return a.pack() + b.pack() + out.pack() + u32(op) + shape(*a_dims) + shape(*b_dims) + \
        shape(*out_dims) + i32(*q)


@pytest.mark.parametrize("op", range(6))
def test_quantized_binary_ops(op: int) -> None:
    a, b = u8(1, 2, 3, 4), u8(1, 2, 3, 4)
    q = (-60, 3, 1, 1, 2, 0, 40, 3, 2)  # b' = 2 (b + 1) >= 2: no division by zero
    want = np.array([qbinary_ref(op, int(x), int(y), q) for x, y in zip(a.ravel(), b.ravel())],
                    np.uint8)
    out = out_range(24, U8)
    body = qbinary_body(in_range(a), Range(CONST, U8, 0, 24), out, op, a.shape, b.shape,
                        a.shape, q)
    assert run_node("quantized_binary", body, a, out, consts=b.tobytes()) == want.tobytes()


def test_quantized_binary_relu_of_ulffd() -> None:
    """ulffd's ReLU: max with a one-byte constant 0, broadcast over the map (spec A3)."""
    a = u8(1, 2, 3, 4)
    q = (-160, 25500, 0, 0, 28800, 11, 0, 453244, 32)
    want = np.array([qbinary_ref(5, int(x), 0, q) for x in a.ravel()], np.uint8)
    assert want.min() == 0 and want.max() > 0
    out = out_range(24, U8)
    body = qbinary_body(in_range(a), Range(CONST, U8, 0, 1), out, 5, a.shape, (1, 1, 1, 1),
                        a.shape, q)
    assert run_node("quantized_binary", body, a, out, consts=bytes(1)) == want.tobytes()


def test_quantized_division_by_zero_is_a_run_error() -> None:
    a = u8(1, 1, 1, 4)
    q = (0, 1, 0, 0, 1, 0, 0, 1, 0)
    out = out_range(4, U8)
    body = qbinary_body(in_range(a), Range(CONST, U8, 0, 4), out, 3, a.shape, a.shape,
                        a.shape, q)
    with pytest.raises(KpuError) as err:
        run_node("quantized_binary", body, a, out, consts=bytes([1, 2, 0, 3]))
    assert err.value.status_name == "KPU_ERR_RUN" and "division by zero" in err.value.message
