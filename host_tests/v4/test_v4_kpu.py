"""kpu_conv2d and kpu_upload in V4 files (spec A5): every K210_CONV layer of the real VOC YOLOv2
V3 model, wrapped with the identical layer argument and tables into a V4 container built here,
gives the same bytes as the V3 model computes for that layer on the software KPU; batches,
the KPU-RAM result, kpu_upload from main memory and the layer descriptions."""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.v4.v4_files import (
    KPU,
    MAIN,
    NONE,
    OP,
    U8,
    Range,
    kpu_conv2d_body,
    kpu_lines,
    kpu_upload_body,
    run_model,
    set_field,
    v4_file,
)
from maixkpu._core import lib
from maixkpu.core import Model

YOLO_V3 = "nncase010rc5_yolo2_voc20_320x240_chwise.kmodel"


@dataclass
class ConvLayer:
    index: int
    words: list[int]
    weights: bytes
    bn: bytes
    act: bytes

    def field(self, word: int, lo: int, bits: int) -> int:
        return (self.words[word] >> lo) & ((1 << bits) - 1)

    @property
    def ic(self) -> int:
        return self.field(2, 0, 10) + 1

    @property
    def oc(self) -> int:
        return self.field(2, 32, 10) + 1

    @property
    def iw(self) -> int:
        return self.field(3, 0, 10) + 1

    @property
    def ih(self) -> int:
        return self.field(3, 10, 9) + 1

    @property
    def ow(self) -> int:
        return self.field(3, 32, 10) + 1

    @property
    def oh(self) -> int:
        return self.field(3, 42, 9) + 1

    @property
    def src_line(self) -> int:
        return self.field(1, 0, 15)

    @property
    def out_size(self) -> int:
        return self.oc * self.oh * self.ow


def v3_conv_layers(data: bytes) -> list[ConvLayer]:
    """The K210_CONV layers of a V3 file (spec kmodel-v3-and-kpu.md 2.1-2.8)."""
    _v, _flags, _arch, count, _ms, _main, outs = struct.unpack_from("<7I", data, 0)
    heads = [struct.unpack_from("<2I", data, 28 + 8 * outs + 8 * i) for i in range(count)]
    body = 28 + 8 * outs + 8 * count
    layers = []
    for i, (kind, size) in enumerate(heads):
        if kind == 10240:
            _fl, _mo, arg_off, w_off, bn_off, act_off = struct.unpack_from("<6I", data, body)
            words = list(struct.unpack_from("<12Q", data, arg_off))
            layer = ConvLayer(i, words, b"", b"", data[act_off:act_off + 144])
            k = 3 if layer.field(4, 0, 3) else 1
            per_oc = (1 if layer.field(0, 3, 1) else layer.ic) * k * k
            layer.weights = data[w_off:w_off + layer.oc * per_oc]
            layer.bn = data[bn_off:bn_off + 8 * layer.oc]
            layers.append(layer)
        body += size
    return layers


def v4_conv_model(layer: ConvLayer, *, batches: int = 1, main_out: bool = True,
                  words: list[int] | None = None, align: int = 256) -> bytes:
    """One kpu_conv2d node taking the model input from KPU RAM at the layer's input line."""
    words = list(layer.words if words is None else words)
    src = words[1] & 0x7FFF
    out = Range(MAIN, U8, 0, layer.out_size * batches)
    body = kpu_conv2d_body(words, layer.bn, layer.act, layer.weights,
                           out if main_out else NONE, batches, align)
    return v4_file([(OP["kpu_conv2d"], body)], Range(KPU, U8, src * 64, 0),
                   (batches, layer.ic, layer.ih, layer.iw), [out], main_mem=out.size)


@pytest.fixture(scope="module")
def yolo() -> tuple[list[ConvLayer], list[np.ndarray], np.ndarray]:
    """The conv layers, each layer's V3 output on a random image, and that image."""
    data = shared_model(YOLO_V3).read_bytes()
    layers = v3_conv_layers(data)
    image = np.random.default_rng(7).integers(0, 256, (3, 240, 320), np.uint8)
    outs = []
    with Model.load(data) as v3:
        for layer in layers:
            (out,) = v3.run(image, last_layer=layer.index)
            outs.append(np.ascontiguousarray(out, np.uint8))
    return layers, outs, image


def test_every_yolo_layer_bit_exact_with_v3(yolo) -> None:
    layers, outs, image = yolo
    assert len(layers) == 16
    pools = set()
    for n, layer in enumerate(layers):
        given = image if n == 0 else outs[n - 1]
        (got,) = run_model(v4_conv_model(layer, align=256 if n % 2 else 8), given.tobytes())
        assert got == outs[n].tobytes(), f"layer {layer.index}"
        pools.add(layer.field(4, 4, 4))
    assert len(pools) > 1  # pooled and unpooled layers


def test_batches_advance_one_map_each(yolo) -> None:
    layers, outs, _ = yolo
    layer = layers[10]
    # both batches must fit: move the input to line 0 and the output after two input maps
    words = list(layer.words)
    set_field(words, 1, 0, 15, 0)
    set_field(words, 1, 32, 15, 2 * kpu_lines(layer.iw, layer.ih, layer.ic))
    other = np.random.default_rng(1).integers(0, 256, outs[9].shape, np.uint8)
    (two,) = run_model(v4_conv_model(layer, batches=2, words=words),
                       outs[9].tobytes() + other.tobytes())
    (one,) = run_model(v4_conv_model(layer, words=words), other.tobytes())
    size = layer.out_size
    assert two[:size] == outs[10].tobytes()
    assert two[size:] == one


def test_result_read_back_from_kpu_ram(yolo) -> None:
    layers, outs, _ = yolo
    layer = layers[3]
    with Model.load(v4_conv_model(layer, main_out=False)) as model:
        (untouched,) = model.run(outs[2].tobytes())
        assert not np.asarray(untouched).any()  # no main-memory copy was asked for
        chw = model.layer_output(0)
        assert chw.tobytes() == outs[3].tobytes()
        assert model.layer_output(0, channel=5).tobytes() == outs[3][5].tobytes()
        info = model.layer_output_info(0)
        assert (info.w, info.h, info.c) == (layer.ow, layer.oh, layer.oc)


def test_kpu_upload_from_main_memory(yolo) -> None:
    layers, outs, _ = yolo
    layer = layers[5]
    n_in = layer.ic * layer.ih * layer.iw
    out = Range(MAIN, U8, n_in, layer.out_size)
    src = Range(MAIN, U8, 0, n_in)
    dst = Range(KPU, U8, layer.src_line * 64, 0)
    data = v4_file([(OP["kpu_upload"], kpu_upload_body(src, dst, (1, layer.ic, layer.ih,
                                                                   layer.iw))),
                    (OP["kpu_conv2d"], kpu_conv2d_body(layer.words, layer.bn, layer.act,
                                                       layer.weights, out))],
                   src, (1, layer.ic, layer.ih, layer.iw), [out], main_mem=n_in + out.size)
    (got,) = run_model(data, outs[4].tobytes())
    assert got == outs[5].tobytes()
    with Model.load(data) as model:
        infos = model.layers()
        assert infos[0].type_name == "V4_KPU_UPLOAD"
        assert infos[0].type == lib.KPU_V4_NODE_TYPE_BASE + 0x2001


def test_conv_layer_info_matches_v3(yolo) -> None:
    layers, _, _ = yolo
    data = shared_model(YOLO_V3).read_bytes()
    with Model.load(data) as v3:
        for layer in layers[:6]:
            want = v3.layer_info(layer.index)
            with Model.load(v4_conv_model(layer)) as v4:
                got = v4.layer_info(0)
                assert got.type == lib.KL_K210_CONV and got.type_name == "K210_CONV"
                fields = ("wi", "hi", "chi", "wo", "ho", "cho", "dw", "kernel_type",
                          "pool_type", "para_size")
                assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields]
                assert v4.input_info.size == layer.ic * layer.ih * layer.iw


def test_kpu_model_needs_a_backend(yolo) -> None:
    from maixkpu._core import ffi
    layers, outs, _ = yolo
    with Model.load(v4_conv_model(layers[3])) as model:
        data = outs[2].tobytes()
        diag = ffi.new("kpu_diag_t *")
        st = lib.kpu_model_run(model._handle(), ffi.NULL, data, len(data), -1, diag)
        assert st == lib.KPU_ERR_ARGUMENT and b"backend" in ffi.string(diag.text)


def test_layer_argument_checked_at_load(yolo) -> None:
    layers, _, _ = yolo
    from host_tests.v4.test_v4_refusals import status_of
    words = list(layers[3].words)
    set_field(words, 4, 4, 4, 12)  # pool type 12 does not exist
    assert status_of(v4_conv_model(layers[3], words=words)) == "KPU_ERR_FORMAT"
    words = list(layers[3].words)
    set_field(words, 1, 32, 15, 32767)  # output map past the 2 MiB KPU RAM
    assert status_of(v4_conv_model(layers[3], words=words)) == "KPU_ERR_BOUNDS"
    short = v4_conv_model(layers[3])
    assert status_of(short[:-1]) == "KPU_ERR_TRUNCATED"  # one weight byte missing
