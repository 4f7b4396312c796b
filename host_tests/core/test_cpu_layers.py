"""The V3 CPU layers of the C core against NumPy references written from spec section 2.7.

Each case is a small hand-built model: an identity FULLY_CONNECTED layer takes the float input
into main memory (and a QUANTIZE with scale 1 turns it into bytes where the layer wants uint8),
then the layer under test runs. The whole main memory is one model output, so the test sees
every byte the layer wrote. Float layers built from + - * / sqrt are compared bit for bit
(binary32, no FMA); layers using expf allow 2 ulp, since C's expf and NumPy's exp may differ
in the last bit.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Sequence

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.core import v3_files as v3
from host_tests.core.v3_files import f32, u32
from maixkpu._core import ffi, lib

F32 = np.float32


def identity_fc(n: int, src: int, dst: int) -> bytes:
    w = np.eye(n, dtype="<f4")
    return u32(0, src, dst, n, n, 0) + w.tobytes() + np.zeros(n, "<f4").tobytes()


def run_model(values: Sequence[float], layers: list[tuple[int, bytes]], main_mem: int,
              fc_out: int, quantize_to: int | None = None) -> np.ndarray:
    """Runs FC identity (main 0 -> fc_out) [, QUANTIZE scale 1 (fc_out -> quantize_to)], then
    `layers`; returns the whole main memory as uint8."""
    x = np.asarray(values, dtype="<f4")
    n = len(x)
    chain = [(v3.FULLY_CONNECTED, identity_fc(n, 0, fc_out))]
    if quantize_to is not None:
        chain.append((v3.QUANTIZE, u32(0, fc_out, quantize_to, n) + f32(1.0, 0.0)))
    chain += layers
    data = v3.v3_file(chain, main_mem=main_mem, outputs=[(0, main_mem)], max_start=32768)
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    try:
        d = ffi.new("kpu_diag_t*")
        xb = x.tobytes()
        assert lib.kpu_model_run(m, ffi.NULL, xb, len(xb), -1, d) == lib.KPU_OK, v3.text(d)
        p = ffi.new("uint8_t**")
        size = ffi.new("size_t*")
        dt = ffi.new("kpu_dtype_t*")
        assert lib.kpu_model_output(m, 0, p, size, dt, d) == lib.KPU_OK
        return np.frombuffer(bytes(ffi.buffer(p[0], size[0])), np.uint8).copy()
    finally:
        v3.free(m)


def floats(mem: np.ndarray, off: int, n: int) -> np.ndarray:
    return mem[off:off + 4 * n].view("<f4")


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    a = np.asarray(a, "<f4")
    b = np.asarray(b, "<f4")
    assert a.shape == b.shape
    assert a.view("<u4").tolist() == b.view("<u4").tolist(), (a, b)


def ulp_close(a: np.ndarray, b: np.ndarray, ulps: int = 2) -> None:
    ia = np.asarray(a, "<f4").view("<i4").astype(np.int64)
    ib = np.asarray(b, "<f4").view("<i4").astype(np.int64)
    assert np.all(np.abs(ia - ib) <= ulps), (a, b)


# ---- the iris golden vector ------------------------------------------------------------------


def test_iris_golden_vector() -> None:
    data = shared_model("nncase010rc5_iris_float.kmodel").read_bytes()
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    x = np.array([5.1, 3.8, 1.9, 0.4], "<f4").tobytes()
    d = ffi.new("kpu_diag_t*")
    assert lib.kpu_model_run(m, ffi.NULL, x, 16, -1, d) == lib.KPU_OK, v3.text(d)
    p, size, dt = ffi.new("uint8_t**"), ffi.new("size_t*"), ffi.new("kpu_dtype_t*")
    lib.kpu_model_output(m, 0, p, size, dt, d)
    y = np.frombuffer(bytes(ffi.buffer(p[0], size[0])), "<f4")
    assert size[0] == 12 and dt[0] == lib.KPU_DTYPE_FLOAT32
    np.testing.assert_allclose(y, [16.077795, 5.607656, -2.071745], atol=1e-5, rtol=0)
    assert int(np.argmax(y)) == 0  # setosa
    # a wrong input size is refused
    assert lib.kpu_model_run(m, ffi.NULL, x, 12, -1, d) == lib.KPU_ERR_SIZE
    assert "12 bytes" in v3.text(d) and "16" in v3.text(d)
    v3.free(m)


# ---- float element-wise layers -----------------------------------------------------------------


def test_add() -> None:
    a = np.array([1.5, -2.25, 1e-3, 3e7], F32)
    b = np.array([0.25, 2.25, 1e-7, -1.0], F32)
    mem = run_model(np.concatenate([a, b]), [(v3.ADD, u32(1, 64, 80, 96, 4))], 128, fc_out=64)
    same_bits(floats(mem, 96, 4), a + b)


def test_global_average_pool() -> None:
    x = np.array([1, 2, 3, 4.5, -1, 0.1, 0.2, 0.3], F32)
    mem = run_model(x, [(v3.GLOBAL_AVERAGE_POOL2D, u32(1, 32, 64, 4, 2))], 96, fc_out=32)
    expect = []
    for c in range(2):
        s = F32(0)
        for k in range(4):
            s = F32(s + x[c * 4 + k])
        expect.append(F32(s / F32(4)))
    same_bits(floats(mem, 64, 2), np.array(expect, F32))


def test_dequantize_and_channelwise_dequantize() -> None:
    q = np.array([0, 1, 7, 128, 200, 255, 3, 9], F32)
    scale, bias = F32(0.0431), F32(-1.7)
    mem = run_model(q, [(v3.DEQUANTIZE, u32(1, 64, 72, 8) + f32(scale, bias))], 128, fc_out=32,
                    quantize_to=64)
    same_bits(floats(mem, 72, 8), q.astype(F32) * scale + bias)

    params = [(0.5, 1.0), (-0.125, 3.3), (0.0391, -0.05395067), (2.0, 0.0)]
    body = u32(1, 64, 72, 4, 2) + b"".join(f32(s, b) for s, b in params)
    mem = run_model(q, [(v3.CHANNELWISE_DEQUANTIZE, body)], 128, fc_out=32, quantize_to=64)
    expect = np.concatenate([q[2 * c:2 * c + 2] * F32(s) + F32(b) for c, (s, b) in
                             enumerate(params)])
    same_bits(floats(mem, 72, 8), expect)


def round_half_away(t: float) -> int:
    return int(math.copysign(math.floor(abs(t) + 0.5), t))


@pytest.mark.parametrize("scale, bias", [(1.0, 0.0), (0.5, -1.0), (0.0123, 0.37)])
def test_quantize_rounds_halves_away_from_zero_and_clamps(scale: float, bias: float) -> None:
    x = np.array([2.5, -0.5, 0.5, 1.5, 254.5, 300, -3, 7.4999, 0.0, 1.0, 3.14, 100.5], F32)
    mem = run_model(x, [(v3.QUANTIZE, u32(0, 64, 112, 12) + f32(scale, bias))], 128, fc_out=64)
    inv = F32(1) / F32(scale)
    expect = [min(255, max(0, round_half_away(float((v - F32(bias)) * inv)))) for v in x]
    assert mem[112:124].tolist() == expect
    if scale == 1.0:
        assert expect[:5] == [3, 0, 1, 2, 255]  # 2.5 -> 3, not 2 (no banker's rounding)


def test_requantize() -> None:
    table = bytes((i * 37 + 11) % 256 for i in range(256))
    q = np.array([0, 1, 2, 100, 255, 17, 9, 200], F32)
    mem = run_model(q, [(v3.REQUANTIZE, u32(1, 64, 72, 8) + table)], 96, fc_out=32,
                    quantize_to=64)
    assert mem[72:80].tolist() == [table[int(v)] for v in q]


def test_l2_normalization() -> None:
    x = np.array([3.0, -4.0, 0.5, 12.0, 1e-3], F32)
    mem = run_model(x, [(v3.L2_NORMALIZATION, u32(1, 32, 64, 5))], 96, fc_out=32)
    s = F32(0)
    for v in x:
        s = F32(s + v * v)
    s = max(s, F32(1e-10))
    same_bits(floats(mem, 64, 5), x * (F32(1) / np.sqrt(s)))
    # all zeros: the sum is raised to 1e-10 and the result stays 0
    mem = run_model(np.zeros(3, F32), [(v3.L2_NORMALIZATION, u32(1, 16, 32, 3))], 48, fc_out=16)
    same_bits(floats(mem, 32, 3), np.zeros(3, F32))


def softmax_spec(x: np.ndarray) -> np.ndarray:
    m = F32(np.finfo(F32).tiny)  # FLT_MIN, not -inf
    for v in x:
        m = max(m, v)
    e = np.exp((x - m).astype(F32)).astype(F32)
    s = F32(0)
    for v in e:
        s = F32(s + v)
    return (e / s).astype(F32)


def test_softmax() -> None:
    x = np.array([1.0, 2.0, -3.0, 0.5, 7.25], F32)
    mem = run_model(x, [(v3.SOFTMAX, u32(1, 32, 64, 5))], 96, fc_out=32)
    y = floats(mem, 64, 5)
    ulp_close(y, softmax_spec(x))
    assert abs(float(np.sum(y)) - 1) < 1e-6


def test_softmax_starts_at_flt_min() -> None:
    # With every input far below zero the running max stays FLT_MIN, every exp underflows to 0
    # and the sum is 0: kpu.c gives NaN where a -inf start would give probabilities.
    x = np.array([-200.0, -201.0, -202.0], F32)
    mem = run_model(x, [(v3.SOFTMAX, u32(1, 16, 32, 3))], 48, fc_out=16)
    assert np.all(np.isnan(floats(mem, 32, 3)))
    # values below FLT_MIN but not underflowing: same probabilities as usual
    x = np.array([-1.0, -2.0, -3.0], F32)
    mem = run_model(x, [(v3.SOFTMAX, u32(1, 16, 32, 3))], 48, fc_out=16)
    ulp_close(floats(mem, 32, 3), softmax_spec(x))


def test_logistic() -> None:
    x = np.array([0.0, 1.0, -1.0, 10.0, -20.0, 0.25], F32)
    mem = run_model(x, [(v3.LOGISTIC, u32(1, 32, 64, 6))], 96, fc_out=32)
    expect = (F32(1) / (F32(1) + np.exp(-x).astype(F32))).astype(F32)
    ulp_close(floats(mem, 64, 6), expect)
    assert floats(mem, 64, 1)[0] == 0.5


# ---- fully connected, flatten, resize, pools ---------------------------------------------------


@pytest.mark.parametrize("act", [0, 1, 2])
def test_fully_connected(act: int) -> None:
    rng = np.random.default_rng(act)
    x = rng.uniform(-4, 4, 3).astype(F32)
    w = rng.uniform(-3, 3, (4, 3)).astype(F32)
    b = np.array([0.5, -7.0, 6.5, 0.0], F32)
    body = u32(1, 16, 32, 3, 4, act) + w.astype("<f4").tobytes() + b.astype("<f4").tobytes()
    mem = run_model(x, [(v3.FULLY_CONNECTED, body)], 64, fc_out=16)
    expect = []
    for o in range(4):
        s = F32(0)
        for i in range(3):
            s = F32(s + F32(x[i] * w[o, i]))
        y = F32(s + b[o])
        if act:
            y = max(y, F32(0))
        if act == 2:
            y = min(y, F32(6))
        expect.append(y)
    same_bits(floats(mem, 32, 4), np.array(expect, F32))


def test_tensorflow_flatten_reorders_chw_to_hwc() -> None:
    c, h, w = 3, 2, 4
    x = np.arange(c * h * w, dtype=F32) * F32(1.5)
    mem = run_model(x, [(v3.TENSORFLOW_FLATTEN, u32(1, 96, 192, w, h, c))], 288, fc_out=96)
    expect = x.reshape(c, h, w).transpose(1, 2, 0).reshape(-1)
    same_bits(floats(mem, 192, c * h * w), expect)


def resize_spec(x: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    c, ih, iw = x.shape
    hs, ws = F32(ih) / F32(out_h), F32(iw) / F32(out_w)
    out = np.empty((c, out_h, out_w), x.dtype)
    for oy in range(out_h):
        iy = min(int(math.floor(F32(oy) * hs)), ih - 1)
        for ox in range(out_w):
            ix = min(int(math.floor(F32(ox) * ws)), iw - 1)
            out[:, oy, ox] = x[:, iy, ix]
    return out


@pytest.mark.parametrize("out_w, out_h", [(5, 4), (2, 1), (7, 3)])
def test_resize_nearest_neighbor(out_w: int, out_h: int) -> None:
    x = (np.arange(2 * 3 * 3, dtype=F32) + F32(0.5)).reshape(2, 3, 3)
    n = out_w * out_h * 2
    body = u32(1, 80, 160, 3, 3, 2, out_w, out_h, 1)
    mem = run_model(x.reshape(-1), [(v3.RESIZE_NEAREST_NEIGHBOR, body)], 160 + 4 * n + 8,
                    fc_out=80)
    same_bits(floats(mem, 160, n), resize_spec(x, out_w, out_h).reshape(-1))

    q = np.arange(18, dtype=F32).reshape(2, 3, 3) * F32(13)
    body = u32(1, 152, 176, 3, 3, 2, out_w, out_h, 0)
    mem = run_model(q.reshape(-1), [(v3.QUANTIZED_RESIZE_NEAREST_NEIGHBOR, body)],
                    176 + n + 8, fc_out=80, quantize_to=152)
    expect = resize_spec(q, out_w, out_h).reshape(-1).astype(int)
    assert mem[176:176 + n].tolist() == expect.tolist()


def pool_spec(x: np.ndarray, out_w: int, out_h: int, k: tuple[int, int], s: tuple[int, int],
              p: tuple[int, int], op: str) -> np.ndarray:
    c, ih, iw = x.shape
    out = np.zeros((c, out_h, out_w), F32)
    for ch in range(c):
        for oy in range(out_h):
            for ox in range(out_w):
                y0, x0 = oy * s[1] - p[1], ox * s[0] - p[0]
                vals = [x[ch, y, xx] for y in range(max(0, y0), min(ih, y0 + k[1]))
                        for xx in range(max(0, x0), min(iw, x0 + k[0]))]
                if op == "max":
                    out[ch, oy, ox] = max([F32(0)] + vals)
                else:
                    acc = F32(0)
                    for v in vals:
                        acc = F32(acc + v)
                    out[ch, oy, ox] = F32(acc / F32(len(vals)))
    return out


def test_quantized_max_pool_with_padding_and_stride() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, (2, 5, 5)).astype(F32)
    # in 5x5x2, kernel 3x3, stride 2, padding 1 (TF SAME) -> 3x3x2
    body = u32(1, 400, 456, 5, 5, 2, 3, 3, 2, 3, 3, 2, 2, 1, 1)
    mem = run_model(x.reshape(-1), [(v3.QUANTIZED_MAX_POOL2D, body)], 480, fc_out=200,
                    quantize_to=400)
    expect = pool_spec(x, 3, 3, (3, 3), (2, 2), (1, 1), "max").reshape(-1)
    assert mem[456:474].tolist() == expect.astype(int).tolist()


def test_quantized_max_pool_starts_from_zero() -> None:
    # a window entirely in the padding has no valid value: the result is the start value 0
    x = np.full((1, 2, 2), 9, F32)
    body = u32(1, 32, 40, 2, 2, 1, 3, 3, 1, 2, 2, 2, 2, 3, 3)
    mem = run_model(x.reshape(-1), [(v3.QUANTIZED_MAX_POOL2D, body)], 56, fc_out=16,
                    quantize_to=32)
    # padding 3 of a 3x3 window at stride 2: row and column 0 see only padding
    assert mem[40:49].tolist() == [0, 0, 0, 0, 9, 9, 0, 9, 9]
    expect = pool_spec(x, 3, 3, (3, 3), (2, 2), (3, 3), "max").reshape(-1)
    assert mem[40:49].tolist() == expect.astype(int).tolist()


@pytest.mark.parametrize("layer", [
    (v3.TENSORFLOW_FLATTEN, u32(1, 96, 192, 0, 0xFFFFFFFF, 3)),
    (v3.TENSORFLOW_FLATTEN, u32(1, 96, 192, 0xFFFFFFFF, 0xFFFFFFFF, 0)),
    (v3.QUANTIZED_MAX_POOL2D, u32(1, 96, 192, 4, 4, 2, 0, 0xFFFFFFFF, 2, 3, 3, 2, 2, 1, 1)),
    (v3.AVERAGE_POOL2D, u32(1, 96, 192, 2, 2, 2, 0xFFFFFFFF, 0, 2, 3, 3, 2, 2, 1, 1, 0)),
])
def test_layers_with_an_empty_output_write_nothing(layer: tuple[int, bytes]) -> None:
    # valid (0 bytes out), and must return at once: walking 2^32 empty rows or channels was a
    # fuzzer-found hang
    x = np.arange(24, dtype=F32)
    before = run_model(x, [], 288, fc_out=96)
    assert run_model(x, [layer], 288, fc_out=96).tolist() == before.tolist()


def test_average_pool_divides_by_valid_taps_and_ignores_act() -> None:
    x = np.linspace(-5, 5, 2 * 4 * 5).astype(F32).reshape(2, 4, 5)
    # in 5x4x2, kernel 2x3, stride 2x1, padding 1x1 -> 3x4x2; act = 1 (RELU) is not applied
    body = u32(1, 160, 320, 5, 4, 2, 3, 4, 2, 2, 3, 2, 1, 1, 1, 1)
    mem = run_model(x.reshape(-1), [(v3.AVERAGE_POOL2D, body)], 416, fc_out=160)
    expect = pool_spec(x, 3, 4, (2, 3), (2, 1), (1, 1), "avg").reshape(-1)
    got = floats(mem, 320, 24)
    same_bits(got, expect)
    assert np.any(got < 0)


# ---- byte layers ------------------------------------------------------------------------------


def test_concat_copies_the_ranges_as_given() -> None:
    x = np.arange(1, 9, dtype=F32)
    # two f32 ranges of 12 and 8 bytes (sizes as the file says, not element counts)
    body = u32(1, 96, 2, 32, 12, 48, 8)
    mem = run_model(x, [(v3.CONCAT, body)], 128, fc_out=32)
    assert mem[96:116].tobytes() == mem[32:44].tobytes() + mem[48:56].tobytes()
    assert mem[116:128].tolist() == [0] * 12

    q = np.arange(10, 26, dtype=F32)
    body = u32(1, 48, 3, 32, 3, 40, 5, 33, 2)
    mem = run_model(q, [(v3.QUANTIZED_CONCAT, body)], 160, fc_out=96, quantize_to=32)
    assert mem[48:58].tolist() == [10, 11, 12, 18, 19, 20, 21, 22, 11, 12]


def test_k210_remove_padding_takes_pixel_zero_of_each_channel() -> None:
    q = np.arange(48, dtype=F32) * F32(5)
    mem = run_model(q, [(v3.K210_REMOVE_PADDING, u32(1, 384, 432, 3))], 440, fc_out=192,
                    quantize_to=384)
    assert mem[432:435].tolist() == [0, 80, 160]


def cs(v: int, s: int) -> int:
    """kpu_carry_shift as the spec (4.7) defines it."""
    if s == 0:
        return v
    t = v >> (s - 1)
    if t % 2 == 0:
        return t >> 1
    return (t >> 1) + 1 if t >= 0 else (t >> 1) - 1


def qadd_spec(a: int, b: int, p: Sequence[int]) -> int:
    ao, am, ash, bo, bm, bsh, oo, om, osh = p
    if ash == bsh:
        v = ((a + ao) * am + (b + bo) * bm) >> ash
    else:
        v = (((a + ao) * am) >> ash) + (((b + bo) * bm) >> bsh)
    v = cs(v * om, osh) + oo
    return min(255, max(0, v))


@pytest.mark.parametrize("params", [
    (0, 1, 0, 0, 1, 0, 0, 1, 0),                                 # plain a + b
    (-128, 3, 2, -7, 5, 2, 11, 7, 3),                            # equal shifts
    (-128, 1 << 20, 21, -30, 1 << 19, 18, 40, 1581, 11),         # different shifts
    (-200, 13, 1, -200, 9, 1, 128, -3, 1),                       # CS on negatives
    (5, -2147483648, 30, 0, 2147483647, 31, -5, 123456789, 31),  # 32-bit muls
])
def test_quantized_add_in_groups_of_eight(params: tuple[int, ...]) -> None:
    a = [0, 1, 2, 127, 128, 200, 254, 255, 9, 99, 17]
    b = [255, 254, 0, 128, 3, 77, 1, 100, 50, 60, 70]
    count = 5  # kpu.c computes ceil(5/8)*8 = 8 elements
    x = np.array(a[:8] + b[:8], F32)
    body = u32(1, 128, 136, 144, count, *params)
    mem = run_model(x, [(v3.QUANTIZED_ADD, body)], 160, fc_out=64, quantize_to=128)
    expect = [qadd_spec(a[i], b[i], params) for i in range(8)]
    assert mem[144:152].tolist() == expect
    assert mem[152:160].tolist() == [0] * 8  # nothing past the group


def test_carry_shift_reference_matches_the_spec_examples() -> None:
    # the spec's own numbers: CS is not a rounding for negative values
    assert (cs(-1, 1), cs(-5, 2), cs(5, 1), cs(6, 2), cs(7, 0)) == (-2, -3, 3, 2, 7)


def test_layer_output_read_back_and_shapes() -> None:
    """kpu_model_read_layer_output of a CPU layer (main memory) and its tensor info."""
    c, h, w = 2, 3, 4
    x = np.arange(c * h * w, dtype=F32)
    layers = [(v3.TENSORFLOW_FLATTEN, u32(1, 96, 192, w, h, c)),
              (v3.SOFTMAX, u32(1, 192, 288, 24))]
    chain = [(v3.FULLY_CONNECTED, identity_fc(24, 0, 96))] + layers
    data = v3.v3_file(chain, main_mem=384, outputs=[(288, 96)])
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    d = ffi.new("kpu_diag_t*")
    buf = ffi.new("uint8_t[]", 96)
    n = ffi.new("size_t*")
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 1, -1, buf, 96, n, d) == \
        lib.KPU_ERR_STATE  # not run yet
    xb = x.tobytes()
    assert lib.kpu_model_run(m, ffi.NULL, xb, len(xb), 1, d) == lib.KPU_OK
    assert lib.kpu_model_last_run_layer(m) == 1
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 2, -1, buf, 96, n, d) == \
        lib.KPU_ERR_STATE
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 1, -1, buf, 96, n, d) == lib.KPU_OK
    same_bits(np.frombuffer(bytes(ffi.buffer(buf, n[0])), "<f4"),
              x.reshape(c, h, w).transpose(1, 2, 0).reshape(-1))
    info = ffi.new("kpu_tensor_info_t*")
    lib.kpu_model_layer_output_info(m, 1, info, d)
    assert (info.w, info.h, info.c, info.dtype, info.size) == (24, 1, 1, 1, 96)
    assert lib.kpu_model_run(m, ffi.NULL, xb, len(xb), -1, d) == lib.KPU_OK
    # layer 0's output (main 96..192) was not overwritten by layers 1 and 2: still readable
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 0, 0, buf, 96, n, d) == lib.KPU_OK
    assert n[0] == 96
    assert struct.unpack("<24f", bytes(ffi.buffer(buf, 96))) == tuple(x.tolist())
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 0, 1, buf, 96, n, d) == \
        lib.KPU_ERR_INDEX
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 2, -1, buf, 95, n, d) == lib.KPU_ERR_SIZE
    v3.free(m)


def test_overwritten_layer_output_is_refused() -> None:
    # SOFTMAX in place over the FC output: layer 0's output is gone after layer 1
    chain = [(v3.FULLY_CONNECTED, identity_fc(4, 0, 16)), (v3.SOFTMAX, u32(1, 16, 16, 4))]
    st, diag, m = v3.load(v3.v3_file(chain, main_mem=32))
    assert st == "KPU_OK", v3.text(diag)
    d = ffi.new("kpu_diag_t*")
    xb = np.arange(4, dtype=F32).tobytes()
    assert lib.kpu_model_run(m, ffi.NULL, xb, 16, -1, d) == lib.KPU_OK
    buf = ffi.new("uint8_t[]", 16)
    n = ffi.new("size_t*")
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 0, -1, buf, 16, n, d) == \
        lib.KPU_ERR_STATE
    assert "overwritten by layer 1" in v3.text(d)
    v3.free(m)


def test_first_layer_must_take_the_input() -> None:
    data = v3.v3_file([(v3.SOFTMAX, u32(1, 0, 16, 4))], main_mem=32)
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    d = ffi.new("kpu_diag_t*")
    xb = bytes(16)
    assert lib.kpu_model_run(m, ffi.NULL, xb, 16, -1, d) == lib.KPU_ERR_FIRST_LAYER
    assert "SOFTMAX" in v3.text(d)
    assert lib.kpu_status_maixpy_code(lib.KPU_ERR_FIRST_LAYER) == 2007
    info = ffi.new("kpu_tensor_info_t*")
    assert lib.kpu_model_input_info(m, info, d) == lib.KPU_ERR_FIRST_LAYER
    assert lib.kpu_model_run(m, ffi.NULL, xb, 16, 1, d) == lib.KPU_ERR_INDEX
    v3.free(m)
