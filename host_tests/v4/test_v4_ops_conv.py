"""V4 convolution-like nodes (spec A3) against references written from the spec text: float
conv2d (NCHW, groups, padding, stride, dilation), conv2d_transpose (bias read, never added),
reduce_window2d (NCHW) and the NHWC cpu_conv2d / cpu_depthwise_conv2d / cpu_reduce_window2d,
plus nnil_unary_method byte code (A4). Float sums run in the spec's order, compared bit for
bit."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from host_tests.v4.v4_files import FLT_MAX, act, f32, i32, shape, u32
from host_tests.v4.v4_ops_common import as_f32, clamp, f, in_range, libm, out_range, run_node

RNG = np.random.default_rng(11)


def rand(*dims: int) -> np.ndarray:
    return RNG.uniform(-2, 2, dims).astype(np.float32)


def out_size(i: int, before: int, after: int, k: int, d: int, s: int) -> int:
    return (i + before + after - ((k - 1) * d + 1) + s) // s


def window(pads: tuple[int, int, int, int], k: tuple[int, int], s: tuple[int, int],
           d: tuple[int, int]) -> bytes:
    return i32(*pads) + i32(k[0], k[1], s[0], s[1], d[0], d[1])


GEOMETRY = dict(pads=(1, 1, 2, 0), k=(3, 2), s=(2, 1), d=(1, 2))


def conv_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray, groups: int, pads: tuple, k: tuple,
             s: tuple, d: tuple, lo: float, hi: float) -> np.ndarray:
    n, ic, ih, iw = x.shape
    oc = w.shape[0]
    oh = out_size(ih, pads[0], pads[1], k[0], d[0], s[0])
    ow = out_size(iw, pads[2], pads[3], k[1], d[1], s[1])
    icg, ocg = ic // groups, oc // groups
    out = np.zeros((n, oc, oh, ow), np.float32)
    for bi, o, oy, ox in itertools.product(range(n), range(oc), range(oh), range(ow)):
        g = o // ocg
        v = b[o]
        for c, ky, kx in itertools.product(range(icg), range(k[0]), range(k[1])):
            y = oy * s[0] - pads[0] + ky * d[0]
            xx = ox * s[1] - pads[2] + kx * d[1]
            if 0 <= y < ih and 0 <= xx < iw:
                v = f(v + f(x[bi, g * icg + c, y, xx] * w[o, c, ky, kx]))
        out[bi, o, oy, ox] = clamp(v, lo, hi)
    return out


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_nchw(groups: int) -> None:
    x = rand(2, 4, 5, 6)
    w, b = rand(4, 4 // groups, 3, 2), rand(4)
    want = conv_ref(x, w, b, groups, **GEOMETRY, lo=-1.0, hi=2.0)
    out = out_range(want.nbytes, start=2048)
    body = in_range(x).pack() + out.pack() + shape(2, 4, 5, 6) + i32(groups, 4) + \
        window(**GEOMETRY) + act(-1.0, 2.0) + w.tobytes() + b.tobytes()
    assert run_node("conv2d", body, x, out) == want.tobytes()


def test_cpu_conv2d_nhwc() -> None:
    x = rand(1, 5, 6, 3)  # N H W C
    w, b = rand(4, 3, 2, 3), rand(4)  # [oc][kh][kw][ic]
    # the same arithmetic as NCHW, with the input-channel sum innermost
    oh = out_size(5, 1, 1, 3, 1, 2)
    ow = out_size(6, 2, 0, 2, 2, 1)
    want = np.zeros((1, oh, ow, 4), np.float32)
    for oy, ox, o in itertools.product(range(oh), range(ow), range(4)):
        v = b[o]
        for ky, kx in itertools.product(range(3), range(2)):
            y, xx = oy * 2 - 1 + ky, ox - 2 + kx * 2
            if 0 <= y < 5 and 0 <= xx < 6:
                for c in range(3):
                    v = f(v + f(x[0, y, xx, c] * w[o, ky, kx, c]))
        want[0, oy, ox, o] = clamp(v, -FLT_MAX, FLT_MAX)
    out = out_range(want.nbytes, start=2048)
    body = in_range(x).pack() + out.pack() + shape(1, 5, 6, 3) + i32(4) + \
        window(**GEOMETRY) + act() + w.tobytes() + b.tobytes()
    assert run_node("cpu_conv2d", body, x, out) == want.tobytes()


def test_cpu_depthwise_conv2d_nhwc() -> None:
    x = rand(1, 4, 4, 3)
    w, b = rand(3, 3, 2), rand(3)  # [c][kh][kw]
    oh, ow = out_size(4, 1, 1, 3, 1, 2), out_size(4, 2, 0, 2, 2, 1)
    want = np.zeros((1, oh, ow, 3), np.float32)
    for oy, ox, c in itertools.product(range(oh), range(ow), range(3)):
        v = b[c]
        for ky, kx in itertools.product(range(3), range(2)):
            y, xx = oy * 2 - 1 + ky, ox - 2 + kx * 2
            if 0 <= y < 4 and 0 <= xx < 4:
                v = f(v + f(x[0, y, xx, c] * w[c, ky, kx]))
        want[0, oy, ox, c] = clamp(v, 0.0, 1.0)
    out = out_range(want.nbytes, start=2048)
    body = in_range(x).pack() + out.pack() + shape(1, 4, 4, 3) + window(**GEOMETRY) + \
        act(0.0, 1.0) + w.tobytes() + b.tobytes()
    assert run_node("cpu_depthwise_conv2d", body, x, out) == want.tobytes()


@pytest.mark.parametrize("clamped", [False, True])
def test_conv2d_transpose_leaves_out_the_bias(clamped: bool) -> None:
    x = rand(1, 2, 3, 3)
    w, b = rand(4, 1, 3, 2), rand(4)  # groups 2: [oc][ic/groups][kh][kw]
    oshape = (1, 4, 7, 6)
    pads, k, s, d = (1, 0, 0, 1), (3, 2), (2, 2), (1, 1)
    want = np.zeros(oshape, np.float32)
    for g, c, iy, ix in itertools.product(range(2), range(1), range(3), range(3)):
        v = x[0, g + c, iy, ix]
        for o, ky, kx in itertools.product(range(g * 2, g * 2 + 2), range(3), range(2)):
            oy, ox = iy * s[0] - pads[0] + d[0] * ky, ix * s[1] - pads[2] + d[1] * kx
            if 0 <= oy < 7 and 0 <= ox < 6:
                want[0, o, oy, ox] = f(want[0, o, oy, ox] + f(v * w[o, c, ky, kx]))
    lo, hi = (-0.5, 0.5) if clamped else (-FLT_MAX, FLT_MAX)
    want = np.clip(want, np.float32(lo), np.float32(hi))
    out = out_range(want.nbytes, start=2048)
    body = in_range(x).pack() + out.pack() + shape(1, 2, 3, 3) + shape(*oshape) + i32(2) + \
        window(pads, k, s, d) + act(lo, hi) + w.tobytes() + b.tobytes()
    assert run_node("conv2d_transpose", body, x, out) == want.tobytes()


def pool_ref(x: np.ndarray, op: int, init: float, pads: tuple, k: tuple, s: tuple, d: tuple,
             nhwc: bool) -> np.ndarray:
    xs = np.moveaxis(x, 3, 1) if nhwc else x
    n, ch, ih, iw = xs.shape
    oh = out_size(ih, pads[0], pads[1], k[0], d[0], s[0])
    ow = out_size(iw, pads[2], pads[3], k[1], d[1], s[1])
    out = np.zeros((n, ch, oh, ow), np.float32)
    for b, c, oy, ox in itertools.product(range(n), range(ch), range(oh), range(ow)):
        v, taps = f(init), 0
        for ky, kx in itertools.product(range(k[0]), range(k[1])):
            y, xx = oy * s[0] - pads[0] + ky * d[0], ox * s[1] - pads[2] + kx * d[1]
            if 0 <= y < ih and 0 <= xx < iw:
                t = xs[b, c, y, xx]
                v = min(v, t) if op == 1 else max(v, t) if op == 2 else f(v + t)
                taps += 1
        out[b, c, oy, ox] = f(v / f(taps)) if op == 0 else v
    return np.ascontiguousarray(np.moveaxis(out, 1, 3)) if nhwc else out


@pytest.mark.parametrize("node, op, init", [("reduce_window2d", 0, 0.0),
                                            ("reduce_window2d", 2, -FLT_MAX),
                                            ("reduce_window2d", 3, 0.25),
                                            ("cpu_reduce_window2d", 0, 0.0),
                                            ("cpu_reduce_window2d", 1, FLT_MAX)])
def test_reduce_window2d(node: str, op: int, init: float) -> None:
    nhwc = node.startswith("cpu")
    x = rand(1, 5, 6, 3) if nhwc else rand(1, 3, 5, 6)
    want = pool_ref(x, op, init, **GEOMETRY, nhwc=nhwc)
    out = out_range(want.nbytes, start=2048)
    body = in_range(x).pack() + out.pack() + u32(op) + shape(*x.shape) + window(**GEOMETRY) + \
        f32(init) + act()
    assert run_node(node, body, x, out) == want.tobytes()


# ---- nnil_unary_method -------------------------------------------------------------------------


def test_nnil_program() -> None:
    x = np.array([-3, -0.2, 0.1, 0.7, 1.9, 4], np.float32)
    code = bytes([0x03, 0x06]) + f32(2.0) + bytes([0x42, 0x05, 0x40,   # x * 2 + 1
                                                   0x01, 0x23, 0x41,   # dup, exp, sub
                                                   0x04, 0x06]) + f32(5.0) + \
        bytes([0x80, 0xA0, 0x00, 0x07])  # clamp(v, 0, 5), ret; bytes after ret are ignored
    want = []
    for v in x:
        t = f(f(v * f(2.0)) + f(1.0))
        t = f(t - libm("expf", t))
        want.append(clamp(t, 0.0, 5.0))
    # and one that uses every remaining instruction once
    out = out_range(x.nbytes)
    got = run_node("nnil_unary_method", in_range(x).pack() + out.pack() + code, x, out)
    assert got == np.array(want, np.float32).tobytes()


NNIL_UNARY = {0x20: np.abs, 0x21: np.ceil, 0x22: lambda v: libm("cosf", v),
              0x24: np.floor, 0x26: np.negative, 0x28: lambda v: libm("sinf", v),
              0x29: lambda v: f(v * v)}


@pytest.mark.parametrize("op", sorted(NNIL_UNARY))
def test_nnil_unary_instructions(op: int) -> None:
    x = np.array([-2.5, -0.5, 0.25, 3.5], np.float32)
    out = out_range(x.nbytes)
    code = bytes([0x00, 0x03, 0x01, 0x02, op, 0xA0])  # nop, lda, dup, pop, op, ret
    got = as_f32(run_node("nnil_unary_method", in_range(x).pack() + out.pack() + code, x, out))
    assert got.tobytes() == np.array([NNIL_UNARY[op](v) for v in x], np.float32).tobytes()


@pytest.mark.parametrize("op, fn", [(0x43, np.divide), (0x44, np.minimum), (0x45, np.maximum)])
def test_nnil_binary_instructions(op: int, fn) -> None:
    x = np.array([-2.5, -0.5, 0.25, 3.5], np.float32)
    out = out_range(x.nbytes)
    code = bytes([0x03]) + bytes([0x06]) + f32(0.75) + bytes([op, 0xA0])
    got = run_node("nnil_unary_method", in_range(x).pack() + out.pack() + code, x, out)
    assert got == fn(x, np.float32(0.75)).astype(np.float32).tobytes()
