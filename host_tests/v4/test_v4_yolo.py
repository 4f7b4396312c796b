"""A whole detector as kmodel V4: the 16 K210_CONV layers of the real VOC YOLOv2 V3 model as
kpu_conv2d nodes, and its CHANNELWISE_DEQUANTIZE as dequantize + two broadcast binary nodes
(times the channel scale, plus the channel bias: the same float operations). The V4 file gives
the V3 model's output bit for bit on the dog photo, its output shape comes from the graph, and
MaixPy's KPU module finds bicycle, car and dog in it."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.v4.test_v4_kpu import YOLO_V3, v3_conv_layers
from host_tests.v4.v4_files import (
    CONST,
    F32,
    KPU,
    MAIN,
    NONE,
    OP,
    U8,
    Range,
    act,
    i32,
    kpu_conv2d_body,
    run_model,
    shape,
    u32,
    v4_file,
)
from maixkpu._core import ffi, lib
from maixkpu.core import Model

VOC_ANCHORS = (1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52)
VOC_BICYCLE, VOC_CAR, VOC_DOG = 1, 6, 11


def channelwise_params(data: bytes) -> tuple[int, int, np.ndarray]:
    """channels, channel_size and the (scale, bias) pairs of the V3 CHANNELWISE_DEQUANTIZE."""
    _v, _f, _a, count, _ms, _main, outs = struct.unpack_from("<7I", data, 0)
    body = 28 + 8 * outs + 8 * count
    for i in range(count):
        kind, size = struct.unpack_from("<2I", data, 28 + 8 * outs + 8 * i)
        if kind == 24:
            _fl, _in, _out, ch, cs = struct.unpack_from("<5I", data, body)
            pairs = np.frombuffer(data, "<f4", 2 * ch, body + 20).reshape(ch, 2)
            return ch, cs, pairs
        body += size
    raise AssertionError("no CHANNELWISE_DEQUANTIZE")


def yolo_as_v4(data: bytes) -> bytes:
    layers = v3_conv_layers(data)
    ch, cs, pairs = channelwise_params(data)
    last = layers[-1]
    assert ch == last.oc == 125 and cs == last.ow * last.oh == 70
    q = Range(MAIN, U8, 0, ch * cs)
    deq = Range(MAIN, F32, 512 * 20, 4 * ch * cs)
    scaled = Range(MAIN, F32, deq.start + deq.size, deq.size)
    out = Range(MAIN, F32, scaled.start + scaled.size, deq.size)
    scales = Range(CONST, F32, 0, 4 * ch)
    biases = Range(CONST, F32, 4 * ch, 4 * ch)
    consts = pairs[:, 0].astype("<f4").tobytes() + pairs[:, 1].astype("<f4").tobytes()
    nodes = [(OP["kpu_conv2d"], kpu_conv2d_body(lay.words, lay.bn, lay.act, lay.weights,
                                                q if lay is last else NONE))
             for lay in layers]
    maps = shape(1, ch, last.oh, last.ow)
    per_channel = shape(1, ch, 1, 1)
    nodes += [
        (OP["dequantize"], q.pack() + deq.pack() + i32(0) + struct.pack("<f", 1.0)),
        (OP["binary"], deq.pack() + scales.pack() + scaled.pack() + u32(2) + maps +
         per_channel + maps + act()),
        (OP["binary"], scaled.pack() + biases.pack() + out.pack() + u32(0) + maps +
         per_channel + maps + act()),
    ]
    first = layers[0]
    return v4_file(nodes, Range(KPU, U8, first.src_line * 64, 0),
                   (1, first.ic, first.ih, first.iw), [out], constants=consts,
                   main_mem=out.start + out.size)


@pytest.fixture(scope="module")
def files() -> tuple[bytes, bytes]:
    v3 = shared_model(YOLO_V3).read_bytes()
    return v3, yolo_as_v4(v3)


def test_v4_yolo_equals_v3_bit_for_bit(files) -> None:
    v3, v4 = files
    image = np.random.default_rng(3).integers(0, 256, 3 * 240 * 320, np.uint8).tobytes()
    with Model.load(v3) as m3:
        (want,) = m3.run(image)
    (got,) = run_model(v4, image)
    assert got == np.ascontiguousarray(want, np.float32).tobytes()
    with Model.load(v4) as m4:
        assert m4.layer_count == 19 and m4.input_info.size == 3 * 240 * 320
        info = ffi.new("kpu_tensor_info_t *")
        assert lib.kpu_v4_output_info(m4._handle(), 0, info, ffi.NULL) == lib.KPU_OK
        assert (info.w, info.h, info.c, info.size) == (10, 7, 125, 35000)
        # Model.run gives the graph's CHW shape, as the V3 file's run does
        (shaped,) = m4.run(image)
        assert shaped.shape == want.shape == (125, 7, 10)
        assert shaped.tobytes() == got


def test_kpu_module_detects_in_the_v4_model(files, tmp_path: Path) -> None:
    from maixkpu.maixpy import image, kpu
    path = tmp_path / "yolo_v4.kmodel"
    path.write_bytes(files[1])
    task = kpu.load(str(path))
    try:
        assert kpu.set_outputs(task, 0, 10, 7, 125) is True
        img = image.Image(str(shared_model("nncase_dog_320x240.bmp")))
        img.pix_to_ai()
        assert kpu.init_yolo2(task, 0.5, 0.2, 5, VOC_ANCHORS) is True
        found = kpu.run_yolo2(task, img)
        assert found is not None
        assert {d.classid() for d in found} == {VOC_BICYCLE, VOC_CAR, VOC_DOG}
        info = kpu.netinfo(task)
        assert len(info) == 19
    finally:
        kpu.deinit(task)
