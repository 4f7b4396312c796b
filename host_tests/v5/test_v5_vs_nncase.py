"""Our V5 runtime against nncase 1.9's own Simulator, on models compiled by nncase 1.9 from
ONNX graphs built here (host_tests/v5/onnx_models.py).

Every output must be identical byte for byte: uint8 outputs come straight from the KPU
arithmetic, and float32 outputs from the same float32 steps nncase's host kernels take
(dequantize, reduce, softmax's expf...). The one documented exception would be libm-dependent
functions (spec G3); none of these models differs, so no tolerance is needed here.
"""
from __future__ import annotations

import numpy as np
import pytest

from host_tests.v5.nncase_cache import kmodel, reference
from host_tests.v5.onnx_models import CASE_BY_NAME, CASES
from maixkpu import core


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_outputs_identical_to_nncase_simulator(name: str) -> None:
    case = CASE_BY_NAME[name]
    model = kmodel(case)
    xs, ref = reference(case, model)
    with core.Model.load(model) as m:
        assert m.version == 5
        info = m.input_info
        assert (info.c, info.h, info.w) == tuple(case.shape[1:])
        assert info.dtype == np.dtype(np.uint8 if case.input_type == "uint8" else np.float32)
        for k, (x, expected) in enumerate(zip(xs, ref)):
            ours = m.run(x)
            assert len(ours) == len(expected)
            for i, (o, e) in enumerate(zip(ours, expected)):
                assert o.dtype == e.dtype, (k, i)
                assert o.size == e.size, (k, i)
                same = o.reshape(-1).view(np.uint8) == e.reshape(-1).view(np.uint8)
                assert same.all(), (f"run {k} output {i}: {int((~same).sum())} of {same.size} "
                                    f"bytes differ; max abs "
                                    f"{np.abs(o.reshape(-1) - e.reshape(-1)).max()}")


def test_models_are_not_trivial() -> None:
    """The comparison means something only if outputs vary with the input."""
    case = CASE_BY_NAME["yolo_head"]
    xs, ref = reference(case, kmodel(case))
    a, b = ref[0][0], ref[1][0]
    assert a.std() > 0 and not np.array_equal(a, b)


def test_kpu_layers_in_netinfo() -> None:
    case = CASE_BY_NAME["pools"]
    with core.Model.load(kmodel(case)) as m:
        layers = m.layers()
        assert m.layer_count == len(layers) >= 3
        assert all(layer.type_name == "K210_CONV" for layer in layers)
        first = layers[0]
        assert (first.wi, first.hi, first.chi) == (32, 32, 3)
        assert first.kernel_type == 1  # 3x3
        # the 2x2 max pool after the first conv is fused into the KPU layer
        assert (first.wo, first.ho) == (16, 16) and first.pool_type != 0
        for prev, nxt in zip(layers, layers[1:]):
            assert nxt.chi == prev.cho


def test_feature_map_of_partial_run_is_the_kpu_output() -> None:
    """Running up to layer 0 stops after it; its map is what the rest of the model starts
    from: running the whole model afterwards gives nncase's outputs again."""
    case = CASE_BY_NAME["conv_1x1_3x3"]
    model = kmodel(case)
    xs, ref = reference(case, model)
    with core.Model.load(model) as m:
        soft = core.SoftKpu()
        fmap = m.run(xs[0], last_layer=0, backend=soft)[0]
        assert fmap.shape == (8, 16, 16) and fmap.dtype == np.uint8
        assert fmap.std() > 0
        # the map sits in KPU RAM in the layout of its width: read it back by hand
        ch0 = m.layer_output(0, 0)
        assert np.array_equal(ch0.reshape(16, 16), fmap[0])
        out = m.run(xs[0], backend=soft)
        assert np.array_equal(out[0].reshape(-1), ref[0][0].reshape(-1))


def test_strip_final_sigmoid_leaves_the_logits() -> None:
    """--strip-final-sigmoid removes the graph's last Sigmoid: the kmodel gives the values
    before it (the decoding applies the sigmoid), so they leave (0, 1)."""
    case = CASE_BY_NAME["stripped_sigmoid"]
    xs, ref = reference(case, kmodel(case))
    values = np.concatenate([r[0].reshape(-1) for r in ref])
    assert values.min() < 0.0 and values.max() > 1.0
