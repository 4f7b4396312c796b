"""demo_export: a float conv chain converted to a KPU kmodel computes what the floats compute,
within the quantization error, when run through the C runtime."""
from __future__ import annotations

import numpy as np
import pytest

from maixkpu.core import Model, validate
from maixkpu.demo_export import FloatConv, build_kmodel, quantize_layer, relu_params
from maixkpu.kmodel import QuantParam

RNG = np.random.default_rng(21)


def _conv_same(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(c, h, w) input, (oc, ic, k, k) weights: stride 1, zero padding to the same size."""
    k = w.shape[-1]
    p = k // 2
    _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    out = np.zeros((w.shape[0], h, wd))
    for ky in range(k):
        for kx in range(k):
            out += np.einsum("oc,chw->ohw", w[:, :, ky, kx], xp[:, ky:ky + h, kx:kx + wd])
    return out + b[:, None, None]


def _forward(layers: list[FloatConv], image: np.ndarray) -> list[np.ndarray]:
    """Each layer's output before pooling (what calibration sees), ending with the last one."""
    x = image.astype(np.float64) / 255.0
    outs = []
    for layer in layers:
        y = _conv_same(x, layer.weight, layer.bias)
        if layer.relu:
            y = np.maximum(y, 0.0)
        outs.append(y)
        if layer.pool == 1:
            c, h, w = y.shape
            y = y[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))
        x = y
    return outs


def _chain() -> list[FloatConv]:
    def layer(oc: int, ic: int, k: int, relu: bool, pool: int) -> FloatConv:
        w = RNG.normal(0, 1.0 / np.sqrt(ic * k * k), (oc, ic, k, k))
        w[0] *= 4.0  # channels of very different ranges: the per-channel stretch must cope
        return FloatConv(w, RNG.normal(0, 0.1, oc), relu, pool)
    return [layer(6, 3, 3, True, 1), layer(8, 6, 3, True, 0), layer(5, 8, 1, False, 0)]


def test_kmodel_matches_the_float_chain() -> None:
    layers = _chain()
    images = RNG.integers(0, 256, (6, 3, 12, 20)).astype(np.uint8)
    acts = [_forward(layers, im) for im in images]
    relu_max = [np.max([a[i].max(axis=(1, 2)) for a in acts], axis=0) for i in range(2)]
    last = np.stack([a[-1] for a in acts])
    lo, hi = last.min(axis=(0, 2, 3)), last.max(axis=(0, 2, 3))
    data = build_kmodel(layers, 20, 12, relu_max, lo, hi)
    validate(data)
    span = (hi - lo)[:, None, None]
    with Model.load(data) as model:
        for image, act in zip(images, acts):
            (out,) = model.run(image)
            assert out.shape == (5, 6, 10) and out.dtype == np.float32
            err = np.abs(out - act[-1]) / span
            assert err.max() < 0.05 and err.mean() < 0.015


def test_a_broken_scale_is_noticed() -> None:
    # the same check fails when the output range handed to the export is wrong
    layers = _chain()
    image = RNG.integers(0, 256, (3, 12, 20)).astype(np.uint8)
    act = _forward(layers, image)
    lo, hi = act[-1].min(axis=(1, 2)), act[-1].max(axis=(1, 2))
    relu_max = [act[0].max(axis=(1, 2)), act[1].max(axis=(1, 2)) * 0.5]
    with Model.load(build_kmodel(layers, 20, 12, relu_max, lo, hi)) as model:
        (out,) = model.run(image)
    assert (np.abs(out - act[-1]) / (hi - lo)[:, None, None]).max() > 0.05


def test_weights_use_the_grid_and_zero_is_exact() -> None:
    w = RNG.normal(0, 1, (4, 3, 3, 3))
    w[1] *= 0.01  # a quiet channel is stretched, not left with a handful of levels
    conv = quantize_layer(FloatConv(w, np.zeros(4), True), np.ones(3),
                          relu_params(np.ones(4)), 8, 8)
    q = np.asarray(conv.weights).reshape(4, -1).astype(int)
    zero = -conv.arg_x / (1 << conv.shr_x)  # the weight offset the KPU subtracts
    assert zero == pytest.approx(round(zero))
    for o in range(4):
        assert max(q[o].max() - zero, zero - q[o].min()) >= 100
    assert conv.pad_value == 0 and conv.arg_w == 0 and conv.arg_add == 0


def test_chain_shape_checks() -> None:
    layers = _chain()
    with pytest.raises(ValueError):
        build_kmodel(layers, 20, 12, [np.ones(6)], np.zeros(5), np.ones(5))
    quiet, silent = relu_params(np.array([2.55, 0.0]))
    assert quiet.scale == pytest.approx(0.01) and quiet.bias == 0.0
    assert silent == QuantParam(1.0, 0.0)
