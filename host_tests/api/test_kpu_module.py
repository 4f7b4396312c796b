"""MaixPy's ``KPU`` module on CPython (maixkpu.maixpy.kpu): every function, return type, repr
and error path with the exact type and message of spec maixpy-kpu-api.md (sections 1-5, 7.2),
and the clear errors that replace MaixPy's crashes (section 12)."""
from __future__ import annotations

import gc
import re
import struct
import weakref
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from host_tests.conftest import shared_model
from maixkpu.core import Model
from maixkpu.kmodel.reader import read_v3
from maixkpu.maixpy import image, kpu, sensor
from maixkpu.maixpy.flash import HostFlash

FACE_ADDR = 0x300000
FACE_BE_ADDR = 0x600000
FACE_SIZE = 388776
ANCHORS = (1.889, 2.5245, 2.9465, 3.94056, 3.99987, 5.3658, 5.155437, 6.92275, 6.718375, 9.01025)
V3_2002 = "ERR_KMODEL_VERSION: only support kmodel V3"  # common start of both build texts


@pytest.fixture
def flash():
    """A fresh host flash for KPU.load(offset); the module's default is restored after."""
    f = HostFlash()
    kpu.set_flash(f)
    yield f
    kpu.host_reset()


@pytest.fixture
def face_flash(flash):
    flash.load_kfpkg(shared_model("sipeed_face_model_at_0x300000.kfpkg"))
    return flash


@pytest.fixture
def task(face_flash):
    net = kpu.load(FACE_ADDR)
    yield net
    kpu.deinit(net)


@pytest.fixture(scope="module")
def dog():
    """The 320x240 dog photo as an RGB565 Image with pix_ai filled (the face model's size)."""
    img = image.Image(str(shared_model("nncase_dog_320x240.bmp")))
    img.pix_to_ai()
    return img


def planar(img: image.Image) -> np.ndarray:
    return img.ai_planes().copy()


# ----- load --------------------------------------------------------------------------------------


def test_load_from_flash_repr_and_methods(task):
    assert type(task).__name__ == "kpu_net"
    assert repr(task) == ('{"model_addr": 3145728, "model_size": 388776, "model_path": "(null)", '
                          '"net_args": "(null)"}')
    assert task.model_size() == FACE_SIZE
    assert task.model_addr() == FACE_ADDR
    assert task.model_path() is None
    assert task.net_arg() is None


def test_load_from_path():
    path = str(shared_model("sipeed_facedetect_320x240.kmodel"))
    net = kpu.load(path)
    assert repr(net) == (f'{{"model_addr": 0, "model_size": 388776, "model_path": "{path}", '
                         '"net_args": "(null)"}')
    assert net.model_addr() is None and net.model_path() == path
    kpu.deinit(net)


@pytest.mark.parametrize("arg", [0, -1])
def test_load_address_must_be_positive(flash, arg):
    with pytest.raises(ValueError) as exc:
        kpu.load(arg)
    assert str(exc.value) == "[MAIXPY]kpu: model_addr must > 0 "


def test_load_argument_types(tmp_path):
    with pytest.raises(ValueError) as exc:
        kpu.load(str(tmp_path / "model.bin"))
    assert str(exc.value) == "[MAIXPY]kpu: model format don't match, only supply .kmodel "
    with pytest.raises(TypeError) as exc:
        kpu.load(1.5)
    assert str(exc.value) == "[MAIXPY]kpu: only accept int or string"


def test_load_erased_flash_is_2002_saying_no_model(flash):
    with pytest.raises(ValueError) as exc:
        kpu.load(FACE_ADDR)
    text = str(exc.value)
    assert text.startswith("[MAIXPY]kpu: load error:2002, " + V3_2002)
    assert "no model at flash address 0x300000" in text and "0xFF" in text


def test_load_missing_file_is_2005(tmp_path):
    with pytest.raises(ValueError) as exc:
        kpu.load(str(tmp_path / "none.kmodel"))
    assert str(exc.value).startswith("[MAIXPY]kpu: load error:2005, ERR_READ_FILE: read file "
                                     "failed (")


def test_load_v5_and_big_endian_are_2002_with_reason(flash):
    flash.load_file(0x100000, shared_model("nncase_master_benchmark_cpu_mnist.kmodel"))
    with pytest.raises(ValueError) as exc:
        kpu.load(0x100000)
    assert str(exc.value).startswith("[MAIXPY]kpu: load error:2002, " + V3_2002)
    assert "kmodel V5" in str(exc.value)
    flash.load_kfpkg(shared_model("sipeed_face_model_be_at_0x600000.kfpkg"))
    with pytest.raises(ValueError) as exc:
        kpu.load(FACE_BE_ADDR)
    assert "load error:2002" in str(exc.value) and "load_flash" in str(exc.value)


def test_load_size_limits_are_2003(flash, tmp_path):
    model = bytearray(shared_model("sipeed_mnist_28x28.kmodel").read_bytes())
    big = tmp_path / "big.kmodel"
    big.write_bytes(bytes(model) + bytes(6 * 1024 * 1024))
    with pytest.raises(ValueError) as exc:
        kpu.load(str(big))
    assert str(exc.value).startswith("[MAIXPY]kpu: load error:2003, ERR_KMODEL_FORMAT: "
                                     "layer_header.body_size <=0 (model size err")
    # layer 0's body_size (after 28 header bytes and one 8-byte output) set to 0
    struct.pack_into("<I", model, 28 + 8 + 4, 0)
    flash.write(0x200000, bytes(model))
    with pytest.raises(ValueError) as exc:
        kpu.load(0x200000)
    assert str(exc.value).startswith("[MAIXPY]kpu: load error:2003, ")
    assert "body_size 0" in str(exc.value)


def test_more_than_five_models_load(face_flash):
    nets = [kpu.load(FACE_ADDR) for _ in range(7)]
    assert all(n.model_size() == FACE_SIZE for n in nets)
    for n in nets:
        kpu.deinit(n)


# ----- load_flash ------------------------------------------------------------------------------


def test_load_flash_argument_errors(flash):
    with pytest.raises(ValueError) as exc:
        kpu.load_flash(FACE_BE_ADDR, 1, "x", 80000000)
    assert str(exc.value) == ("[MAIXPY]kpu: load_flash arg format error: task=kpu.load_flash("
                              "flash_addr, is_dual_buf, batch_size, spi_speed)")
    with pytest.raises(ValueError) as exc:
        kpu.load_flash(0, 1, 0x4000, 80000000)
    assert str(exc.value) == "[MAIXPY]kpu: model_addr must > 0 "


def test_load_flash_needs_the_swapped_model(face_flash, capsys):
    with pytest.raises(ValueError) as exc:
        kpu.load_flash(FACE_ADDR, 0, 0, 40000000)
    assert str(exc.value).startswith("[MAIXPY]kpu: load_flash error:2002, " + V3_2002)
    assert "model_le2be" in str(exc.value)
    assert capsys.readouterr().out == "SPI freq 40000000 Hz\n"


@pytest.mark.parametrize("dual, batch", [(0, 0), (1, 0x4000)])
def test_load_flash_streams_weights_with_identical_results(face_flash, dog, dual, batch, capsys):
    face_flash.load_kfpkg(shared_model("sipeed_face_model_be_at_0x600000.kfpkg"))
    whole = kpu.load(FACE_ADDR)
    streamed = kpu.load_flash(FACE_BE_ADDR, dual, batch, 100000000)
    assert capsys.readouterr().out == "SPI freq 80000000 Hz\n"
    assert streamed.model_size() == FACE_SIZE and streamed.model_addr() == FACE_BE_ADDR
    for end in (0, 3, None):
        a = kpu.forward(whole, dog, end) if end is not None else kpu.forward(whole, dog)
        b = kpu.forward(streamed, dog, end) if end is not None else kpu.forward(streamed, dog)
        assert bytes(a) == bytes(b) and (a.w(), a.h(), a.ch()) == (b.w(), b.h(), b.ch())
    # the structure without weights is far smaller than the file the other net keeps
    assert streamed.memory < whole.memory - FACE_SIZE // 2
    assert [repr(r) for r in kpu.netinfo(streamed)] == [repr(r) for r in kpu.netinfo(whole)]
    kpu.deinit(whole)
    kpu.deinit(streamed)


# ----- set_outputs / init_yolo2 ------------------------------------------------------------------


def test_set_outputs(task, capsys):
    with pytest.raises(TypeError):
        kpu.set_outputs(task, 0, 20, 15)
    with pytest.raises(ValueError) as exc:
        kpu.set_outputs(task, 0, 20, 15, "30")
    assert str(exc.value) == ("[MAIXPY]kpu: set_outputs arg format error: set_outputs(task, int "
                              "idx, int w, int h, int ch)")
    assert kpu.set_outputs(task, 0, 20, 15, 30) is False
    assert capsys.readouterr().out == "[MAIXPY]kpu: set_outputs ctx error, maybe init err:2002\n"


def test_init_yolo2_and_its_args_object(task):
    assert kpu.init_yolo2(task, 0.5, 0.3, 5, ANCHORS) is True
    args = task.net_arg()
    assert type(args).__name__ == "kpu_yolo2"
    assert args.threshold() == 0.5 and args.nms_value() == float(np.float32(0.3))
    assert args.anchor_number() == 5
    assert args.anchor() == tuple(float(np.float32(a)) for a in ANCHORS)
    expected = ('{"threshold":0.500000, "nms_value":0.300000, "anchor_number":5, "anchor":"('
                "1.889000, 2.524500, 2.946500, 3.940560, 3.999870, 5.365800, 5.155437, 6.922750, "
                '6.718375, 9.010250)"}')
    assert repr(args) == expected
    assert repr(task).endswith(f'"net_args": {expected}}}')


@pytest.mark.parametrize("args, error, text", [
    ((1.5, 0.3, 5), ValueError, "[MAIXPY]kpu: threshold only support 0 to 1"),
    ((-0.1, 0.3, 5), ValueError, "[MAIXPY]kpu: threshold only support 0 to 1"),
    ((0.5, 2, 5), ValueError, "[MAIXPY]kpu: nms_value only support 0 to 1"),
    ((0.5, 0.3, 0), ValueError, "[MAIXPY]kpu: anchor_number should > 0"),
    ((0.5, 0.3, 4), ValueError, "requested length 8 but object has length 10"),
    (("0.5", 0.3, 5), TypeError, "can't convert str to float"),
])
def test_init_yolo2_errors(task, args, error, text):
    with pytest.raises(error) as exc:
        kpu.init_yolo2(task, *args, ANCHORS)
    assert str(exc.value) == text
    assert task.net_arg() is None


def test_init_yolo2_types(task):
    with pytest.raises(TypeError) as exc:
        kpu.init_yolo2("task", 0.5, 0.3, 5, ANCHORS)
    assert str(exc.value) == "[MAIXPY]kpu: kpu_net type error"
    with pytest.raises(TypeError) as exc:
        kpu.init_yolo2(task, 0.5, 0.3, 5, 1.0)
    assert str(exc.value) == "object 'float' isn't a tuple or list"
    with pytest.raises(TypeError):
        kpu.init_yolo2(task, 0.5, 0.3, 5)


# ----- run_yolo2 ----------------------------------------------------------------------------------


def test_run_yolo2_without_init_is_a_clear_error(task, dog):
    with pytest.raises(ValueError) as exc:
        kpu.run_yolo2(task, dog)
    assert "init_yolo2" in str(exc.value)


@pytest.fixture
def astronaut():
    """A QVGA camera frame of scikit-image's astronaut portrait (one face)."""
    skimage_data = pytest.importorskip("skimage.data")
    sensor.host_reset()
    sensor.configure_source(Path(skimage_data.__file__).parent / "astronaut.png")
    sensor.reset()
    sensor.set_pixformat(sensor.RGB565)
    sensor.set_framesize(sensor.QVGA)
    frame = sensor.snapshot()
    sensor.host_reset()
    return frame


def test_run_yolo2_result_objects(task, astronaut):
    kpu.init_yolo2(task, 0.5, 0.3, 5, ANCHORS)
    assert kpu.run_yolo2(task, bytes(320 * 240 * 3)) is None  # black frame: nothing
    found = kpu.run_yolo2(task, astronaut)
    assert isinstance(found, list) and len(found) == 1
    # the same detection from the planar bytes as from the Image
    assert [repr(d) for d in kpu.run_yolo2(task, planar(astronaut))] == [repr(found[0])]
    for i, det in enumerate(found):
        assert type(det).__name__ == "kpu_yolo2_find"
        assert det.index() == i and det.objnum() == len(found)
        assert det.rect() == (det.x(), det.y(), det.w(), det.h())
        assert isinstance(det.value(), float) and 0.5 < det.value() <= 1.0
        assert det.classid() == 0
        assert repr(det) == (f'{{"x":{det.x()}, "y":{det.y()}, "w":{det.w()}, "h":{det.h()}, '
                             f'"value":{det.value():f}, "classid":0, "index":{i}, '
                             f'"objnum":{len(found)}}}')


def test_run_yolo2_image_checks(task, dog, capsys):
    kpu.init_yolo2(task, 0.5, 0.3, 5, ANCHORS)
    with pytest.raises(TypeError) as exc:
        kpu.run_yolo2(task, 3)
    assert str(exc.value) == "Can't convert int to Image"
    cases = [
        (image.Image(size=(320, 240)), "[MAIXPY]kpu: pix_ai is NULL!"),
        (dog.resize(160, 120), "[MAIXPY]kpu: pix_ai is NULL!"),
    ]
    small = dog.resize(160, 120)
    small.pix_to_ai()
    cases.append((small, "[MAIXPY]kpu: img w=160,h=120, but model w=320,h=240"))
    gray = dog.to_grayscale(copy=True)
    gray.pix_to_ai()
    cases.append((gray, "[MAIXPY]kpu: grayscale img, but model channel=3"))
    for img, line in cases:
        with pytest.raises(ValueError) as exc:
            kpu.run_yolo2(task, img)
        assert str(exc.value) == "[MAIXPY]kpu: check img format err!\r\n"
        assert capsys.readouterr().out == line + "\n"


# ----- forward / set_layers / get_output -------------------------------------------------------


def test_forward_full_run_is_the_dequantized_output(task, dog):
    fmap = kpu.forward(task, dog)
    assert type(fmap).__name__ == "kpu_fmap"
    # last layer DEQUANTIZE: 'f', h = ch = 1, w = element count (MaixPy's w = bytes is fixed)
    assert (fmap.typecode(), fmap.w(), fmap.h(), fmap.ch()) == ("f", 9000, 1, 1)
    assert fmap.size() == 36000 and fmap.index() == 23
    with Model.load(shared_model("sipeed_facedetect_320x240.kmodel")) as model:
        expected = model.run(planar(dog))[0].reshape(-1)
    assert np.array_equal(np.frombuffer(bytes(fmap), "<f4"), expected)
    assert fmap[0] == float(expected[0]) and fmap[:3] == tuple(float(v) for v in expected[:3])
    assert memoryview(fmap).format == "f"
    assert re.fullmatch(r'\{"fmap": "data"=0x[0-9a-f]+, "size"=36000, "index": 23, "w": 9000, '
                        r'"h": 1, "ch": 1, "typecode": f\}', repr(fmap))


def test_forward_to_an_end_layer_and_set_layers(task, dog, capsys):
    end3 = kpu.forward(task, dog, 3)
    assert (end3.typecode(), end3.w(), end3.h(), end3.ch()) == ("B", 80, 60, 32)
    assert end3.size() == 80 * 60 * 32 and end3.index() == 3
    with Model.load(shared_model("sipeed_facedetect_320x240.kmodel")) as model:
        expected = model.run(planar(dog), last_layer=3)[0]
    assert bytes(end3) == expected.tobytes()
    assert kpu.set_layers(task, 4) is True
    same = kpu.forward(task, dog)
    assert bytes(same) == bytes(end3) and same.index() == 3
    got = kpu.get_output(task, 0)
    assert bytes(got) == bytes(end3) and (got.w(), got.h(), got.ch()) == (80, 60, 32)
    with pytest.raises(OSError) as exc:
        kpu.get_output(task, 1)
    assert str(exc.value).startswith("2011: ")
    assert kpu.set_layers(task, 25) is False
    assert capsys.readouterr().out == "err: set layers_length to 25, but max 24\n"
    assert kpu.set_layers(task, 0) is True
    assert kpu.forward(task, dog).index() == 23


def test_forward_inputs_and_errors(task, dog):
    with pytest.raises(TypeError) as exc:
        kpu.forward("task", dog)
    assert str(exc.value) == "[MAIXPY]kpu: kpu_net type error"
    for bad in ((1.0, 2.0), None):
        with pytest.raises(ValueError) as exc:
            kpu.forward(task, bad)
        assert str(exc.value) == "input not support"
    with pytest.raises(ValueError) as exc:
        kpu.forward(task, [])
    assert str(exc.value) == "[MAIXPY]kpu: check input list format err!\r\n"
    with pytest.raises(OSError) as exc:
        kpu.forward(task, dog, 24)
    assert str(exc.value).startswith("SIPEED_KPU_ERR_IDX_OUTRANGE: end layer 24 out of range")
    with pytest.raises(OSError) as exc:
        kpu.forward(task, b"\0" * 10)
    assert str(exc.value).startswith("SIPEED_KPU_ERR_SIZE_NOTMATCH: input has 10 bytes")
    # buffer-protocol planar input gives the same map as the Image
    assert bytes(kpu.forward(task, planar(dog), 2)) == bytes(kpu.forward(task, dog, 2))


def test_get_output_errors(task):
    with pytest.raises(ValueError) as exc:
        kpu.get_output(task, "0")
    assert str(exc.value) == "[MAIXPY]kpu: get_output arg format error: get_output(task, int idx)"
    with pytest.raises(OSError) as exc:
        kpu.get_output(task, 0)
    assert str(exc.value) == "2015: the net has not run: call forward first"


# ----- kpu_fmap and fmap -----------------------------------------------------------------------


def test_fmap_object_subscripts(task, dog):
    m = kpu.forward(task, dog, 0)
    raw = bytes(m)
    assert m.typecode() == "B" and memoryview(m).format == "B" and len(raw) == m.size()
    assert m[0] == raw[0] and m[:4] == tuple(raw[:4]) and isinstance(m[:4], tuple)
    with pytest.raises(OSError) as exc:
        m[::2]
    assert str(exc.value) == "only slices with step=1 (aka None) are supported"
    with pytest.raises(TypeError):
        len(m)
    with pytest.raises(IndexError):
        m[m.size()]
    m[0] = 7
    m[1:3] = [8, 9]
    assert m[:3] == (7, 8, 9)
    m[3:5] = 1
    assert m[3:5] == (1, 1)
    with pytest.raises(OSError) as exc:
        m[0:2] = [1]
    assert str(exc.value) == "cannot grow or shrink image"


def test_fmap_channel_images(task, dog):
    m = kpu.forward(task, dog, 3)
    raw = np.frombuffer(bytes(m), np.uint8).reshape(32, 60, 80)
    img = kpu.fmap(m, 5)
    assert isinstance(img, image.Image) and img.format() == 4
    assert (img.width(), img.height()) == (80, 60) and img.pix_ai is None
    assert bytes(img) == raw[5].tobytes()
    with pytest.raises(ValueError) as exc:
        kpu.fmap(m, 32)
    assert str(exc.value) == "[MAIXPY]kpu: ch err,input 0~32\r\n"
    with pytest.raises(ValueError):
        kpu.fmap(m, -1)
    with pytest.raises(ValueError) as exc:
        kpu.fmap(kpu.forward(task, dog), 0)
    assert str(exc.value) == "[MAIXPY]kpu: can't convet float fmap yet\r\n"
    with pytest.raises(TypeError):
        kpu.fmap(bytes(m), 0)
    assert kpu.fmap_free(m) is None
    with pytest.raises(OSError) as exc:
        kpu.fmap(m, 0)
    assert "fmap_free" in str(exc.value)


def test_fmap_image_views_the_map(task, dog):
    """MaixPy's fmap Image is a view (spec 4.10): in-place changes reach the map and the next
    fmap of that channel, writes to the map reach the Image, and the Image keeps the map alive.
    After fmap_free and deinit the Image keeps the map's bytes (as the firmware glue)."""
    m = kpu.forward(task, dog, 3)
    plane = 80 * 60
    raw = bytes(m)
    img = kpu.fmap(m, 5)
    ref = image.Image.from_gray_bytes(80, 60, bytearray(raw[5 * plane:6 * plane]))
    ref.stretch(64, 255)
    stretched = bytes(ref)
    assert stretched != raw[5 * plane:6 * plane]  # the stretch changes this plane
    assert img.stretch(64, 255) is None and bytes(img) == stretched
    assert bytes(kpu.fmap(m, 5)) == stretched
    assert bytes(m) == raw[:5 * plane] + stretched + raw[6 * plane:]
    m[5 * plane + 1] = 7  # the map written through its subscript
    assert img.get_pixel(1, 0) == 7 and kpu.fmap(m, 5).get_pixel(1, 0) == 7
    kpu.fmap(m, 5).set_pixel(2, 0, 9)  # another Image of the same channel
    assert img.get_pixel(2, 0) == 9 and m[5 * plane + 2] == 9
    # the Image holds the map: dropping the map keeps its bytes alive, dropping both frees it
    alive = weakref.ref(m)
    now = bytes(m)
    del m
    gc.collect()
    assert alive() is not None and bytes(img) == now[5 * plane:6 * plane]
    m = alive()
    # a later run makes a new map; this one and its Images keep their bytes (maps are copies)
    later = kpu.forward(task, dog, 3)
    assert bytes(later) == raw and bytes(img) == now[5 * plane:6 * plane]
    other = kpu.fmap(m, 31)
    assert kpu.fmap_free(m) is None
    with pytest.raises(OSError) as exc:
        kpu.fmap(m, 5)
    assert str(exc.value) == "[MAIXPY]kpu: this kpu_fmap was released by kpu.fmap_free()"
    assert bytes(other) == now[31 * plane:] and bytes(img) == now[5 * plane:6 * plane]
    last = kpu.fmap(later, 0)
    assert kpu.deinit(task) is True
    with pytest.raises(OSError) as exc:
        kpu.fmap(later, 0)
    assert str(exc.value) == "[MAIXPY]kpu: this kpu_fmap's net was released by kpu.deinit()"
    assert bytes(last) == raw[:plane] and bytes(other) == now[31 * plane:]
    other.set_pixel(0, 0, 255)
    last.stretch(64, 255)
    assert bytes(m)[31 * plane] == 255 and bytes(later)[:plane] == bytes(last)
    del m, img, other
    gc.collect()
    assert alive() is None


# ----- netinfo ----------------------------------------------------------------------------------


def test_netinfo_rows_from_the_layer_arguments(task, capsys):
    rows = kpu.netinfo(task)
    printed = capsys.readouterr().out.splitlines()
    parsed = read_v3(shared_model("sipeed_facedetect_320x240.kmodel").read_bytes())
    assert len(rows) == len(parsed.layers) == 24
    for i, (row, layer) in enumerate(zip(rows, parsed.layers)):
        assert type(row).__name__ == "kpu_netinfo_find" and row.index() == i
        assert printed[i] == (f"layer[{i}]: KL_{'K210_CONV' if i < 23 else 'DEQUANTIZE'}, "
                              f"{parsed.body_sizes[i]} bytes")
        if i == 23:
            assert row.type() == 12 and row.para_size() == parsed.body_sizes[23]
            assert [row.wi(), row.hi(), row.wo(), row.ho(), row.chi(), row.cho(), row.dw(),
                    row.kernel_type(), row.pool_type()] == [0] * 9
            continue
        a = layer.arg
        assert row.type() == 10240
        assert (row.wi(), row.hi(), row.chi()) == (a.in_w, a.in_h, a.ic)
        assert (row.wo(), row.ho(), row.cho()) == (a.out_w, a.out_h, a.oc)
        assert (row.dw(), row.kernel_type(), row.pool_type(), row.para_size()) == (
            a.depth_wise_layer, a.kernel_type, a.pool_type, a.para_size)
    assert repr(rows[23]) == ('{"index":23, "type":KL_DEQUANTIZE, "wi":0, "hi":0, "wo":0, '
                              '"ho":0, "chi":0, "cho":0, "dw":0, "kernel_type":0, '
                              '"pool_type":0, "para_size":24}')
    assert repr(rows[3]).startswith('{"index":3, "type":KL_K210_CONV, "wi":80, "hi":60, '
                                    '"wo":80, "ho":60, "chi":32, "cho":32, ')
    with pytest.raises(TypeError):
        kpu.netinfo(None)


# ----- deinit / memtest ---------------------------------------------------------------------------


def test_deinit_frees_and_later_use_is_an_error(face_flash, dog, capsys):
    before = _held(capsys)
    net = kpu.load(FACE_ADDR)
    kpu.init_yolo2(net, 0.5, 0.3, 5, ANCHORS)
    m = kpu.forward(net, dog, 1)
    loaded = _held(capsys)
    assert loaded - before > FACE_SIZE
    assert kpu.deinit(net) is True and kpu.deinit(net) is True
    assert _held(capsys) - before < 1024  # only the small net record until it is collected
    assert kpu.memtest() is None
    assert "###kpu net 0x300000: " in capsys.readouterr().out
    assert net.net_arg() is None and net.model_size() == FACE_SIZE
    for call in (lambda: kpu.forward(net, dog), lambda: kpu.netinfo(net),
                 lambda: kpu.run_yolo2(net, dog), lambda: kpu.get_output(net, 0),
                 lambda: kpu.set_layers(net, 1), lambda: kpu.fmap(m, 0)):
        with pytest.raises(OSError) as exc:
            call()
        assert "deinit" in str(exc.value)
    with pytest.raises(TypeError) as exc:
        kpu.deinit(3)
    assert str(exc.value) == "[MAIXPY]kpu: kpu_net type error"


def _held(capsys) -> int:
    capsys.readouterr()
    assert kpu.memtest() is None
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"###free gc heap memory : \d+ KB", lines[0])
    assert re.fullmatch(r"###free sys heap memory: \d+ KB", lines[1])
    match = re.fullmatch(r"###kpu nets: \d+, holding (\d+) bytes", lines[2])
    assert match
    per_net = [re.fullmatch(r"###kpu net \S+: (\d+) bytes( \(deinit\))?", line)
               for line in lines[3:]]
    assert all(per_net) and sum(int(m.group(1)) for m in per_net) <= int(match.group(1))
    return int(match.group(1))


# ----- face features, classifier, install ---------------------------------------------------


def test_face_encode_and_compare():
    code = kpu.face_encode([0.1, -0.1, 0.25, 1.0, -1.0, 0.0])
    # clamp to +-0.25, * 512, truncate, int8 low byte: 51, -51, 128 -> -128, -128, -128, 0
    assert isinstance(code, bytearray) and list(code) == [51, 205, 128, 128, 128, 0]
    with pytest.raises(ValueError) as exc:
        kpu.face_encode([0.0] * 513)
    assert str(exc.value) == "feature dim <=200\r\n"
    a = bytes([10, 20, 30])
    assert kpu.face_compare(a, a) == pytest.approx(100.0, abs=1e-4)
    assert kpu.face_compare(bytes([10, 0]), bytes([0, 10])) == pytest.approx(50.0, abs=1e-4)
    with pytest.raises(ValueError) as exc:
        kpu.face_compare(a, a[:2])
    assert str(exc.value) == "compare feature must in same dim!\r\n"
    with pytest.raises(TypeError) as exc:
        kpu.face_compare([1, 2], [1, 2])
    assert str(exc.value) == "object with buffer protocol required"


def test_classifier_is_not_implemented(task):
    with pytest.raises(NotImplementedError) as exc:
        kpu.classifier(task, 3, 10)
    assert "closed-source" in str(exc.value)


class _Board:
    """The parts of a virtual board's context KPU uses (flash reader, file system)."""

    def __init__(self, flash: HostFlash) -> None:
        self.flash_read = flash.read
        self.fs = SimpleNamespace(host_path=lambda p: Path("/nonexistent") / p.lstrip("/"))


def test_install_and_board_flash(monkeypatch, face_flash):
    from maixkpu import maixpy

    installed = maixpy.install()
    assert installed["KPU"] is kpu
    board_flash = HostFlash()
    board_flash.write(0x500000, face_flash.read(FACE_ADDR, FACE_SIZE))
    ctx = _Board(board_flash)
    module = kpu.board_module(ctx)
    assert module is kpu
    net = kpu.load(0x500000)
    assert net.model_size() == FACE_SIZE
    kpu.deinit(net)
    with pytest.raises(ValueError) as exc:
        kpu.load(FACE_ADDR)  # not on the board's flash
    assert "no model at flash address" in str(exc.value)
    with pytest.raises(ValueError) as exc:
        kpu.load("/sd/face.kmodel")  # board paths go through the board's file system
    assert "load error:2005" in str(exc.value) and "/sd/face.kmodel" in str(exc.value)
