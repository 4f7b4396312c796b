"""CPU layer bodies (spec 2.7): sizes, field order and exact bytes."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from maixkpu.kmodel import (
    CPU_LAYER_CLASSES,
    AveragePool2d,
    ChannelwiseDequantize,
    Concat,
    FullyConnected,
    K210AddPadding,
    Quantize,
    QuantizedAdd,
    Requantize,
)
from maixkpu.kmodel.cpu_layers import CpuLayer

# Body bytes before alignment padding, from the spec's field lists.
SIZES = {
    1: 20, 2: 56, 5: 20, 7: 64, 8: 60, 9: 64, 11: 24, 12: 24, 13: 16 + 256, 14: 16, 15: 16,
    16: 12, 17: 12, 18: 24, 20: 24, 22: 36, 23: 36, 24: 20, 25: 16, 10241: 16, 10242: 16,
    10243: 24,
}


def test_the_required_layer_types_are_all_there() -> None:
    assert set(CPU_LAYER_CLASSES) == set(SIZES)


@pytest.mark.parametrize("layer_type", sorted(SIZES))
def test_default_body_size_and_round_trip(layer_type: int) -> None:
    cls = CPU_LAYER_CLASSES[layer_type]
    layer = cls()
    body = layer.content(0, True)
    assert len(body) == SIZES[layer_type]
    assert cls.parse(body, 0, True) == layer


def test_quantized_add_exact_bytes() -> None:
    layer = QuantizedAdd(1, 8, 16, 24, 33, -1, 2, 3, -4, 5, 6, 7, -8, 9)
    assert layer.content(0, True) == struct.pack("<5I9i", 1, 8, 16, 24, 33, -1, 2, 3, -4, 5, 6,
                                                 7, -8, 9)


def test_average_pool_field_order() -> None:
    layer = AveragePool2d(1, 0, 64, 10, 9, 3, 5, 4, 3, 2, 2, 2, 2, 0, 1, 2)
    assert struct.unpack("<16I", layer.content(0, True)) == (
        1, 0, 64, 10, 9, 3, 5, 4, 3, 2, 2, 2, 2, 0, 1, 2)


def test_quantize_floats_and_flags_default() -> None:
    body = Quantize(in_address=8, out_address=16, count=3, scale=0.5, bias=-1.25).content(0, True)
    assert body == struct.pack("<4I2f", 0, 8, 16, 3, 0.5, -1.25)


def test_tails() -> None:
    table = bytes(255 - i for i in range(256))
    assert Requantize(1, 0, 8, 256, table).content(0, True)[16:] == table
    concat = Concat(1, 64, 2, [(0, 16), (16, 8)])
    assert concat.content(0, True) == struct.pack("<7I", 1, 64, 2, 0, 16, 16, 8)
    with pytest.raises(ValueError):
        Concat(1, 64, 3, [(0, 16)]).content(0, True)
    chw = ChannelwiseDequantize(1, 0, 8, 2, 70, [(0.5, 1.0), (2.0, -3.0)])
    assert chw.content(0, True)[20:] == struct.pack("<4f", 0.5, 1.0, 2.0, -3.0)


def test_fully_connected_weights_then_bias() -> None:
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer = FullyConnected(0, 0, 16, 2, 3, 1, w, np.array([7, 8, 9], np.float32))
    body = layer.content(0, True)
    assert body[24:] == struct.pack("<9f", 0, 1, 2, 3, 4, 5, 7, 8, 9)
    back = FullyConnected.parse(body, 0, True)
    assert isinstance(back, FullyConnected)
    assert np.array_equal(back.weights, w) and back.act == 1
    with pytest.raises(ValueError):
        FullyConnected(0, 0, 16, 2, 3, 0, w[:2], np.zeros(3, np.float32)).content(0, True)


def test_every_class_is_a_cpu_layer_with_its_type() -> None:
    for layer_type, cls in CPU_LAYER_CLASSES.items():
        assert issubclass(cls, CpuLayer) and cls.TYPE == layer_type
    assert K210AddPadding().flags == 0 and ChannelwiseDequantize().flags == 1
