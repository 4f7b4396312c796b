"""The C core (loader, runtime, software KPU) against the NumPy reference, bit for bit.

Hypothesis draws single-layer and short multi-layer models, the project's writer builds the
kmodel, the C core runs it through maixkpu.core, and every layer output, the main-memory output
and the whole 2 MiB KPU RAM image must equal what host_tests/reference/kpu_ref.py computes.
Tables are drawn relative to the layer's actual accumulator and batch-norm values so outputs
spread over 0..255 instead of saturating.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from maixkpu.kmodel import ActSegment, ActTable, BatchNorm, KpuConv, ModelBuilder
from maixkpu.kmodel.layout import POOL_STRIDE

from host_tests.reference import kpu_ref

core = pytest.importorskip("maixkpu.core", reason="the cffi core extension is not built")

ROUNDINGS = {"v0.2": "v02", "v0.1": "v01"}
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]


@dataclass
class Shape:
    w: int
    h: int
    ic: int
    oc: int
    kernel: int
    depthwise: bool
    pool: int


@st.composite
def shapes(draw: st.DrawFn, ic: int | None = None, w: int | None = None,
           h: int | None = None) -> Shape:
    kernel = draw(st.sampled_from([1, 3]))
    depthwise = draw(st.booleans())
    pool = draw(st.integers(0, 9))
    stride = POOL_STRIDE[pool]
    wide = draw(st.sampled_from(["small", "wide", "tall", "deep"]))
    lim_w, lim_h, lim_c = {"small": (16, 8, 16), "wide": (100, 12, 8), "tall": (16, 64, 4),
                           "deep": (6, 5, 1024)}[wide]
    if w is None:
        w = draw(st.integers(stride, max(stride, lim_w)))
    if h is None:
        h = draw(st.integers(stride, max(stride, lim_h)))
    if w < stride or h < stride:
        pool = 0
    if ic is None:
        ic = draw(st.integers(1, lim_c))
    oc = ic if depthwise else draw(st.integers(1, lim_c))
    if not depthwise:  # keep the C and NumPy work per example small
        oc = max(1, min(oc, 4_000_000 // (ic * kernel * kernel * w * h)))
    return Shape(w, h, ic, oc, kernel, depthwise, pool)


def _input(rng: np.random.Generator, style: int, shape: tuple[int, ...]) -> np.ndarray:
    if style == 0:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    if style == 1:
        return (rng.integers(0, 2, shape) * 255).astype(np.uint8)
    return np.full(shape, 255 if style == 2 else 0, np.uint8)


def draw_conv(data: st.DataObject, s: Shape, x: np.ndarray, eight_bit: bool) -> KpuConv:
    """A layer inside the spec's defined domain (|ACC|, |B| < 2**35, spec 4.2-4.3; beyond it
    the hardware is unknown and the core saturates) whose activation segments sit among its
    actual B values."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    taps = s.kernel**2 * (1 if s.depthwise else s.ic)
    # Largest weight such that S = sum(x·w) alone stays under 2**33.
    wmax = min(255 if eight_bit else 65535, (1 << 33) // (255 * taps))
    n_w = s.oc * taps
    w_style = data.draw(st.integers(0, 3), label="weight style")
    weights = [rng.integers(0, wmax + 1, n_w), np.full(n_w, wmax), np.zeros(n_w, int),
               rng.integers(0, 2, n_w) * wmax][w_style].astype(np.uint8 if eight_bit else np.uint16)
    # Each offset term gets a third of the remaining room; the limits are drawn too.
    room = ((1 << 35) - 1 - 255 * wmax * taps) // 3
    g_ic = 1 if s.depthwise else s.ic
    shr_x = data.draw(st.integers(0, 15), label="shr_x")
    shr_w = data.draw(st.integers(0, 15), label="shr_w")
    lim_x = min((1 << 23) - 1, (room << shr_x) // (255 * taps))
    lim_w = min((1 << 23) - 1, (room << shr_w) // max(1, wmax * taps))
    lim_add = min((1 << 39) - 1, room // g_ic)
    conv = KpuConv(
        s.w, s.h, s.ic, s.oc, weights, kernel=s.kernel, depthwise=s.depthwise, pool=s.pool,
        pad_value=data.draw(st.integers(0, 255), label="pad"),
        arg_x=data.draw(st.integers(-lim_x, lim_x), label="arg_x"), shr_x=shr_x,
        arg_w=data.draw(st.integers(-lim_w, lim_w), label="arg_w"), shr_w=shr_w,
        arg_add=data.draw(st.integers(-lim_add, lim_add), label="arg_add"),
    )
    arg = conv.layer_arg(0, 0).encode()
    acc = kpu_ref.accumulate(x, arg, weights.tobytes() if eight_bit else
                             weights.astype("<u2").tobytes(), eight_bit)
    max_acc = int(np.abs(acc).max()) + 1
    assert max_acc <= 1 << 35  # the limits above guarantee it
    shift = rng.integers(0, 16, s.oc)
    limit = np.minimum((1 << 23) - 1, (np.int64(1) << (34 + shift)) // max_acc)
    mul = np.floor(rng.uniform(-1, 1, s.oc) * (limit + 1)).astype(np.int64).clip(-limit, limit)
    add = rng.integers(-(1 << 31), 1 << 31, s.oc)
    if data.draw(st.booleans(), label="small add"):
        add = rng.integers(-1000, 1000, s.oc)
    conv.bn = BatchNorm(mul, shift, add)
    b = kpu_ref.batch_norm(acc, conv.bn.encode()).reshape(-1)
    lo, hi = int(b.min()), int(b.max())
    segs = [ActSegment(-(1 << 35), data.draw(st.integers(-8, 8), label="mul0"), 0,
                       data.draw(st.integers(0, 255), label="add0"))]
    for _ in range(15):
        if data.draw(st.integers(0, 3), label="x_start kind"):
            xs = int(b[rng.integers(0, b.size)])  # exactly a B value: '<' versus '<='
        else:
            xs = int(rng.integers(-(1 << 35) + 1, 1 << 35))
        ymul = int(rng.integers(-(1 << 15), 1 << 15))
        span = max(1, (hi - lo) * abs(ymul))
        sh = int(np.clip(span.bit_length() - 8 + rng.integers(-3, 4), 0, 43))
        segs.append(ActSegment(xs, ymul, sh, int(rng.integers(0, 256))))
    if data.draw(st.booleans(), label="sorted"):
        segs[1:] = sorted(segs[1:], key=lambda seg: seg.x_start)
    conv.act = ActTable(segs)
    return conv


def _weights_bytes(conv: KpuConv) -> bytes:
    w = np.asarray(conv.weights).reshape(-1)
    return w.tobytes() if w.dtype == np.uint8 else w.astype("<u2").tobytes()


def run_and_compare(convs: list[KpuConv], x: np.ndarray, rounding: str, eight_bit: bool,
                    garbage_seed: int | None) -> None:
    b = ModelBuilder(eight_bit=eight_bit)
    maps = [b.kpu_input(convs[0].in_w, convs[0].in_h, convs[0].ic)]
    for conv in convs:
        maps.append(b.conv(conv, maps[-1]))
    b.output(maps[-1].main)  # type: ignore[arg-type]
    model_bytes = b.build()

    soft = core.SoftKpu(rounding)
    ram = kpu_ref.new_ram()
    if garbage_seed is not None:  # bytes the layers must not touch stay as they were
        ram[:] = np.random.default_rng(garbage_seed).integers(0, 256, ram.size, dtype=np.uint8)
        soft.write_ram(0, ram.tobytes())
    kpu_ref.write_map(ram, maps[0].address, x)  # type: ignore[arg-type]
    expected = []
    for conv, src, dst in zip(convs, maps, maps[1:]):
        layer = conv.to_layer(src.address, dst.address, 0)
        expected.append(kpu_ref.run_layer(
            ram, layer.arg.encode(), _weights_bytes(conv), layer.bn.encode(),
            layer.act.encode(), eight_bit, ROUNDINGS[rounding]))

    model = core.Model.load(model_bytes)
    try:
        model.run(x, backend=soft)
        got_ram = soft.read_ram()
        diff = np.flatnonzero(got_ram != ram)
        assert diff.size == 0, f"KPU RAM differs at {diff.size} bytes, first {diff[:8].tolist()}"
        out = np.frombuffer(model.output(0).tobytes(), np.uint8)[: expected[-1].size]
        assert np.array_equal(out, expected[-1].reshape(-1)), "main-memory output"
        for i, want in reversed(list(enumerate(expected))):
            if i < len(expected) - 1:  # later layers may reuse its memory: stop after it
                model.run(x, last_layer=i, backend=soft)
            got = model.layer_output(i)
            assert got.shape == want.shape
            assert np.array_equal(got, want), f"layer {i}: {np.count_nonzero(got != want)} bytes"
    finally:
        model.close()
        soft.close()


@settings(max_examples=120, deadline=None, suppress_health_check=HEALTH)
@given(st.data(), shapes(), st.sampled_from(list(ROUNDINGS)), st.booleans(),
       st.integers(0, 3), st.booleans())
def test_single_layer(data: st.DataObject, s: Shape, rounding: str, eight_bit: bool,
                      input_style: int, garbage: bool) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="input seed"))
    x = _input(rng, input_style, (s.ic, s.h, s.w))
    conv = draw_conv(data, s, x, eight_bit)
    conv.main_out = True
    run_and_compare([conv], x, rounding, eight_bit, 1 if garbage else None)


@settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
@given(st.data(), st.integers(2, 3), st.sampled_from(list(ROUNDINGS)))
def test_short_chains(data: st.DataObject, n_layers: int, rounding: str) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="input seed"))
    s = data.draw(shapes(), label="layer 0")
    x = _input(rng, 0, (s.ic, s.h, s.w))
    convs, cur = [], x
    for i in range(n_layers):
        if i:
            s = data.draw(shapes(ic=cur.shape[0], w=cur.shape[2], h=cur.shape[1]),
                          label=f"layer {i}")
        conv = draw_conv(data, s, cur, True)
        conv.main_out = i == n_layers - 1 or data.draw(st.booleans(), label="main out")
        convs.append(conv)
        layer = conv.to_layer(0, 0, 0)
        cur = kpu_ref.compute_layer(cur, layer.arg.encode(), _weights_bytes(conv),
                                    layer.bn.encode(), layer.act.encode(), True,
                                    ROUNDINGS[rounding])
    run_and_compare(convs, x, rounding, True, None)


@pytest.mark.parametrize("width", [1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100])
@pytest.mark.parametrize("rounding", list(ROUNDINGS))
def test_layout_boundaries(width: int, rounding: str) -> None:
    """Every width where the KPU RAM layout changes, with a map ending at the last line."""
    rng = np.random.default_rng(width)
    x = rng.integers(0, 256, (5, 3, width), dtype=np.uint8)
    w = rng.integers(0, 256, 5 * 5 * 9).astype(np.uint8)
    act = ActTable([ActSegment(-(1 << 35), 0, 0, 0)]
                   + [ActSegment(i * 40_000 - 300_000, 3 - i % 7, 12, 17 * i) for i in range(15)])
    lines = int(kpu_ref.map_addresses(0, width, 3, 5).max()) // 64 + 1
    conv = KpuConv(width, 3, 5, 5, w, pad_value=7, arg_x=-3 << 10, shr_x=10, arg_w=-100,
                   arg_add=1000, bn=BatchNorm.identity(5, -50_000), act=act, main_out=True,
                   in_addr=0, out_addr=32768 - lines)
    run_and_compare([conv], x, rounding, True, 3)
