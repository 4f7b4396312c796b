"""An independent NumPy model of one K210 KPU layer, written from the spec text only
(kmodel-v3-and-kpu.md sections 3.1-3.3, 4 and 5). Tests compare the C software KPU against it.

It deliberately shares no code with the package under test: it decodes the 96-byte layer
argument and the tables itself and reads/writes a 2 MiB KPU RAM image with its own layout code.

Rounding modes: "v02" (default) = nncase v0.2/v1 kernels, RNE_buggy activation rounding and
segment choice `x_start < B`; "v01" = nncase v0.1 emulator, CS rounding and `x_start <= B`.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

RAM_BYTES = 2 * 1024 * 1024
LINE = 64

# (name, word, lowest bit, width, signed) of the fields the arithmetic needs (spec 3.1).
_ARG_BITS = (
    ("depth_wise_layer", 0, 3, 1, False),
    ("image_src_addr", 1, 0, 15, False),
    ("image_dst_addr", 1, 32, 15, False),
    ("i_ch_num", 2, 0, 10, False),
    ("o_ch_num", 2, 32, 10, False),
    ("i_row_wid", 3, 0, 10, False),
    ("i_col_high", 3, 10, 9, False),
    ("o_row_wid", 3, 32, 10, False),
    ("o_col_high", 3, 42, 9, False),
    ("kernel_type", 4, 0, 3, False),
    ("pool_type", 4, 4, 4, False),
    ("pad_value", 4, 24, 8, False),
    ("shr_w", 9, 0, 4, False),
    ("shr_x", 9, 4, 4, False),
    ("arg_w", 9, 8, 24, True),
    ("arg_x", 9, 32, 24, True),
    ("arg_add", 10, 0, 40, True),
    ("send_data_out", 11, 0, 1, False),
)


def _bits(word: int, lo: int, width: int, signed: bool) -> int:
    v = (word >> lo) & ((1 << width) - 1)
    if signed and v >> (width - 1):
        v -= 1 << width
    return v


def decode_arg(arg: bytes) -> dict[str, int]:
    words = struct.unpack("<12Q", bytes(arg[:96]))
    return {name: _bits(words[w], lo, n, s) for name, w, lo, n, s in _ARG_BITS}


@dataclass(frozen=True)
class Geometry:
    ic: int
    oc: int
    in_w: int
    in_h: int
    out_w: int
    out_h: int
    k: int
    depthwise: bool

    @property
    def weight_count(self) -> int:
        return self.oc * self.k * self.k * (1 if self.depthwise else self.ic)


def geometry(a: dict[str, int]) -> Geometry:
    return Geometry(a["i_ch_num"] + 1, a["o_ch_num"] + 1, a["i_row_wid"] + 1, a["i_col_high"] + 1,
                    a["o_row_wid"] + 1, a["o_col_high"] + 1, 3 if a["kernel_type"] else 1,
                    bool(a["depth_wise_layer"]))


# ---- KPU RAM layout (spec 5) -------------------------------------------------------------------
def map_addresses(line: int, w: int, h: int, c: int) -> np.ndarray:
    """Byte address of every pixel (c, y, x) of a map starting at `line`."""
    if w <= 16:
        groups, row_len, pitch = 4, 1, 16
    elif w <= 32:
        groups, row_len, pitch = 2, 1, 32
    else:
        groups, row_len, pitch = 1, -(-w // 64), 64
    ch = np.arange(c, dtype=np.int64)[:, None, None]
    y = np.arange(h, dtype=np.int64)[None, :, None]
    x = np.arange(w, dtype=np.int64)[None, None, :]
    addr = (LINE * line + (ch // groups) * row_len * h * LINE + (ch % groups) * pitch
            + y * row_len * LINE + x)
    if addr.max() >= RAM_BYTES:
        raise ValueError(f"map {c}x{h}x{w} at line {line} does not fit in KPU RAM")
    return addr


def read_map(ram: np.ndarray, line: int, w: int, h: int, c: int) -> np.ndarray:
    return ram[map_addresses(line, w, h, c)]


def write_map(ram: np.ndarray, line: int, data: np.ndarray) -> None:
    c, h, w = data.shape
    ram[map_addresses(line, w, h, c)] = data


# ---- tables (spec 3.2, 3.3) ----------------------------------------------------------------------
def decode_bn(bn: bytes, oc: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    words = np.frombuffer(bytes(bn[: 8 * oc]), dtype="<u8").astype(np.uint64)
    mul = (words & np.uint64(0xFFFFFF)).astype(np.int64)
    mul = np.where(mul >= 1 << 23, mul - (1 << 24), mul)
    add = ((words >> np.uint64(24)) & np.uint64(0xFFFFFFFF)).astype(np.int64)
    add = np.where(add >= 1 << 31, add - (1 << 32), add)
    shift = ((words >> np.uint64(56)) & np.uint64(0xF)).astype(np.int64)
    return mul, shift, add


def decode_act(act: bytes) -> tuple[list[int], list[int], list[int], list[int]]:
    words = struct.unpack("<16Q", bytes(act[:128]))
    x_start = [_bits(w, 24, 36, True) for w in words]
    y_mul = [_bits(w, 8, 16, True) for w in words]
    shift = [w & 0xFF for w in words]
    adds = list(bytes(act[128:144]))
    return x_start, y_mul, shift, adds


# ---- arithmetic (spec 4) ---------------------------------------------------------------------
def rne_buggy(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Spec 4.7 'banker' carry shift, including its wrong direction for negative v."""
    s = np.broadcast_to(s, v.shape).astype(np.int64)
    i = v >> s
    f = v & ((np.int64(1) << s) - 1)
    h = np.where(s > 0, np.int64(1) << np.maximum(s - 1, 0), 0)
    sg = np.where(v < 0, -1, 1)
    rounded = np.where(f < h, i, np.where(f > h, i + sg, np.where(i & 1, i + sg, i)))
    return np.where(s == 0, v, rounded)


def carry_shift(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Spec 4.7 CS (round half up, odd results moved away from zero)."""
    s = np.broadcast_to(s, v.shape).astype(np.int64)
    t = v >> np.maximum(s - 1, 0)
    odd = (t & 1) == 1
    up = np.where(t >= 0, (t >> 1) + 1, (t >> 1) - 1)
    return np.where(s == 0, v, np.where(odd, up, t >> 1))


def convolve(x: np.ndarray, weights: np.ndarray, g: Geometry, pad_value: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S (OC,H,W), SX (broadcastable to S) and SW (OC,1,1) of spec 4.2 (stride 1, same size)."""
    p = g.k // 2
    xp = np.pad(x.astype(np.int64), ((0, 0), (p, p), (p, p)), constant_values=pad_value)
    h, w = g.in_h, g.in_w
    taps = [(ky, kx) for ky in range(g.k) for kx in range(g.k)]
    if g.depthwise:
        wt = weights.reshape(g.oc, g.k, g.k).astype(np.int64)
        s = np.zeros((g.oc, h, w), np.int64)
        sx = np.zeros((g.oc, h, w), np.int64)
        for ky, kx in taps:
            win = xp[:, ky : ky + h, kx : kx + w]
            s += wt[:, ky, kx][:, None, None] * win
            sx += win
        sw = wt.sum(axis=(1, 2))
    else:
        wt = weights.reshape(g.oc, g.ic, g.k, g.k)
        wf = wt.astype(np.float64)
        acc = np.zeros((g.oc, h * w), np.float64)  # exact: every partial sum is an integer < 2**53
        sx = np.zeros((h, w), np.int64)
        for ky, kx in taps:
            win = xp[:, ky : ky + h, kx : kx + w]
            acc += wf[:, :, ky, kx] @ win.reshape(g.ic, h * w).astype(np.float64)
            sx += win.sum(axis=0)
        s = acc.astype(np.int64).reshape(g.oc, h, w)
        sx = sx[None]
        sw = wt.astype(np.int64).sum(axis=(1, 2, 3))
    return s, sx, sw[:, None, None]


def activation(b: np.ndarray, act: bytes, rounding: str = "v02") -> np.ndarray:
    """Spec 4.4: highest segment with B > x_start (v01: >=), shifted product plus add, clamp."""
    x_start, y_mul, shift, adds = decode_act(act)
    seg = np.full(b.shape, -1, np.int64)
    for i in range(16):
        hit = b >= x_start[i] if rounding == "v01" else b > x_start[i]
        seg = np.where(hit, i, seg)
    if (seg < 0).any():
        raise ValueError("a batch-norm output is below every activation segment")
    xs = np.array(x_start, np.int64)[seg]
    prod = (b - xs) * np.array(y_mul, np.int64)[seg]
    sh = np.array(shift, np.int64)[seg]
    y = (carry_shift(prod, sh) if rounding == "v01" else rne_buggy(prod, sh))
    y = y + np.array(adds, np.int64)[seg]
    return np.clip(y, 0, 255).astype(np.uint8)


def pool(y: np.ndarray, pool_type: int) -> np.ndarray:
    """Spec 4.5 on a (C, H, W) uint8 map."""
    c, h, w = y.shape
    v = y.astype(np.int64)
    if pool_type == 0:
        return y.copy()
    if pool_type in (1, 2, 3, 4):
        k = 2 if pool_type in (1, 2) else 4
        oh, ow = h // k, w // k
        blocks = v[:, : oh * k, : ow * k].reshape(c, oh, k, ow, k)
        out = blocks.max(axis=(2, 4)) if pool_type in (1, 3) else blocks.sum(axis=(2, 4)) // (k * k)
        return out.astype(np.uint8)
    if pool_type in (5, 6, 7):
        k = 4 if pool_type == 7 else 2
        oh, ow = h // k, w // k
        dx = 1 if pool_type == 6 else 0
        return y[:, 0 : oh * k : k, dx : dx + ow * k : k].copy()
    if pool_type == 8:
        e = np.pad(v, ((0, 0), (0, 1), (0, 1)), mode="edge")
        total = e[:, :-1, :-1] + e[:, :-1, 1:] + e[:, 1:, :-1] + e[:, 1:, 1:]
        return (total // 4).astype(np.uint8)
    if pool_type == 9:
        z = np.pad(v, ((0, 0), (0, 1), (0, 1)))
        top = np.maximum(z[:, :-1, :-1], z[:, :-1, 1:])
        return np.maximum(top, np.maximum(z[:, 1:, :-1], z[:, 1:, 1:])).astype(np.uint8)
    raise ValueError(f"pool_type {pool_type} is not 0..9")


def accumulate(x: np.ndarray, arg: bytes, weights: bytes, eight_bit: bool = True) -> np.ndarray:
    """ACC of spec 4.2 for every output channel and input position: (OC, IH, IW) int64."""
    a = decode_arg(arg)
    g = geometry(a)
    if x.shape != (g.ic, g.in_h, g.in_w):
        raise ValueError(f"input shape {x.shape} does not match the layer argument")
    if g.depthwise and g.ic != g.oc:
        raise ValueError("depthwise layer with ic != oc")
    dtype = "u1" if eight_bit else "<u2"
    w = np.frombuffer(bytes(weights), dtype=dtype, count=g.weight_count)
    s, sx, sw = convolve(x, w, g, a["pad_value"])
    g_ic = 1 if g.depthwise else g.ic
    return (s + ((a["arg_x"] * sx) >> a["shr_x"]) + ((a["arg_w"] * sw) >> a["shr_w"])
            + a["arg_add"] * g_ic)


def batch_norm(accum: np.ndarray, bn: bytes) -> np.ndarray:
    """B of spec 4.3 (flooring shift, no rounding)."""
    mul, shift, add = decode_bn(bn, accum.shape[0])
    return ((accum * mul[:, None, None]) >> shift[:, None, None]) + add[:, None, None]


def compute_layer(x: np.ndarray, arg: bytes, weights: bytes, bn: bytes, act: bytes,
                  eight_bit: bool = True, rounding: str = "v02") -> np.ndarray:
    """The compact (OC, OH, OW) uint8 result of one layer on an (IC, IH, IW) input."""
    a = decode_arg(arg)
    g = geometry(a)
    b = batch_norm(accumulate(x, arg, weights, eight_bit), bn)
    out = pool(activation(b, act, rounding), a["pool_type"])
    if out.shape != (g.oc, g.out_h, g.out_w):
        raise ValueError(f"pooled size {out.shape} differs from the argument's output size")
    return out


def run_layer(ram: np.ndarray, arg: bytes, weights: bytes, bn: bytes, act: bytes,
              eight_bit: bool = True, rounding: str = "v02") -> np.ndarray:
    """Reads the input from the 2 MiB RAM image, computes, writes the output back (other bytes
    untouched) and returns the compact output."""
    a = decode_arg(arg)
    g = geometry(a)
    x = read_map(ram, a["image_src_addr"], g.in_w, g.in_h, g.ic)
    out = compute_layer(x, arg, weights, bn, act, eight_bit, rounding)
    write_map(ram, a["image_dst_addr"], out)
    return out


def new_ram() -> np.ndarray:
    return np.zeros(RAM_BYTES, np.uint8)


# ---- layout-conversion layers (spec 6) ---------------------------------------------------------
def upload(ram: np.ndarray, line: int, data: np.ndarray) -> None:
    """K210_UPLOAD: a dense (C, H, W) uint8 tensor into KPU RAM with the width's layout."""
    write_map(ram, line, data)


def add_padding(ram: np.ndarray, line: int, vector: np.ndarray) -> None:
    """K210_ADD_PADDING: in[c] to pixel (0, 0) of a C x 4 x 4 map; the other 15 pixels of each
    channel keep whatever KPU RAM held."""
    corner = map_addresses(line, 4, 4, len(vector))[:, 0, 0]
    ram[corner] = vector


def remove_padding(compact: np.ndarray) -> np.ndarray:
    """K210_REMOVE_PADDING: pixel (0, 0) of each channel of a compact C x 4 x 4 map."""
    return compact.reshape(-1, 16)[:, 0].copy()
