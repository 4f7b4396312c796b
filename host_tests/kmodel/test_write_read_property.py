"""Random models of every layer type: write -> read -> write is the identity, every body starts
8-aligned, and the conv blocks sit at their 8/128/128/256 alignments (spec 2.4, 2.8)."""
from __future__ import annotations

import dataclasses
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from maixkpu.kmodel import (
    CPU_LAYER_CLASSES,
    ActSegment,
    ActTable,
    BatchNorm,
    K210Conv,
    KModelV3,
    LayerArg,
    read_v3,
    write_v3,
)
from maixkpu.kmodel.cpu_layers import Layer

u32 = st.integers(0, 2**32 - 1)
i32 = st.integers(-(2**31), 2**31 - 1)
f32 = st.floats(width=32, allow_nan=False)


@st.composite
def cpu_layers(draw: st.DrawFn) -> Layer:
    cls = draw(st.sampled_from(sorted(CPU_LAYER_CLASSES.values(), key=lambda c: c.TYPE)))
    values: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.name == "table":
            values[f.name] = draw(st.binary(min_size=256, max_size=256))
        elif f.name in ("inputs", "params", "weights", "bias"):
            continue
        elif f.type == "float":
            values[f.name] = draw(f32)
        else:
            values[f.name] = draw(i32 if f.metadata.get("fmt") == "i" else u32)
    n = draw(st.integers(0, 5))
    if "inputs" in {f.name for f in dataclasses.fields(cls)}:
        values["input_count"] = n
        values["inputs"] = draw(st.lists(st.tuples(u32, u32), min_size=n, max_size=n))
    if cls.TYPE == 24:
        values["channels"] = n
        values["params"] = draw(st.lists(st.tuples(f32, f32), min_size=n, max_size=n))
    if cls.TYPE == 18:
        ic = draw(st.integers(0, 4))
        values.update(in_channels=ic, out_channels=n,
                      weights=np.array(draw(st.lists(f32, min_size=n * ic, max_size=n * ic)),
                                       np.float32).reshape(n, ic),
                      bias=np.array(draw(st.lists(f32, min_size=n, max_size=n)), np.float32))
    return cls(**values)  # type: ignore[arg-type]


@st.composite
def conv_layers(draw: st.DrawFn, eight_bit: bool) -> K210Conv:
    ic, oc = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    dw = draw(st.booleans())
    kernel_type = draw(st.integers(0, 1))
    k = 3 if kernel_type else 1
    arg = LayerArg(i_ch_num=(oc if dw else ic) - 1, o_ch_num=oc - 1, depth_wise_layer=int(dw),
                   kernel_type=kernel_type, arg_x=draw(st.integers(-(2**23), 2**23 - 1)),
                   arg_add=draw(st.integers(-(2**39), 2**39 - 1)),
                   dma_total_byte=draw(u32))
    n = oc * k * k * (1 if dw else ic)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 256 if eight_bit else 65536, n).astype(
        np.uint8 if eight_bit else np.uint16)
    bn = BatchNorm(rng.integers(-(2**23), 2**23, oc), rng.integers(0, 16, oc),
                   rng.integers(-(2**31), 2**31, oc))
    act = ActTable([
        ActSegment(int(rng.integers(-(2**35), 2**35)), int(rng.integers(-(2**15), 2**15)),
                   int(rng.integers(0, 256)), int(rng.integers(0, 256)))
        for _ in range(16)
    ])
    return K210Conv(arg, weights, bn, act, draw(st.integers(0, 1)), draw(u32))


@settings(max_examples=40, deadline=None)
@given(st.data(), st.booleans(), st.integers(0, 3))
def test_write_read_write(data: st.DataObject, eight_bit: bool, n_outputs: int) -> None:
    layers = data.draw(st.lists(st.one_of(cpu_layers(), conv_layers(eight_bit)), min_size=1,
                                max_size=6))
    outputs = data.draw(st.lists(st.tuples(u32, u32), min_size=n_outputs, max_size=n_outputs))
    model = KModelV3(layers, outputs, data.draw(u32), data.draw(st.integers(0, 32768)),
                     flags=int(eight_bit))
    first = write_v3(model)
    back = read_v3(first)
    assert write_v3(back) == first
    assert len(first) % 8 == 0
    assert back.outputs == outputs and back.main_mem_usage == model.main_mem_usage
    assert [type(x) for x in back.layers] == [type(x) for x in layers]
    assert back.layers == layers
    for layer, offset in zip(back.layers, back.body_offsets):
        assert offset % 8 == 0 or offset == back.body_offsets[0]
        if isinstance(layer, K210Conv):
            _, _, arg, w, bn, act = struct.unpack_from("<6I", first, offset)
            assert (arg % 8, w % 128, bn % 128, act % 256) == (0, 0, 0, 0)
            assert offset + 24 <= arg < w < bn < act
    short = write_v3(model, full_padding=False)
    assert first.startswith(short) and len(first) - len(short) < 8
