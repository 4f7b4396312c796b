"""Float conv chain (batch norm folded) to an integer V3 kmodel for the KPU.

The scheme, per layer (all activations have zero point 0 because they follow ReLU, or are the
0..255 camera image):
- every input channel c has its own scale s_c (real = q · s_c); it is folded into the weights,
  so the KPU sums q · (w · s_c) and needs no input offset (arg_w = arg_add = 0, pad_value 0);
- the folded weights of output channel o are stretched by k_o to fill one shared uint8 grid
  (the KPU has a single weight offset per layer), and batch norm's per-channel mul undoes k_o;
- ReLU layers quantize channel o on [0, max_o] (calibrated), so the next layer gets per-channel
  scales for free; the last, linear layer quantizes each channel on its own [lo, hi] and a
  CHANNELWISE_DEQUANTIZE turns it into the float32 region-layer output.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maixkpu.kmodel import (
    BatchNorm,
    ChannelwiseDequantize,
    KpuConv,
    ModelBuilder,
    QuantParam,
    linear_table,
    mul_shift,
)

FRAC_BITS = 10  # fractional bits of the batch-norm output B; the activation table removes them


@dataclass
class FloatConv:
    """One stride-1 'same' conv with batch norm folded in, followed by ReLU or not and a KPU
    pool type (0 none, 1 max 2x2 stride 2)."""

    weight: np.ndarray  # (oc, ic, k, k)
    bias: np.ndarray  # (oc,)
    relu: bool
    pool: int = 0


def _channel_stretch(w: np.ndarray) -> tuple[np.ndarray, QuantParam]:
    """Per-output-channel factors k_o and the shared weight grid the stretched weights use."""
    flat = w.reshape(w.shape[0], -1)
    lo = np.minimum(flat.min(axis=1), 0.0)
    hi = np.maximum(flat.max(axis=1), 0.0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    # the grid puts zero where most channels have it, spanning 1.0
    zero_at = float(np.median(-lo / span))
    grid_lo, grid_hi = -zero_at, 1.0 - zero_at
    with np.errstate(divide="ignore"):
        k_hi = np.where(hi > 0, grid_hi / np.where(hi > 0, hi, 1.0), np.inf)
        k_lo = np.where(lo < 0, grid_lo / np.where(lo < 0, lo, -1.0), np.inf)
    k = np.minimum(k_hi, k_lo)
    k = np.where(np.isfinite(k), k, 1.0)  # an all-zero channel
    return k, QuantParam.from_range(grid_lo, grid_hi)


def quantize_layer(layer: FloatConv, in_scales: np.ndarray, out_q: list[QuantParam],
                   in_w: int, in_h: int, main_out: bool = False) -> KpuConv:
    """The KpuConv of one layer whose input channel c is real = q · in_scales[c] and whose output
    channel o must come out as out_q[o]."""
    w = np.asarray(layer.weight, np.float64) * np.asarray(in_scales, np.float64)[None, :, None,
                                                                                  None]
    oc, ic, kernel = w.shape[0], w.shape[1], w.shape[-1]
    k, w_q = _channel_stretch(w)
    qw = w_q.quantize(w * k[:, None, None, None])
    arg_x, shr_x = mul_shift(w_q.bias / w_q.scale, 24, 15)  # the weight offset -zw
    muls, shifts, adds = [], [], []
    for o in range(oc):
        # B = (real output − bias_o_q) / scale_o · 2^10, with real output = ACC·sw/k_o + b_o
        m, s = mul_shift(w_q.scale / (k[o] * out_q[o].scale) * (1 << FRAC_BITS), 24, 15)
        muls.append(m)
        shifts.append(s)
        adds.append(round((float(layer.bias[o]) - out_q[o].bias) / out_q[o].scale
                          * (1 << FRAC_BITS)))
    return KpuConv(in_w, in_h, ic, oc, qw.reshape(-1), kernel=kernel, pool=layer.pool,
                   pad_value=0, arg_x=arg_x, shr_x=shr_x, bn=BatchNorm(muls, shifts, adds),
                   act=linear_table(FRAC_BITS), main_out=main_out)


def relu_params(act_max: np.ndarray) -> list[QuantParam]:
    """Per-channel [0, max] uint8 ranges of a ReLU output (silent channels get scale 1)."""
    return [QuantParam(float(m) / 255.0 if m > 0 else 1.0, 0.0) for m in act_max]


def build_kmodel(layers: list[FloatConv], in_w: int, in_h: int, relu_max: list[np.ndarray],
                 out_lo: np.ndarray, out_hi: np.ndarray) -> bytes:
    """The V3 kmodel of the chain for a 0..255 RGB input.

    relu_max[i]: calibrated per-channel maxima of the ReLU layers' outputs (all but the last);
    out_lo/out_hi: per-channel range of the last (linear) layer's output."""
    if len(relu_max) != len(layers) - 1 or any(not x.relu for x in layers[:-1]):
        raise ValueError("every layer but the last must be a ReLU layer with a calibrated range")
    b = ModelBuilder()
    x = b.kpu_input(in_w, in_h, layers[0].weight.shape[1])
    scales = np.full(layers[0].weight.shape[1], 1.0 / 255.0)
    for layer, act_max in zip(layers[:-1], relu_max):
        out_q = relu_params(act_max)
        x = b.conv(quantize_layer(layer, scales, out_q, x.width, x.height), x)
        scales = np.array([q.scale for q in out_q])
    last = layers[-1]
    out_q = [QuantParam.from_range(float(lo), float(hi)) for lo, hi in zip(out_lo, out_hi)]
    y = b.conv(quantize_layer(last, scales, out_q, x.width, x.height, main_out=True), x)
    if y.main is None:
        raise AssertionError("the last conv must write main memory")
    out = b.main(y.count * 4)
    b.add(ChannelwiseDequantize(channels=y.channels, channel_size=y.width * y.height,
                                params=[(q.scale, q.bias) for q in out_q]),
          in_address=y.main, out_address=out)
    b.output(out)
    return b.build()
