"""The shapes V5 models record for their outputs, as our runtime reports them: through
core.Model (output_dims, output_info, the arrays of run), MaixPy's KPU (get_output / forward
maps, run_yolo2 on the map's shape, netinfo of a CPU-only model) and `maixkpu info`, checked
against the shapes nncase 1.9's Simulator gives its outputs (host_tests/v5/nncase_cache.py)."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.v5 import v5_files
from host_tests.v5.nncase_cache import kmodel, reference
from host_tests.v5.onnx_models import CASE_BY_NAME, CASES
from maixkpu import core
from maixkpu._core import ffi, lib
from maixkpu.cli import main as cli_main
from maixkpu.maixpy import kpu
from maixkpu.postprocess import yolo2_decode


@pytest.fixture(autouse=True)
def host_defaults():
    """Host flash and paths (a virtual board run earlier in this process may have installed
    its own)."""
    kpu.host_reset()
    yield
    kpu.host_reset()


@pytest.fixture
def load_net(tmp_path):
    """KPU.load of a model's bytes (through a file, as MaixPy loads them)."""
    def load(model: bytes) -> kpu.kpu_net:
        path = tmp_path / f"m{len(list(tmp_path.iterdir()))}.kmodel"
        path.write_bytes(model)
        return kpu.load(str(path))
    return load


def whc(dims: tuple[int, ...]) -> tuple[int, int, int]:
    """w innermost, h next, c the product of the rest (1 where absent)."""
    w = dims[-1] if dims else 1
    h = dims[-2] if len(dims) >= 2 else 1
    return w, h, int(np.prod(dims[:-2], dtype=np.int64)) if len(dims) > 2 else 1


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_recorded_output_shapes_are_nncase_simulator_shapes(name: str) -> None:
    case = CASE_BY_NAME[name]
    model = kmodel(case)
    xs, ref = reference(case, model)
    with core.Model.load(model) as m:
        assert m.output_count == len(ref[0])
        outs = m.run(xs[0])
        for i, (out, want) in enumerate(zip(outs, ref[0])):
            dims = m.output_dims(i)
            assert dims == want.shape, (i, dims, want.shape)
            info = m.output_info(i)
            assert (info.w, info.h, info.c) == whc(dims)
            assert (info.dtype, info.size) == (want.dtype, want.nbytes)
            # run's arrays: the recorded shape without the batch of 1 (CHW as for V3)
            assert out.shape == want.shape[1:]
            assert np.array_equal(out, want[0])


def test_yolo_output_is_chw_and_maps_have_its_shape(load_net) -> None:
    """A KPU model's float output: (35, 10, 14) from run, 14 x 10 x 35 as MaixPy's map."""
    case = CASE_BY_NAME["yolo_head"]
    model = kmodel(case)
    xs, ref = reference(case, model)
    with core.Model.load(model) as m:
        assert m.output_dims(0) == (1, 35, 10, 14)
        assert m.run(xs[0])[0].shape == (35, 10, 14)
    net = load_net(model)
    try:
        out = kpu.forward(net, xs[0].tobytes())
        assert (out.w(), out.h(), out.ch(), out.typecode()) == (14, 10, 35, "f")
        assert bytes(out) == ref[0][0].tobytes()
    finally:
        kpu.deinit(net)


def test_every_output_of_a_two_output_model_has_its_map_shape(load_net) -> None:
    case = CASE_BY_NAME["uint8_two_outputs"]
    model = kmodel(case)
    xs, ref = reference(case, model)
    net = load_net(model)
    try:
        kpu.forward(net, xs[1].tobytes())
        for i, (w, h, ch) in enumerate([(12, 12, 4), (6, 6, 6)]):
            out = kpu.get_output(net, i)
            assert (out.w(), out.h(), out.ch(), out.typecode()) == (w, h, ch, "B")
            assert bytes(out) == ref[1][i].tobytes()
            plane = kpu.fmap(out, ch - 1)  # the last channel as a gray image
            assert bytes(plane)[:w * h] == ref[1][i][0, ch - 1].tobytes()
    finally:
        kpu.deinit(net)


def test_run_yolo2_decodes_a_v5_output_on_its_recorded_shape(load_net) -> None:
    """Without a shape run_yolo2 refused V5 outputs (region_layer_init err); now it decodes
    them exactly as the region layer decodes nncase's output."""
    case = CASE_BY_NAME["yolo_head"]
    model = kmodel(case)
    xs, ref = reference(case, model)
    anchors = [1.0, 1.2, 2.0, 2.5, 3.0, 3.5, 1.5, 4.0, 4.0, 1.5]
    net = load_net(model)
    try:
        assert kpu.init_yolo2(net, 0.05, 0.3, 5, anchors) is True
        got = kpu.run_yolo2(net, xs[2].tobytes()) or []
    finally:
        kpu.deinit(net)
    want = yolo2_decode(ref[2][0][0], 14, 10, 35, 56, 40, anchors, 0.05, 0.3)
    assert want, "the reference decode finds nothing: the comparison would be empty"
    assert [(d.x(), d.y(), d.w(), d.h(), d.classid()) for d in got] == \
        [(d.x, d.y, d.w, d.h, d.classid) for d in want]
    assert [d.value() for d in got] == pytest.approx([d.value for d in want], abs=1e-6)


def test_cpu_only_model_has_one_named_program_layer(load_net) -> None:
    """nncase puts float-only graphs on the CPU: the model's one layer is its stackvm program
    (type V5_STACKVM, body = the entry function's code), its maps have the recorded shapes."""
    case = CASE_BY_NAME["cpu_only"]
    model = kmodel(case)
    xs, ref = reference(case, model)
    with core.Model.load(model) as m:
        (layer,) = m.layers()
        assert (layer.type, layer.type_name) == (lib.KPU_V5_PROGRAM_LAYER, "V5_STACKVM")
        start, code = v5_files.parse(model)[0].code(model, 0)
        assert (layer.body_offset, layer.body_size) == (start, len(code))
        assert (layer.wi, layer.hi, layer.chi, layer.wo, layer.ho, layer.cho) == \
            (8, 8, 3, 64, 3, 1)
    net = load_net(model)
    try:
        with contextlib.redirect_stdout(io.StringIO()) as text:
            (row,) = kpu.netinfo(net)
        assert (row.index(), row.type()) == (0, lib.KPU_V5_PROGRAM_LAYER)
        assert "KL_V5_STACKVM" in text.getvalue()
        soft = kpu.forward(net, xs[0].reshape(-1).tolist())
        assert (soft.w(), soft.h(), soft.ch(), soft.typecode()) == (64, 3, 1, "f")
        assert bytes(soft) == ref[0][0].tobytes()
        exp = kpu.get_output(net, 1)
        assert (exp.w(), exp.h(), exp.ch()) == (8, 8, 3)
        assert bytes(exp) == ref[0][1].tobytes()
    finally:
        kpu.deinit(net)


def test_output_shape_errors() -> None:
    with core.Model.load(kmodel(CASE_BY_NAME["classifier"])) as m:
        with pytest.raises(core.KpuIndexError, match="output 1 out of range"):
            m.output_dims(1)
        info = ffi.new("kpu_tensor_info_t *")
        assert lib.kpu_v5_output_info(m._handle(), 0, ffi.NULL, ffi.NULL) == lib.KPU_ERR_ARGUMENT
        assert lib.kpu_v5_output_info(ffi.NULL, 0, info, ffi.NULL) == lib.KPU_ERR_ARGUMENT
    with core.Model.load(shared_model("sipeed_mnist_28x28.kmodel").read_bytes()) as v3:
        with pytest.raises(core.KpuError, match="V5 only"):
            v3.output_dims(0)
        assert lib.kpu_v5_output_info(v3._handle(), 0, info, ffi.NULL) == lib.KPU_ERR_VERSION
        flat = v3.output_info(0)  # V3 records no shape: the element count
        assert (flat.w, flat.h, flat.c, flat.size) == (10, 1, 1, 40)


def test_info_command_prints_output_shapes(tmp_path, capsys) -> None:
    path = tmp_path / "two.kmodel"
    path.write_bytes(kmodel(CASE_BY_NAME["two_outputs"]))
    assert cli_main(["info", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  output 0: 1x4x12x12 float32 (w 12, h 12, c 4; 2304 bytes)" in lines
    assert "  output 1: 1x6x6x6 float32 (w 6, h 6, c 6; 864 bytes)" in lines
