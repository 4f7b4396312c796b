"""Parsing the real nncase/Sipeed V3 models and writing them back reproduces them byte for byte:
the strongest check that the writer follows the format."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from host_tests.conftest import shared_model
from maixkpu.kmodel import (
    ChannelwiseDequantize,
    FullyConnected,
    K210Conv,
    KpuConv,
    describe,
    read_v3,
    write_v3,
)

V3_MODELS = [
    "nncase010rc5_yolo2_voc20_320x240_chwise.kmodel",
    "sipeed_facedetect_320x240.kmodel",
    "sipeed_mnist_28x28.kmodel",
    "nncase010rc5_iris_float.kmodel",
]


@pytest.mark.parametrize("name", V3_MODELS)
def test_write_reproduces_the_file(name: str) -> None:
    data = shared_model(name).read_bytes()
    model = read_v3(data)
    full = write_v3(model)
    assert full[: len(data)] == data
    assert len(full) % 8 == 0 and 0 <= len(full) - len(data) < 8
    assert set(full[len(data) :]) <= {0}
    assert write_v3(model, full_padding=False) == data


@pytest.mark.parametrize("name", V3_MODELS)
def test_conv_descriptions_rederive_every_field(name: str) -> None:
    """KpuConv derives o_ch_num_coef, load_time, para_size, switch addresses, groups and DMA
    sizes exactly as nncase did: re-encoding each description gives the original body."""
    data = shared_model(name).read_bytes()
    model = read_v3(data)
    for layer, offset, size in zip(model.layers, model.body_offsets, model.body_sizes):
        if not isinstance(layer, K210Conv):
            continue
        desc = KpuConv.from_layer(layer)
        assert desc.extra == {}
        body = desc.to_layer().content(offset, model.eight_bit)
        assert body == data[offset : offset + len(body)]
        assert len(body) <= size


def test_voc_facts_from_the_spec() -> None:
    data = shared_model(V3_MODELS[0]).read_bytes()
    m = read_v3(data)
    assert (m.version, m.flags, m.arch, len(m.layers)) == (3, 1, 0, 17)
    assert (m.max_start_address, m.main_mem_usage, m.outputs) == (0, 43752, [(8752, 35000)])
    assert m.body_offsets[0] == 172
    assert struct.unpack_from("<4I", data, 180) == (200, 384, 896, 1024)
    first, last = m.layers[0], m.layers[15]
    assert isinstance(first, K210Conv) and isinstance(last, K210Conv)
    a = first.arg
    assert (a.image_src_addr, a.row_switch_addr, a.channel_switch_addr) == (29168, 5, 1200)
    assert (a.arg_x, a.shr_x) == (-4390912, 15)
    assert (last.flags, last.main_mem_out_address, last.arg.dma_total_byte) == (1, 0, 8749)
    deq = m.layers[16]
    assert isinstance(deq, ChannelwiseDequantize)
    assert (deq.channels, deq.channel_size, deq.in_address, deq.out_address) == (125, 70, 0, 8752)


def test_iris_fully_connected_layers() -> None:
    m = read_v3(shared_model(V3_MODELS[3]).read_bytes())
    fc0, fc1 = m.layers
    assert isinstance(fc0, FullyConnected) and isinstance(fc1, FullyConnected)
    assert (fc0.in_address, fc0.out_address, fc0.in_channels, fc0.out_channels, fc0.act) == (
        0, 16, 4, 10, 1)
    assert (fc1.in_address, fc1.out_address, fc1.out_channels, fc1.act) == (16, 0, 3, 0)
    assert fc0.weights.shape == (10, 4) and fc1.bias.shape == (3,)
    assert (m.body_offsets[0], m.body_sizes[0], m.main_mem_usage) == (52, 228, 56)


def test_describe_lists_every_layer() -> None:
    text = describe(read_v3(shared_model(V3_MODELS[2]).read_bytes()))
    lines = text.splitlines()
    assert lines[0] == "kmodel V3 flags=1 arch=0 layers=11 max_start=32628 main_mem=14112"
    assert lines[1] == "output 0: main[14032] 40 bytes"
    assert [line.split()[1] for line in lines[2:]] == [
        "K210_CONV", "K210_CONV", "DEQUANTIZE", "TENSORFLOW_FLATTEN", "FULLY_CONNECTED",
        "QUANTIZE", "K210_ADD_PADDING", "K210_CONV", "K210_REMOVE_PADDING", "DEQUANTIZE",
        "SOFTMAX"]
    assert "1x28x28 -> 16x14x14 k3 pool1 ram 32740->32684" in lines[2]


def test_dump_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from maixkpu.kmodel.__main__ import main

    iris = shared_model(V3_MODELS[3])
    bad = tmp_path / "bad.kmodel"
    bad.write_bytes(struct.pack("<7I", 4, 0, 0, 0, 0, 0, 0))
    assert main([str(iris), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "kmodel V3 flags=1 arch=0 layers=2 max_start=32768 main_mem=56" in out
    assert "  1 FULLY_CONNECTED" in out
    assert "version 0x4 is not a V3 kmodel" in err
