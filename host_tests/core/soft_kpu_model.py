"""A small model of one KPU layer written from the text of the spec (kmodel-v3-and-kpu.md
sections 3-5), for the software-KPU tests: layouts, arithmetic, pooling, and job encoding."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

# -- section 5: KPU RAM layout ---------------------------------------------------------------


def map_offsets(c: int, h: int, w: int) -> np.ndarray:
    """Byte offset of every pixel (c, y, x) from the start of the map."""
    if w <= 16:
        groups, row_len = 4, 1
    elif w <= 32:
        groups, row_len = 2, 1
    else:
        groups, row_len = 1, (w + 63) // 64
    cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    return (cc // groups) * row_len * h * 64 + (cc % groups) * (64 // groups) + \
        yy * row_len * 64 + xx


# -- section 4: reference arithmetic ----------------------------------------------------------


def rne_buggy(v: int, s: int) -> int:
    if s == 0:
        return v
    i, f, h = v >> s, v & ((1 << s) - 1), 1 << (s - 1)
    sg = -1 if v < 0 else 1
    if f < h:
        return i
    if f > h:
        return i + sg
    return i + sg if i & 1 else i


def carry_shift(v: int, s: int) -> int:
    if s == 0:
        return v
    t = v >> (s - 1)
    if t % 2 == 0:
        return t >> 1
    return (t >> 1) + 1 if t >= 0 else (t >> 1) - 1


@dataclass
class Seg:
    x_start: int
    y_mul: int
    shift: int
    add: int


@dataclass
class Layer:
    """A KPU layer with its tables; the defaults describe a plain 1x1 layer."""

    ic: int
    oc: int
    iw: int
    ih: int
    weights: np.ndarray                   # (oc, ic or 1, k, k), unsigned
    bn: list[tuple[int, int, int]]        # (norm_mul, norm_add, norm_shift) per output channel
    act: list[Seg]
    k: int = 1
    dw: bool = False
    pool: int = 0
    pad_value: int = 0
    arg_x: int = 0
    shr_x: int = 0
    arg_w: int = 0
    shr_w: int = 0
    arg_add: int = 0
    src_line: int = 0
    dst_line: int = 16384
    eight_bit: bool = True
    kernel_type: int | None = None        # raw field override (invalid-job tests)
    pool_type: int | None = None
    out_size: tuple[int, int] | None = None
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def stride(self) -> int:
        return {0: 1, 8: 1, 9: 1, 1: 2, 2: 2, 5: 2, 6: 2, 3: 4, 4: 4, 7: 4}[self.pool]

    @property
    def ow(self) -> int:
        return self.out_size[0] if self.out_size else self.iw // self.stride

    @property
    def oh(self) -> int:
        return self.out_size[1] if self.out_size else self.ih // self.stride


def activation(b: int, segs: list[Seg], v01: bool) -> int:
    chosen = 0
    for i in range(15, -1, -1):
        if (segs[i].x_start <= b) if v01 else (segs[i].x_start < b):
            chosen = i
            break
    seg = segs[chosen]
    v = (b - seg.x_start) * seg.y_mul
    y = (carry_shift(v, seg.shift) if v01 else rne_buggy(v, seg.shift)) + seg.add
    return min(max(y, 0), 255)


def pool(a: np.ndarray, kind: int) -> np.ndarray:
    """Section 4.5 on one H x W plane."""
    h, w = a.shape
    a = a.astype(np.int64)
    if kind == 0:
        return a
    if kind in (1, 2, 3, 4):
        n = 2 if kind in (1, 2) else 4
        win = a[: h // n * n, : w // n * n].reshape(h // n, n, w // n, n)
        return win.max(axis=(1, 3)) if kind in (1, 3) else win.sum(axis=(1, 3)) // (n * n)
    if kind in (5, 6, 7):
        n = 4 if kind == 7 else 2
        return a[0: h // n * n: n, (1 if kind == 6 else 0)::n][:, : w // n]
    yy = np.minimum(np.arange(h) + 1, h - 1)
    xx = np.minimum(np.arange(w) + 1, w - 1)
    if kind == 8:  # clamped indices, divisor 4
        return (a + a[:, xx] + a[yy] + a[yy][:, xx]) // 4
    z = np.zeros_like(a)  # kind 9: taps past the edge count as 0
    right = np.where(np.arange(w) + 1 < w, a[:, xx], z)
    down = np.where((np.arange(h) + 1 < h)[:, None], a[yy], z)
    diag = np.where((np.arange(h) + 1 < h)[:, None], right[yy], z)
    return np.maximum.reduce([a, right, down, diag])


def reference(layer: Layer, x: np.ndarray, v01: bool = False) -> np.ndarray:
    """Sections 4.2-4.5 for input x (IC, IH, IW) -> (OC, OH, OW) uint8."""
    p = (layer.k - 1) // 2
    xp = np.pad(x.astype(np.int64), ((0, 0), (p, p), (p, p)), constant_values=layer.pad_value)
    g_ic = 1 if layer.dw else layer.ic
    out = []
    for o in range(layer.oc):
        chans = [o] if layer.dw else range(layer.ic)
        s = np.zeros((layer.ih, layer.iw), np.int64)
        sx = np.zeros_like(s)
        for gi, c in enumerate(chans):
            for ky in range(layer.k):
                for kx in range(layer.k):
                    tap = xp[c, ky: ky + layer.ih, kx: kx + layer.iw]
                    s += int(layer.weights[o, gi, ky, kx]) * tap
                    sx += tap
        sw = int(layer.weights[o].astype(np.int64).sum())
        acc = s + ((layer.arg_x * sx) >> layer.shr_x) + ((layer.arg_w * sw) >> layer.shr_w) \
            + layer.arg_add * g_ic
        mul, add, shift = layer.bn[o]
        b = ((acc * mul) >> shift) + add
        act = np.array([[activation(int(v), layer.act, v01) for v in row] for row in b])
        out.append(pool(act, layer.pool))
    return np.array(out, dtype=np.uint8)


# -- section 3: encoding a job ----------------------------------------------------------------


def arg_words(layer: Layer, stream_bytes: int = 0) -> list[int]:
    w = [0] * 12
    w[0] = int(layer.dw) << 3
    w[1] = layer.src_line | layer.dst_line << 32
    w[2] = (layer.ic - 1) | (layer.oc - 1) << 32
    w[3] = (layer.iw - 1) | (layer.ih - 1) << 10 | (layer.ow - 1) << 32 | (layer.oh - 1) << 42
    kt = layer.kernel_type if layer.kernel_type is not None else (1 if layer.k == 3 else 0)
    pt = layer.pool_type if layer.pool_type is not None else layer.pool
    w[4] = kt | pt << 4 | 1 << 10 | 15 << 16 | layer.pad_value << 24
    w[5] = 1
    w[9] = layer.shr_w | layer.shr_x << 4 | (layer.arg_w & 0xFFFFFF) << 8 | \
        (layer.arg_x & 0xFFFFFF) << 32
    w[10] = layer.arg_add & ((1 << 40) - 1)
    total = layer.ow * layer.oh * layer.oc
    w[11] = (1 if stream_bytes else 0) | (layer.ow * layer.oh - 1) << 16 | (total - 1) << 32
    return w


def bn_bytes(bn: list[tuple[int, int, int]]) -> bytes:
    return b"".join(struct.pack("<Q", (m & 0xFFFFFF) | (a & 0xFFFFFFFF) << 24 | s << 56)
                    for m, a, s in bn)


def act_bytes(segs: list[Seg]) -> bytes:
    words = [s.shift | (s.y_mul & 0xFFFF) << 8 | (s.x_start & ((1 << 36) - 1)) << 24
             for s in segs]
    adds = [sum(segs[8 * h + j].add << (8 * j) for j in range(8)) for h in range(2)]
    return struct.pack("<18Q", *words, *adds)


def weight_bytes(layer: Layer) -> bytes:
    flat = layer.weights.astype("<u2" if not layer.eight_bit else np.uint8).ravel()
    return flat.tobytes()


def random_layer(rng: np.random.Generator, ic: int, oc: int, iw: int, ih: int, k: int = 3,
                 dw: bool = False, pool_type: int = 0, eight_bit: bool = True) -> Layer:
    """A layer with nncase-like offsets and a 16-segment table that spreads B over 0..255,
    with negative slopes and odd shifts mixed in."""
    wmax = 255 if eight_bit else 65535
    weights = rng.integers(0, wmax + 1, (oc, 1 if dw else ic, k, k))
    zw, zx = wmax // 2, 90
    taps = k * k * (1 if dw else ic)
    scale = max(1, int(np.sqrt(taps) * 74 * (wmax // 4) / 3000))
    bn = [(int(rng.integers(1, 64)), int(rng.integers(-800, 800)),
           min(15, int(np.log2(scale)) + 6)) for _ in range(oc)]
    xs = sorted(int(v) for v in rng.integers(-4000, 4000, 15))
    act = [Seg(-(1 << 35), 0, 0, int(rng.integers(0, 40)))] + [
        Seg(x, int(rng.integers(-300, 300)), int(rng.integers(0, 11)), int(rng.integers(0, 256)))
        for x in xs]
    return Layer(ic=ic, oc=oc, iw=iw, ih=ih, weights=weights, bn=bn, act=act, k=k, dw=dw,
                 pool=pool_type, pad_value=zx, arg_x=-zw * 256, shr_x=8, arg_w=-zx, shr_w=0,
                 arg_add=k * k * zx * zw, eight_bit=eight_bit)
