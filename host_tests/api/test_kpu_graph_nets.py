"""kmodel V4 and V5 nets through MaixPy's ``KPU`` module as V3 nets are used: no set_outputs
needed (V4 output shapes come from the graph), maps of inner layers described by the layer
(element type and shape), run_yolo2 on the graph's shape, netinfo rows, and V5 models compiled
by nncase 1.9 (cached under build/v5-models) through forward / fmap / netinfo."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.v4.test_v4_kpu import YOLO_V3
from host_tests.v4.test_v4_yolo import VOC_ANCHORS, VOC_BICYCLE, VOC_CAR, VOC_DOG, yolo_as_v4
from maixkpu._core import lib
from maixkpu.maixpy import image, kpu

V4_TAIL = ("KL_V4_DEQUANTIZE", "KL_V4_BINARY", "KL_V4_BINARY")


@pytest.fixture(autouse=True)
def host_defaults():
    """Host flash and paths (a virtual board run earlier in this process may have installed
    its own)."""
    kpu.host_reset()
    yield
    kpu.host_reset()


@pytest.fixture(scope="module")
def dog() -> image.Image:
    img = image.Image(str(shared_model("nncase_dog_320x240.bmp")))
    img.pix_to_ai()
    return img


@pytest.fixture(scope="module")
def voc_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The VOC YOLOv2 V3 file and the same detector as a V4 file (16 kpu_conv2d nodes,
    dequantize and two broadcast binaries)."""
    if not lib.kpu_api_v4_build():
        pytest.skip("this build of the core has no kmodel V4 container")
    v3 = shared_model(YOLO_V3)
    v4 = tmp_path_factory.mktemp("v4") / "yolo_v4.kmodel"
    v4.write_bytes(yolo_as_v4(v3.read_bytes()))
    return v3, v4


@pytest.fixture
def nets(voc_files):
    v3, v4 = (kpu.load(str(p)) for p in voc_files)
    yield v3, v4
    kpu.deinit(v3)
    kpu.deinit(v4)


def quiet_netinfo(net: kpu.kpu_net) -> list[kpu.kpu_netinfo_find]:
    with contextlib.redirect_stdout(io.StringIO()):
        return kpu.netinfo(net)


def fields(row: kpu.kpu_netinfo_find) -> tuple[int, ...]:
    return (row.type(), row.wi(), row.hi(), row.wo(), row.ho(), row.chi(), row.cho(), row.dw(),
            row.kernel_type(), row.pool_type(), row.para_size())


def test_v4_forward_without_set_outputs_gives_the_graph_shape(nets, dog):
    v3, v4 = nets
    want = kpu.forward(v3, dog)
    got = kpu.forward(v4, dog)
    assert bytes(got) == bytes(want)  # the same detector, bit for bit
    assert (got.typecode(), got.w(), got.h(), got.ch(), got.size()) == ("f", 10, 7, 125, 35000)
    assert got.index() == 18
    again = kpu.get_output(v4, 0)
    assert (again.w(), again.h(), again.ch(), bytes(again)) == (10, 7, 125, bytes(got))
    with pytest.raises(OSError, match="^2011: "):
        kpu.get_output(v4, 1)


def test_v4_set_outputs_shape_is_reported_and_checked(nets, dog, capsys):
    _, v4 = nets
    assert kpu.set_outputs(v4, 0, 7, 10, 125) is True
    out = kpu.forward(v4, dog)
    assert (out.typecode(), out.w(), out.h(), out.ch()) == ("f", 7, 10, 125)
    capsys.readouterr()
    assert kpu.set_outputs(v4, 0, 10, 7, 124) is False
    assert capsys.readouterr().out == (
        "w*h*ch!=35000\n[MAIXPY]kpu: set_outputs arg value error: w,c,ch size not match "
        "output size\n")
    assert kpu.set_outputs(v4, 16, 10, 7, 125) is False
    assert capsys.readouterr().out == ("[MAIXPY]kpu: set_outputs arg value error:kmodel output "
                                       "idx 16 out of range\n")
    assert kpu.get_output(v4, 0).w() == 7  # the accepted shape stays


@pytest.mark.parametrize("layer", [0, 5, 15])
def test_v4_inner_conv_maps_equal_v3(nets, dog, layer):
    v3, v4 = nets
    want = kpu.forward(v3, dog, layer)
    got = kpu.forward(v4, dog, layer)
    assert got.typecode() == "B" and got.index() == layer
    assert (got.w(), got.h(), got.ch(), got.size()) == (want.w(), want.h(), want.ch(),
                                                        want.size())
    assert bytes(got) == bytes(want)
    plane = got.w() * got.h()
    last = kpu.fmap(got, got.ch() - 1)
    assert (last.width(), last.height()) == (got.w(), got.h())
    assert bytes(last)[:plane] == bytes(got)[-plane:]
    with pytest.raises(OSError, match="^2011: "):
        kpu.get_output(v4, 1)  # a partial run has only output 0


def test_v4_inner_float_maps_are_described_by_their_layer(nets, dog):
    _, v4 = nets
    q = kpu.forward(v4, dog, 15)
    codes = np.frombuffer(bytes(q), np.uint8)
    deq = kpu.forward(v4, dog, 16)  # dequantize with scale 1, bias 0: the codes as floats
    assert (deq.typecode(), deq.w(), deq.h(), deq.ch(), deq.size()) == ("f", 10, 7, 125, 35000)
    assert np.array_equal(np.asarray(deq[:], np.float32), codes.astype(np.float32))
    with pytest.raises(ValueError, match="can't convet float fmap yet"):
        kpu.fmap(deq, 0)
    # set_layers stops there too, and the set_outputs shape is for the model output only
    assert kpu.set_outputs(v4, 0, 7, 10, 125) is True
    assert kpu.set_layers(v4, 17) is True
    scaled = kpu.forward(v4, dog)
    assert (scaled.typecode(), scaled.w(), scaled.h(), scaled.ch(), scaled.index()) == (
        "f", 10, 7, 125, 16)
    assert kpu.set_layers(v4, 0) is True
    assert kpu.forward(v4, dog).w() == 7


def test_v4_run_yolo2_without_set_outputs(nets, dog):
    v3, v4 = nets
    found = []
    for net in (v3, v4):
        assert kpu.init_yolo2(net, 0.5, 0.2, 5, VOC_ANCHORS) is True
        dets = kpu.run_yolo2(net, dog)
        assert dets is not None
        found.append([(d.rect(), d.classid(), d.value()) for d in dets])
    assert found[1] == found[0]
    assert {c for _, c, _ in found[1]} == {VOC_BICYCLE, VOC_CAR, VOC_DOG}
    # a set_layers cut leaves a uint8 map: the region layer refuses it
    assert kpu.set_layers(v4, 16) is True
    with pytest.raises(ValueError, match="region_layer_init err"):
        with contextlib.redirect_stdout(io.StringIO()):
            kpu.run_yolo2(v4, dog)


def test_v4_netinfo_conv_rows_equal_v3(nets, capsys):
    v3, v4 = nets
    rows3 = [r for r in quiet_netinfo(v3) if r.type() == lib.KL_K210_CONV]
    capsys.readouterr()
    rows4 = kpu.netinfo(v4)
    printed = capsys.readouterr().out.splitlines()
    assert len(rows4) == 19 and len(rows3) == 16
    assert [fields(r) for r in rows4[:16]] == [fields(r) for r in rows3]
    assert [r.index() for r in rows4] == list(range(19))
    tail = rows4[16:]
    assert tuple(repr(r).split('"type":')[1].split(",")[0] for r in tail) == V4_TAIL
    assert all(r.type() == 0x10000 + op for r, op in zip(tail, (0x03, 0x00, 0x00)))
    assert all(fields(r)[1:10] == (0,) * 9 and r.para_size() > 0 for r in tail)
    assert printed[16] == f"layer[16]: KL_V4_DEQUANTIZE, {tail[0].para_size()} bytes"
    assert printed[0].startswith("layer[0]: KL_K210_CONV, ")


def test_v4_loads_from_flash_with_the_size_from_its_header(voc_files, dog):
    """KPU.load(offset) of the V4 file (KPU.load_flash of V4: test_kpu_load_flash_v4.py)."""
    from maixkpu.maixpy.flash import HostFlash

    data = voc_files[1].read_bytes()
    flash = HostFlash()
    flash.write(0x300000, data)
    kpu.set_flash(flash)
    try:
        net = kpu.load(0x300000)
    finally:
        kpu.set_flash(None)
    # size from the header tables: the last body's padding, which the file leaves out, counts
    assert len(data) <= net.model_size() < len(data) + 8
    assert kpu.forward(net, dog).w() == 10
    kpu.deinit(net)


# ----- V5 (nncase 1.9) --------------------------------------------------------------------------


def v5_case(name: str) -> tuple[bytes, list[np.ndarray], list[list[np.ndarray]]]:
    from host_tests.v5.nncase_cache import kmodel, reference
    from host_tests.v5.onnx_models import CASE_BY_NAME

    case = CASE_BY_NAME[name]
    model = kmodel(case)
    xs, runs = reference(case, model)
    return model, xs, runs


@pytest.mark.parametrize("name", ["yolo_head", "uint8_output", "classifier"])
def test_v5_forward_fmap_netinfo(name, tmp_path):
    model, xs, runs = v5_case(name)
    path = tmp_path / f"{name}.kmodel"
    path.write_bytes(model)
    net = kpu.load(str(path))
    try:
        x, want = xs[0], runs[0][0]
        out = kpu.forward(net, x.tobytes())
        code = "f" if want.dtype == np.float32 else "B"
        assert (out.typecode(), out.size()) == (code, want.nbytes)
        assert out.w() * out.h() * out.ch() == want.size
        assert bytes(out) == np.ascontiguousarray(want).tobytes()
        rows = quiet_netinfo(net)
        assert rows and all(r.type() == lib.KL_K210_CONV for r in rows)
        assert all(r.wo() * r.ho() * r.cho() > 0 and r.para_size() > 0 for r in rows)
        first = kpu.forward(net, x.tobytes(), 0)
        assert (first.typecode(), first.index()) == ("B", 0)
        assert (first.w(), first.h(), first.ch()) == (rows[0].wo(), rows[0].ho(), rows[0].cho())
        assert first.size() == first.w() * first.h() * first.ch()
        gray = kpu.fmap(first, first.ch() - 1)
        plane = first.w() * first.h()
        assert bytes(gray)[:plane] == bytes(first)[-plane:]
    finally:
        kpu.deinit(net)


def test_v5_program_only_model_reports_its_output_shape(monkeypatch, tmp_path):
    """A CPU-only V5 model (one stackvm program: exp of a 3 x 32 x 32 float input) whose output
    records the shape [3, 32, 32]: one program layer, and the map has the recorded shape."""
    from host_tests.v5 import svasm

    plain = svasm._shape
    monkeypatch.setattr(svasm, "_shape",
                        lambda dims: plain([3, 32, 32] if list(dims) == [3072] else dims))
    prog = svasm.Program()
    prog.view_regs(0, [1, 3, 32, 32])
    prog.lea(svasm.INPUT, 0)
    prog.lea(svasm.OUTPUT, 0)
    prog.tensor(0x26, "BBBBB", svasm.DT_F32, 0, 1, 1, 5)  # unary exp
    path = tmp_path / "exp.kmodel"
    path.write_bytes(svasm.kmodel(bytes(prog.code), in_shape=[1, 3, 32, 32], out_elems=3072))
    net = kpu.load(str(path))
    try:
        x = np.linspace(-2.0, 2.0, 3072, dtype=np.float32)
        out = kpu.forward(net, x.tolist())
        assert (out.typecode(), out.w(), out.h(), out.ch(), out.index()) == ("f", 32, 32, 3, 0)
        assert np.allclose(out[:], np.exp(x), rtol=1e-6, atol=0)
        (row,) = quiet_netinfo(net)
        assert (row.index(), row.type()) == (0, lib.KPU_V5_PROGRAM_LAYER)
    finally:
        kpu.deinit(net)


def test_v5_model_loads_from_flash_like_v3():
    """KPU.load(offset) works out a V5 model's size from its module headers and runs it."""
    from host_tests.v5 import svasm
    from maixkpu.maixpy.flash import HostFlash

    prog = svasm.Program()
    prog.view_regs(0, [1, 3, 32, 32])
    prog.lea(svasm.INPUT, 0)
    prog.lea(svasm.OUTPUT, 0)
    prog.tensor(0x26, "BBBBB", svasm.DT_F32, 0, 1, 1, 5)  # unary exp
    blob = svasm.kmodel(bytes(prog.code), in_shape=[1, 3, 32, 32], out_elems=3072)
    flash = HostFlash()
    flash.write(0x500000, blob)
    kpu.set_flash(flash)
    try:
        net = kpu.load(0x500000)
        assert net.model_addr() == 0x500000 and net.model_size() == len(blob)
        x = np.linspace(-1.0, 1.0, 3072, dtype=np.float32)
        assert np.allclose(kpu.forward(net, x.tolist())[:], np.exp(x), rtol=1e-6, atol=0)
        kpu.deinit(net)
    finally:
        kpu.set_flash(None)
