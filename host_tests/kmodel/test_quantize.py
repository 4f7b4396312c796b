"""quantize_conv: a float convolution, quantized and run on the NumPy KPU reference, gives the
float result within a few output quantization steps."""
from __future__ import annotations

import numpy as np
import pytest

from host_tests.reference import kpu_ref
from maixkpu.kmodel import QuantParam
from maixkpu.kmodel.quantize import quantize_conv


def _float_conv(x: np.ndarray, w: np.ndarray, bias: np.ndarray, depthwise: bool) -> np.ndarray:
    k = w.shape[-1]
    p = k // 2
    c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    out = np.zeros((w.shape[0], h, wd)) + bias[:, None, None]
    for ky in range(k):
        for kx in range(k):
            win = xp[:, ky : ky + h, kx : kx + wd]
            if depthwise:
                out += w[:, ky, kx][:, None, None] * win
            else:
                out += np.einsum("oc,chw->ohw", w[:, :, ky, kx], win)
    return out


@pytest.mark.parametrize(("depthwise", "kernel", "act"), [
    (False, 3, "linear"), (False, 1, "relu"), (True, 3, "leaky"), (False, 3, "leaky"),
])
def test_quantized_conv_tracks_the_float_result(depthwise: bool, kernel: int, act: str) -> None:
    rng = np.random.default_rng(kernel + 2 * depthwise)
    ic, oc, h, w = 4, 4 if depthwise else 6, 9, 20
    x = rng.uniform(-0.5, 1.5, (ic, h, w))
    wshape = (oc, kernel, kernel) if depthwise else (oc, ic, kernel, kernel)
    weights = rng.uniform(-0.6, 0.4, wshape)
    bias = rng.uniform(-0.3, 0.3, oc)
    y = _float_conv(x, weights, bias, depthwise)
    if act == "relu":
        y = np.maximum(y, 0)
    elif act == "leaky":
        y = np.where(y > 0, y, 0.1 * y)
    in_q = QuantParam.from_range(float(x.min()), float(x.max()))
    out_q = QuantParam.from_range(float(y.min()), float(y.max()))
    conv = quantize_conv(weights, bias, in_q, out_q, w, h, depthwise=depthwise, act=act)
    layer = conv.to_layer(0, 0)
    got = kpu_ref.compute_layer(in_q.quantize(x), layer.arg.encode(), layer.weights.tobytes(),
                                layer.bn.encode(), layer.act.encode())
    err = np.abs(out_q.dequantize(got) - y)
    assert err.mean() < 0.5 * out_q.scale
    assert err.max() < 4.0 * out_q.scale
