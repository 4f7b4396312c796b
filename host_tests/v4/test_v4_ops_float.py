"""The V4 neutral nodes of spec A3 one by one, each in a V4 file built here, against numpy
references written from the spec text: binary (with broadcasting), concat, dequantize,
quantize, matmul, memory_copy, unary, table_lookup1d, softmax, reduce, pad, transpose,
strided_slice and resize_image. Float results are compared bit for bit."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from host_tests.v4.v4_files import CONST, F32, FLT_MAX, U8, Range, act, f32, i32, shape, u32
from host_tests.v4.v4_ops_common import as_f32, clamp, f, in_range, libm, out_range, run_node

RNG = np.random.default_rng(4)


def rand(*dims: int) -> np.ndarray:
    return RNG.uniform(-4, 4, dims).astype(np.float32)


# ---- binary ----------------------------------------------------------------------------------

NP_BINARY = [np.add, np.subtract, np.multiply, np.divide, np.minimum, np.maximum]


@pytest.mark.parametrize("op", range(6))
def test_binary_same_shape(op: int) -> None:
    a, b = rand(1, 2, 3, 4), rand(1, 2, 3, 4)
    b_range = Range(CONST, F32, 0, b.nbytes)
    out = out_range(a.nbytes)
    body = in_range(a).pack() + b_range.pack() + out.pack() + u32(op) + \
        shape(1, 2, 3, 4) * 3 + act(-2.5, 3.0)
    got = as_f32(run_node("binary", body, a, out, consts=b.tobytes()))
    want = np.clip(NP_BINARY[op](a, b), np.float32(-2.5), np.float32(3.0)).ravel()
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("a_dims, b_dims", [((1, 2, 3, 4), (1, 2, 1, 4)),
                                            ((1, 1, 3, 1), (1, 2, 1, 4)),
                                            ((2, 1, 1, 1), (1, 3, 2, 2))])
def test_binary_broadcast(a_dims: tuple, b_dims: tuple) -> None:
    a, b = rand(*a_dims), rand(*b_dims)
    want = (a - b).ravel()  # V4 broadcasting repeats size-1 dimensions, as numpy does
    out_dims = np.broadcast_shapes(a_dims, b_dims)
    out = out_range(want.nbytes)
    body = in_range(a).pack() + Range(CONST, F32, 0, b.nbytes).pack() + out.pack() + u32(1) + \
        shape(*a_dims) + shape(*b_dims) + shape(*out_dims) + act()
    assert run_node("binary", body, a, out, consts=b.tobytes()) == want.tobytes()


# ---- concat, copies, lookups ------------------------------------------------------------------


def test_concat_bytes() -> None:
    x = rand(2, 3)
    c = rand(2, 2)
    out = out_range(x.nbytes + c.nbytes)
    # outer 2, inner 4 bytes (one float), dims 3 and 2: rows of x then rows of c
    body = out.pack() + u32(4, 2, 2) + in_range(x).pack() + \
        Range(CONST, F32, 0, c.nbytes).pack() + i32(3, 2)
    got = run_node("concat", body, x, out, consts=c.tobytes())
    assert got == np.concatenate([x, c], axis=1).tobytes()


def test_memory_copy_whole_floats_only() -> None:
    x = np.arange(1, 11, dtype=np.uint8)  # 10 bytes: two floats and two spare bytes
    out = out_range(12, U8)
    got = run_node("memory_copy", in_range(x).pack() + out.pack(), x, out)
    assert got == x[:8].tobytes() + bytes(4)


def test_table_lookup1d() -> None:
    x = RNG.integers(0, 256, 300, np.uint8)
    table = RNG.integers(0, 256, 256, np.uint8)
    out = out_range(300, U8)
    body = in_range(x).pack() + Range(CONST, U8, 0, 256).pack() + out.pack()
    assert run_node("table_lookup1d", body, x, out, consts=table.tobytes()) == \
        table[x].tobytes()


def test_table_lookup1d_short_table_is_a_run_error() -> None:
    from maixkpu.core import KpuError
    x = np.array([0, 1, 2, 200], np.uint8)
    out = out_range(4, U8)
    body = in_range(x).pack() + Range(CONST, U8, 0, 16).pack() + out.pack()
    with pytest.raises(KpuError) as err:
        run_node("table_lookup1d", body, x, out, consts=bytes(range(16)))
    assert err.value.status_name == "KPU_ERR_RUN" and "200" in err.value.message


# ---- quantize / dequantize ----------------------------------------------------------------------


def test_dequantize() -> None:
    q = np.arange(256, dtype=np.uint8)
    out = out_range(1024)
    body = in_range(q).pack() + out.pack() + i32(7) + f32(3.3)
    inv = np.float32(1) / np.float32(3.3)  # once, in float32
    want = (q.astype(np.int32) - 7).astype(np.float32) * inv
    assert run_node("dequantize", body, q, out) == want.tobytes()


def test_quantize_rounds_halves_away_from_zero() -> None:
    x = np.array([-3, -1.75, -1.25, -0.25, 0.25, 1.25, 1.75, 60, 125.75, 126.25, 1e6],
                 np.float32)
    out = out_range(x.size, U8)
    body = in_range(x).pack() + out.pack() + i32(3) + f32(2.0)
    v = (x * np.float32(2.0) + np.float32(3)).astype(np.float64)
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    want = np.clip(r, 0, 255).astype(np.uint8)
    assert list(want[:7]) == [0, 0, 1, 3, 4, 6, 7]  # -0.5 -> -1 (0), 0.5 -> 1, 5.5 -> 6
    assert run_node("quantize", body, x, out) == want.tobytes()


# ---- matmul, softmax, unary ----------------------------------------------------------------------


def test_matmul_sums_in_order_from_the_bias() -> None:
    a, b, bias = rand(2, 3), rand(3, 4), rand(4)
    out = out_range(2 * 4 * 4)
    body = in_range(a).pack() + Range(CONST, F32, 0, b.nbytes).pack() + out.pack() + \
        i32(2, 3, 4) + act(-3, 5) + bias.tobytes()
    want = np.zeros((2, 4), np.float32)
    for m, n in itertools.product(range(2), range(4)):
        v = bias[n]
        for k in range(3):
            v = f(v + f(a[m, k] * b[k, n]))
        want[m, n] = clamp(v, -3, 5)
    assert run_node("matmul", body, a, out, consts=b.tobytes()) == want.tobytes()


def test_softmax() -> None:
    x = rand(2, 5)
    x[1, 3] = x[1].max() + 1
    out = out_range(x.nbytes)
    body = in_range(x).pack() + out.pack() + i32(5, 2) + f32(0.5)
    want = np.zeros_like(x)
    for r in range(2):
        mx = x[r].max()
        e = [libm("expf", f(f(v - mx) * f(0.5))) for v in x[r]]
        s = f(0)
        for v in e:
            s = f(s + v)
        want[r] = [f(v / s) for v in e]
    assert run_node("softmax", body, x, out) == want.tobytes()


UNARY = [np.abs, np.ceil, lambda v: libm("cosf", v), lambda v: libm("expf", v), np.floor,
         lambda v: libm("logf", v), np.negative, lambda v: f(f(1) / libm("sqrtf", v)),
         lambda v: libm("sinf", v), lambda v: f(v * v)]


@pytest.mark.parametrize("op", range(10))
def test_unary(op: int) -> None:
    x = RNG.uniform(0.1, 6, 17).astype(np.float32)
    x[:3] = [-2.5, -0.5, 3.5] if op not in (5, 7) else x[:3]  # log, rsqrt: positive only
    out = out_range(x.nbytes)
    body = in_range(x).pack() + out.pack() + u32(op)
    want = np.array([UNARY[op](v) for v in x], np.float32)
    assert run_node("unary", body, x, out) == want.tobytes()


# ---- reduce --------------------------------------------------------------------------------------


@pytest.mark.parametrize("op, init", [(0, 0.0), (1, FLT_MAX), (2, -FLT_MAX), (3, 1.5)])
def test_reduce_over_h(op: int, init: float) -> None:
    x = rand(1, 2, 3, 4)
    out = out_range(2 * 4 * 4)
    body = in_range(x).pack() + out.pack() + u32(op) + shape(1, 2, 3, 4) + shape(1, 2, 1, 4) + \
        f32(init)
    want = np.full((2, 4), init, np.float32)
    for c, h, w in itertools.product(range(2), range(3), range(4)):
        v = x[0, c, h, w]
        acc = want[c, w]
        want[c, w] = min(acc, v) if op == 1 else max(acc, v) if op == 2 else f(acc + v)
    if op == 0:
        want = want * (np.float32(8) / np.float32(24))  # range sizes / 4
    assert run_node("reduce", body, x, out) == want.astype(np.float32).tobytes()


# ---- pad, transpose, strided_slice ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_pad_grows_and_crops(dtype: type) -> None:
    x = (RNG.uniform(0, 200, (1, 2, 2, 3))).astype(dtype)
    pads = [(0, 0), (1, 0), (0, 2), (-1, 1)]
    value = np.array([7.5], np.float32).tobytes() if dtype == np.float32 else bytes([9, 0, 0, 0])
    dt = F32 if dtype == np.float32 else U8
    grown = np.pad(x, [(max(a, 0), max(b, 0)) for a, b in pads],
                   constant_values=7.5 if dtype == np.float32 else 9)
    want = grown[:, :, :, 1:]  # before = -1 on W crops the first column
    out = out_range(want.nbytes, dt)
    body = in_range(x).pack() + out.pack() + shape(1, 2, 2, 3) + \
        b"".join(i32(a, b) for a, b in pads) + u32(dt) + value
    assert run_node("pad", body, x, out) == np.ascontiguousarray(want).tobytes()


@pytest.mark.parametrize("dtype, perm", [(np.uint8, (0, 2, 3, 1)), (np.float32, (3, 1, 0, 2))])
def test_transpose(dtype: type, perm: tuple) -> None:
    x = RNG.uniform(0, 250, (2, 3, 4, 5)).astype(dtype)
    out = out_range(x.nbytes, U8 if dtype == np.uint8 else F32)
    body = in_range(x).pack() + out.pack() + shape(2, 3, 4, 5) + i32(*perm)
    assert run_node("transpose", body, x, out) == np.transpose(x, perm).tobytes()


def test_strided_slice_positive_and_negative_strides() -> None:
    x = rand(1, 2, 5, 6)
    begin, end, strides = (0, 1, 4, 0), (1, 2, -1, 6), (1, 1, -2, 3)
    idx = [list(range(b, e, s)) for b, e, s in zip(begin, end, strides)]
    want = x[np.ix_(*idx)]
    assert want.shape == (1, 1, 3, 2)
    out = out_range(want.nbytes)
    body = in_range(x).pack() + out.pack() + shape(1, 2, 5, 6) + i32(*begin) + i32(*end) + \
        i32(*strides) + i32(0, 0, 0, 0, 0)
    assert run_node("strided_slice", body, x, out) == want.tobytes()


# ---- resize_image --------------------------------------------------------------------------------


def resize_ref(x: np.ndarray, oh: int, ow: int, nearest: bool, align: bool) -> np.ndarray:
    _, _, ih, iw = x.shape
    def scale(i: int, o: int) -> np.float32:
        return f(f(i - 1) / f(o - 1)) if align and not nearest and o > 1 else f(f(i) / f(o))
    sh, sw = scale(ih, oh), scale(iw, ow)
    out = np.zeros(x.shape[:2] + (oh, ow), x.dtype)
    for n, c, oy, ox in itertools.product(range(x.shape[0]), range(x.shape[1]), range(oh),
                                          range(ow)):
        fy, fx = f(f(oy) * sh), f(f(ox) * sw)
        y0, x0 = min(int(np.floor(fy)), ih - 1), min(int(np.floor(fx)), iw - 1)
        p = x[n, c].astype(np.float32)
        if nearest:
            out[n, c, oy, ox] = x[n, c, y0, x0]
            continue
        y1, x1 = min(y0 + 1, ih - 1), min(x0 + 1, iw - 1)
        dy, dx = f(fy - f(y0)), f(fx - f(x0))
        a0, a1 = f(f(1 - dy) * f(1 - dx)), f(dy * f(1 - dx))
        a2, a3 = f(f(1 - dy) * dx), f(dy * dx)
        v = f(f(f(f(p[y0, x0] * a0) + f(p[y1, x0] * a1)) + f(p[y0, x1] * a2)) + f(p[y1, x1] * a3))
        out[n, c, oy, ox] = v if x.dtype == np.float32 else int(v)  # u8: truncation
    return out


@pytest.mark.parametrize("dtype, oh, ow, mode, align", [
    (np.float32, 5, 7, 1, 0), (np.uint8, 2, 3, 1, 0), (np.float32, 5, 7, 0, 0),
    (np.float32, 6, 9, 0, 1), (np.uint8, 7, 5, 0, 0), (np.uint8, 6, 8, 0, 1)])
def test_resize_image(dtype: type, oh: int, ow: int, mode: int, align: int) -> None:
    x = RNG.uniform(0, 255, (1, 2, 3, 4)).astype(dtype)
    want = resize_ref(x, oh, ow, mode == 1, bool(align))
    out = out_range(want.nbytes, U8 if dtype == np.uint8 else F32)
    body = in_range(x).pack() + out.pack() + shape(1, 2, 3, 4) + i32(oh, ow) + u32(mode) + \
        bytes([align, 0, 0, 0])
    assert run_node("resize_image", body, x, out) == want.tobytes()


def test_constant_operand_range() -> None:
    """Operands may come from the constants: a binary whose both inputs are constant."""
    c = rand(8)
    x = np.zeros(1, np.float32)
    out = out_range(32)
    crange = Range(CONST, F32, 0, 32)
    body = crange.pack() + crange.pack() + out.pack() + u32(2) + shape(1, 1, 1, 8) * 3 + act()
    assert run_node("binary", body, x, out, consts=c.tobytes()) == (c * c).tobytes()
