"""Hypothesis strategies for KPU layers inside the spec's defined domain, shared by the tests that
compare the C core with the NumPy reference (host_tests/reference/kpu_ref.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from host_tests.reference import kpu_ref
from maixkpu.kmodel import ActSegment, ActTable, BatchNorm, KpuConv
from maixkpu.kmodel.layout import POOL_STRIDE


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
    if not depthwise:
        oc = limit_oc(oc, ic, kernel, w * h)
    return Shape(w, h, ic, oc, kernel, depthwise, pool)


def limit_oc(oc: int, ic: int, kernel: int, pixels: int) -> int:
    """Caps oc so the C and NumPy work per example stays small and the weights need at most
    64 loads (load_time has 6 bits; one load holds 30 KiB of 8-bit or 60 KiB of 16-bit weights)."""
    per_load = max(1, 30 * 1024 // (ic * kernel * kernel))
    return max(1, min(oc, 4_000_000 // (ic * kernel * kernel * pixels), 64 * per_load))


def make_input(rng: np.random.Generator, style: int, shape: tuple[int, ...]) -> np.ndarray:
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


def weights_bytes(conv: KpuConv) -> bytes:
    w = np.asarray(conv.weights).reshape(-1)
    return w.tobytes() if w.dtype == np.uint8 else w.astype("<u2").tobytes()
