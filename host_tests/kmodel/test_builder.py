"""ModelBuilder: block alignment, automatic KPU RAM and main-memory placement, outputs."""
from __future__ import annotations

import numpy as np
import pytest

from maixkpu.kmodel import (
    Concat,
    Dequantize,
    K210Conv,
    KpuConv,
    ModelBuilder,
    map_lines,
    read_v3,
)
from maixkpu.kmodel.conv import conv_blocks

RNG = np.random.default_rng(7)


def _conv(w: int, h: int, ic: int, oc: int, kernel: int = 3, pool: int = 0,
          depthwise: bool = False, bits: int = 8, **kw: object) -> KpuConv:
    n = oc * kernel * kernel * (1 if depthwise else ic)
    weights = RNG.integers(0, 1 << bits, n).astype(np.uint8 if bits == 8 else np.uint16)
    return KpuConv(w, h, ic, oc, weights, kernel=kernel, pool=pool, depthwise=depthwise, **kw)


def test_single_conv_layout_and_alignment() -> None:
    b = ModelBuilder()
    x = b.kpu_input(20, 9, 5)
    y = b.conv(_conv(20, 9, 5, 7, pool=1, main_out=True), x)
    assert (y.width, y.height, y.channels) == (10, 4, 7)
    b.output(y.main)
    data = b.build()
    assert len(data) % 8 == 0
    m = read_v3(data)
    conv = m.layers[0]
    assert isinstance(conv, K210Conv)
    blocks = conv_blocks(m.body_offsets[0], conv.arg, True)
    assert blocks.arg % 8 == 0 and blocks.weights % 128 == 0
    assert blocks.bn % 128 == 0 and blocks.act % 256 == 0
    assert m.body_offsets[0] + m.body_sizes[0] == len(data)
    assert (conv.flags, conv.main_mem_out_address, conv.arg.send_data_out) == (1, 0, 1)
    assert m.outputs == [(0, 7 * 4 * 10)] and m.main_mem_usage == 280
    a = conv.arg
    # Input at the top of KPU RAM, output at the bottom (alternating ends).
    assert a.image_src_addr == 32768 - map_lines(20, 9, 5) and a.image_dst_addr == 0
    assert m.max_start_address == 0
    assert (a.coef_group, a.row_switch_addr, a.channel_switch_addr) == (2, 1, 9)
    assert (a.wb_group, a.wb_row_switch_addr, a.wb_channel_switch_addr) == (4, 1, 4)
    assert (a.channel_byte_num, a.dma_total_byte) == (39, 279)


def test_chain_keeps_live_maps_apart() -> None:
    b = ModelBuilder()
    x = b.kpu_input(100, 30, 4)
    convs = [_conv(100, 30, 4, 8), _conv(100, 30, 8, 8, depthwise=True),
             _conv(100, 30, 8, 16, kernel=1, pool=3), _conv(25, 7, 16, 3, main_out=True)]
    maps = [x]
    for c in convs:
        maps.append(b.conv(c, maps[-1]))
    b.output(maps[-1].main)
    m = read_v3(b.build())
    for layer, src, dst in zip(m.layers, maps, maps[1:]):
        a = layer.arg
        assert (a.image_src_addr, a.image_dst_addr) == (src.address, dst.address)
        src_end, dst_end = src.address + src.lines, dst.address + dst.lines
        assert src_end <= 32768 and dst_end <= 32768
        assert src_end <= dst.address or dst_end <= src.address
    assert m.max_start_address == min(mp.address for mp in maps)


def test_main_memory_buffers_and_concat_sizes() -> None:
    b = ModelBuilder()
    x = b.kpu_input(8, 8, 3)
    y1 = b.conv(_conv(8, 8, 3, 3, main_out=True), x)  # 192 bytes
    y2 = b.conv(_conv(8, 8, 3, 1, kernel=1, main_out=True), y1)  # 64 bytes
    f = b.main(256 * 4)
    cat = b.main(256)
    b.add(Concat(input_count=2), out_address=cat, inputs=[y1.main, y2.main])
    b.add(Dequantize(count=256, scale=0.5, bias=1.0), in_address=cat, out_address=f)
    b.output(f)
    m = read_v3(b.build())
    concat, deq = m.layers[2], m.layers[3]
    assert isinstance(concat, Concat) and isinstance(deq, Dequantize)
    assert concat.inputs == [(y1.main.address, 192), (y2.main.address, 64)]
    assert deq.in_address == concat.out_address == cat.address
    spans = [(y1.main.address, 192), (y2.main.address, 64), (cat.address, 256)]
    for i, (s1, n1) in enumerate(spans):  # all alive during the concat
        for s2, n2 in spans[i + 1 :]:
            assert s1 + n1 <= s2 or s2 + n2 <= s1
    assert all(s % 8 == 0 for s, _ in spans)
    assert m.outputs == [(f.address, 1024)]
    assert m.main_mem_usage == max(s + n for s, n in spans + [(f.address, 1024)])


def test_odd_sizes_are_rounded_to_8() -> None:
    b = ModelBuilder()
    x = b.kpu_input(3, 3, 1)
    y = b.conv(_conv(3, 3, 1, 1, main_out=True), x)  # 9 bytes
    z = b.main(36)
    b.add(Dequantize(count=9), in_address=y.main, out_address=z)
    b.output(z)
    m = read_v3(b.build())
    assert (y.main.address, z.address, m.main_mem_usage) == (0, 16, 56)


def test_sixteen_bit_weights() -> None:
    b = ModelBuilder(eight_bit=False)
    x = b.kpu_input(4, 4, 2)
    c = _conv(4, 4, 2, 3, bits=16, main_out=True)
    y = b.conv(c, x)
    b.output(y.main)
    data = b.build()
    m = read_v3(data)
    conv = m.layers[0]
    assert m.flags == 0 and isinstance(conv, K210Conv)
    assert conv.weights.dtype == np.uint16 and np.array_equal(conv.weights, c.weights)
    blocks = conv_blocks(m.body_offsets[0], conv.arg, False)
    assert blocks.bn - blocks.weights >= 3 * 2 * 9 * 2
    assert conv.arg.para_size == 3 * 2 * 9 * 2 and conv.arg.load_time == 0
    with pytest.raises(ValueError, match="8/16-bit"):
        ModelBuilder().conv(c, ModelBuilder().kpu_input(4, 4, 2))


def test_weight_loads_split_like_nncase() -> None:
    big = _conv(4, 4, 1024, 10, kernel=3)
    a = big.layer_arg(0, 100)
    per_channel = 1024 * 9
    assert a.o_ch_num_coef + 1 == 30 * 1024 // per_channel == 3
    assert (a.para_size, a.load_time) == (3 * per_channel, 3)


def test_explicit_addresses_are_kept() -> None:
    b = ModelBuilder()
    x = b.kpu_input(64, 2, 2)
    y = b.conv(_conv(64, 2, 2, 2, in_addr=5, out_addr=32768 - 4, main_out=True), x)
    b.output(y.main)
    conv = read_v3(b.build()).layers[0]
    assert isinstance(conv, K210Conv)
    assert (conv.arg.image_src_addr, conv.arg.image_dst_addr) == (5, 32764)


def test_bad_descriptions_are_rejected() -> None:
    with pytest.raises(ValueError):
        _conv(8, 8, 3, 4, depthwise=True).check()
    with pytest.raises(ValueError):
        _conv(3, 3, 1, 1, pool=3).check()
    with pytest.raises(ValueError):
        _conv(961, 1, 1, 1, kernel=1).check()


def test_more_than_64_weight_loads_is_refused() -> None:
    ok = _conv(1, 1, 285, 704)  # 11 channels per load, 64 loads
    assert ok.layer_arg(0, 1).load_time == 63
    with pytest.raises(ValueError, match="65 loads"):
        _conv(1, 1, 285, 705).layer_arg(0, 1)
