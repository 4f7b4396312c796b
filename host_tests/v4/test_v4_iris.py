"""The real nncase v0.2 iris model (V4, shared/models/README.md): golden vector through the
core binding and through MaixPy's KPU module, its layers (nodes) and output shape."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from host_tests.conftest import shared_model
from maixkpu._core import ffi, lib
from maixkpu.core import Model

IRIS_V4 = "nncase020b4_iris_float.kmodel"
GOLDEN_IN = [5.1, 3.8, 1.9, 0.4]
GOLDEN_OUT = [16.077795, 5.607656, -2.071745]
# nncase v0.2.0-beta4's own host runtime, bit for bit (spec A8)
A8_OUT = np.array([16.077797, 5.607656, -2.0717456], np.float32)


@pytest.fixture
def iris() -> Model:
    with Model.load(shared_model(IRIS_V4)) as model:
        yield model


def test_iris_golden_vector(iris: Model) -> None:
    assert iris.version == 4
    info = iris.input_info
    assert (info.w, info.h, info.c, info.dtype, info.size) == (4, 1, 1, np.float32, 16)
    out = iris.run(np.array(GOLDEN_IN, np.float32))
    assert len(out) == 1 and out[0].dtype == np.float32 and out[0].shape == (3,)  # a vector
    np.testing.assert_allclose(out[0].ravel(), GOLDEN_OUT, atol=1e-5, rtol=0)
    # the A8 value is nncase's own printout at more digits: the same float32 bits
    assert out[0].ravel().tobytes() == A8_OUT.tobytes()


def test_iris_runs_without_a_backend(iris: Model) -> None:
    data = np.array(GOLDEN_IN, np.float32)
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_model_run(iris._handle(), ffi.NULL, ffi.from_buffer(data), 16, -1, diag)
    assert st == lib.KPU_OK, ffi.string(diag.text)
    np.testing.assert_allclose(iris.output(0).ravel(), GOLDEN_OUT, atol=1e-5, rtol=0)


def test_iris_nodes_are_layers(iris: Model) -> None:
    layers = iris.layers()
    names = [lay.type_name for lay in layers]
    assert names == ["V4_TRANSPOSE", "V4_MATMUL", "V4_TRANSPOSE", "V4_MATMUL"]
    assert [lay.type for lay in layers] == [lib.KPU_V4_NODE_TYPE_BASE + op
                                            for op in (0x0C, 0x04, 0x0C, 0x04)]
    # transpose of the 10x4 constant weights (in_shape 1,1,10,4, perm 0,1,3,2) -> 4x10
    first = layers[0]
    assert (first.wi, first.hi, first.chi, first.wo, first.ho, first.cho) == (4, 10, 1, 10, 4, 1)
    # matmul 1x4 by 4x10 -> 1x10, then 1x10 by 10x3 -> 1x3
    assert (layers[1].wi, layers[1].hi, layers[1].wo, layers[1].ho) == (4, 1, 10, 1)
    assert (layers[3].wi, layers[3].wo, layers[3].ho, layers[3].cho) == (10, 3, 1, 1)
    assert [lay.body_size for lay in layers] == [0x40, 0x70, 0x40, 0x50]
    assert layers[0].body_offset == 0x190


def test_iris_partial_run_and_layer_outputs(iris: Model) -> None:
    (hidden,) = iris.run(np.array(GOLDEN_IN, np.float32), last_layer=1)
    assert hidden.size == 10 and hidden.dtype == np.float32
    assert (hidden >= 0).all()  # ReLU: fused clamp [0, FLT_MAX]
    w = np.frombuffer(iris.data[0x58:0x58 + 160], "<f4").reshape(10, 4)
    b = np.frombuffer(iris.data[0x1D0 + 68:0x1D0 + 68 + 40], "<f4")
    expect = np.maximum(w.astype(np.float64) @ np.array(GOLDEN_IN) + b, 0)
    np.testing.assert_allclose(hidden.ravel(), expect, rtol=1e-5, atol=1e-5)


def test_iris_output_shape_from_the_graph(iris: Model) -> None:
    info = ffi.new("kpu_tensor_info_t *")
    diag = ffi.new("kpu_diag_t *")
    assert lib.kpu_v4_output_info(iris._handle(), 0, info, diag) == lib.KPU_OK
    assert (info.w, info.h, info.c, info.size, info.dtype) == (3, 1, 1, 12,
                                                               lib.KPU_DTYPE_FLOAT32)
    assert lib.kpu_v4_output_info(iris._handle(), 1, info, diag) == lib.KPU_ERR_INDEX


def test_output_shape_refused_for_v3() -> None:
    with Model.load(shared_model("nncase010rc5_iris_float.kmodel")) as v3:
        info = ffi.new("kpu_tensor_info_t *")
        assert lib.kpu_v4_output_info(v3._handle(), 0, info, ffi.NULL) == lib.KPU_ERR_VERSION


# ---- MaixPy's KPU module ------------------------------------------------------------------------


def _kpu():
    if importlib.util.find_spec("maixkpu.maixpy.kpu") is None:
        pytest.skip("maixkpu.maixpy.kpu is not there yet")
    from maixkpu.maixpy import kpu
    return kpu


def test_kpu_module_forward_with_float_list() -> None:
    kpu = _kpu()
    task = kpu.load(str(shared_model(IRIS_V4)))
    try:
        assert kpu.set_outputs(task, 0, 3, 1, 1) is True
        fmap = kpu.forward(task, GOLDEN_IN)
        assert (fmap.typecode(), fmap.w(), fmap.h(), fmap.ch()) == ("f", 3, 1, 1)
        np.testing.assert_allclose(fmap[:], GOLDEN_OUT, atol=1e-5, rtol=0)
        info = kpu.netinfo(task)
        assert len(info) == 4
    finally:
        kpu.deinit(task)


def test_kpu_module_set_outputs_checks_the_real_size() -> None:
    kpu = _kpu()
    task = kpu.load(str(shared_model(IRIS_V4)))
    try:
        assert kpu.set_outputs(task, 0, 4, 1, 1) is False  # 16 bytes != the 12 of output 0
        assert kpu.set_outputs(task, 1, 3, 1, 1) is False  # one output only
        assert kpu.set_outputs(task, 0, 1, 3, 1) is True
    finally:
        kpu.deinit(task)
