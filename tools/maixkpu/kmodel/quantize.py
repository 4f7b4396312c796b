"""Quantizing a float convolution into a `KpuConv` (the scheme of spec 4.2 and 11).

With real input x = qx·sx + bx and real weights w = qw·sw + bw (one range per layer):
    Σ x·w = sx·sw·(S + (bw/sw)·SX + (bx/sx)·SW + k²·(bx·bw)/(sx·sw)·g_ic)
which is the KPU's ACC with arg_x = bw/sw, arg_w = bx/sx, arg_add = k²·bx·bw/(sx·sw).
Batch norm then scales ACC into the output quantization with 10 fractional bits,
B = (y/so − bo/so)·2**10, and the activation table divides by 2**10 again.
"""
from __future__ import annotations

import numpy as np

from .act_table import BatchNorm, QuantParam, leaky_relu_table, linear_table, mul_shift
from .conv import KpuConv

FRAC_BITS = 10


def quantize_conv(weights: np.ndarray, bias: np.ndarray, in_q: QuantParam, out_q: QuantParam,
                  in_w: int, in_h: int, *, depthwise: bool = False, pool: int = 0,
                  act: str = "linear", leaky_slope: float = 0.1) -> KpuConv:
    """weights: (oc, ic, k, k) or, depthwise, (c, k, k), float; bias: (oc,) float.
    act: "linear" / "relu" (the uint8 clamp of the output range does the rest) or "leaky"."""
    w = np.asarray(weights, dtype=np.float64)
    kernel = w.shape[-1]
    oc = w.shape[0]
    ic = oc if depthwise else w.shape[1]
    w_q = QuantParam.from_range(float(w.min()), float(w.max()))
    qw = w_q.quantize(w)
    sx, bx, sw, bw = in_q.scale, in_q.bias, w_q.scale, w_q.bias
    arg_x, shr_x = mul_shift(bw / sw, 24, 15)
    arg_w, shr_w = mul_shift(bx / sx, 24, 15)
    arg_add = int(round(kernel * kernel * bx * bw / (sx * sw)))
    mul, shift = zip(*(mul_shift(sx * sw / out_q.scale * (1 << FRAC_BITS), 24, 15)
                       for _ in range(oc)))
    add = np.round((np.asarray(bias, np.float64) - out_q.bias) / out_q.scale * (1 << FRAC_BITS))
    if act == "leaky":
        table = leaky_relu_table(out_q.zero_point, leaky_slope, FRAC_BITS)
    elif act in ("linear", "relu"):
        table = linear_table(FRAC_BITS)
    else:
        raise ValueError(f"unsupported activation {act!r}")
    return KpuConv(
        in_w, in_h, ic, oc, qw.reshape(-1), kernel=kernel, depthwise=depthwise, pool=pool,
        pad_value=int(np.clip(in_q.zero_point, 0, 255)), arg_x=arg_x, shr_x=shr_x,
        arg_w=arg_w, shr_w=shr_w, arg_add=arg_add,
        bn=BatchNorm(np.array(mul), np.array(shift), add.astype(np.int64)), act=table,
    )
