"""Bit positions of the KPU layer argument (spec 3.1), checked field by field."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maixkpu.kmodel.layer_arg import FIELDS, LayerArg, reserved_bits

# (field, word, mask of its bits) straight from the spec table.
SPEC_MASKS = {
    "int_en": (0, 0x1), "ram_flag": (0, 0x2), "full_add": (0, 0x4), "depth_wise_layer": (0, 0x8),
    "image_src_addr": (1, 0x7FFF), "image_dst_addr": (1, 0x7FFF << 32),
    "i_ch_num": (2, 0x3FF), "o_ch_num": (2, 0x3FF << 32), "o_ch_num_coef": (2, 0x3FF << 48),
    "i_row_wid": (3, 0x3FF), "i_col_high": (3, 0x1FF << 10), "o_row_wid": (3, 0x3FF << 32),
    "o_col_high": (3, 0x1FF << 42),
    "kernel_type": (4, 0x7), "pad_type": (4, 0x8), "pool_type": (4, 0xF0),
    "first_stride": (4, 0x100), "bypass_conv": (4, 0x200), "load_para": (4, 0x400),
    "dma_burst_size": (4, 0xFF << 16), "pad_value": (4, 0xFF << 24),
    "bwsx_base_addr": (4, 0xFFFFFFFF << 32),
    "load_coor": (5, 0x1), "load_time": (5, 0x7E), "para_size": (5, 0x1FFFF << 15),
    "para_start_addr": (5, 0xFFFFFFFF << 32),
    "coef_column_offset": (6, 0xF), "coef_row_offset": (6, 0xFFF0),
    "channel_switch_addr": (7, 0x7FFF), "row_switch_addr": (7, 0xF << 16),
    "coef_size": (7, 0xFF << 20), "coef_group": (7, 0x7 << 28), "load_act": (7, 1 << 31),
    "active_addr": (7, 0xFFFFFFFF << 32),
    "wb_channel_switch_addr": (8, 0x7FFF), "wb_row_switch_addr": (8, 0xF << 16),
    "wb_group": (8, 0x7 << 20),
    "shr_w": (9, 0xF), "shr_x": (9, 0xF0), "arg_w": (9, 0xFFFFFF << 8),
    "arg_x": (9, 0xFFFFFF << 32), "arg_add": (10, (1 << 40) - 1),
    "send_data_out": (11, 0x1), "channel_byte_num": (11, 0xFFFF << 16),
    "dma_total_byte": (11, 0xFFFFFFFF << 32),
}


def test_every_field_is_in_the_spec_table() -> None:
    assert {f.name for f in FIELDS} == set(SPEC_MASKS)


@pytest.mark.parametrize("name", sorted(SPEC_MASKS))
def test_all_ones_sets_exactly_the_spec_bits(name: str) -> None:
    field = next(f for f in FIELDS if f.name == name)
    value = -1 if field.signed else (1 << field.width) - 1
    words = LayerArg(**{name: value}).to_words()
    word, mask = SPEC_MASKS[name]
    assert words == [mask if i == word else 0 for i in range(12)]
    assert getattr(LayerArg.from_words(words), name) == value


def test_signed_fields_sign_extend() -> None:
    arg = LayerArg(arg_w=-(1 << 23), arg_x=(1 << 23) - 1, arg_add=-(1 << 39))
    w = arg.to_words()
    assert w[9] == (0x800000 << 8) | (0x7FFFFF << 32)
    assert w[10] == 1 << 39
    back = LayerArg.decode(arg.encode())
    assert (back.arg_w, back.arg_x, back.arg_add) == (-(1 << 23), (1 << 23) - 1, -(1 << 39))


def test_encode_is_little_endian_words() -> None:
    data = LayerArg(image_src_addr=0x1234, image_dst_addr=0x0102).encode()
    assert data[8:16] == bytes([0x34, 0x12, 0, 0, 0x02, 0x01, 0, 0])
    assert len(data) == 96


@pytest.mark.parametrize(("name", "value"), [
    ("image_src_addr", 32768), ("arg_x", 1 << 23), ("arg_add", -(1 << 39) - 1),
    ("pool_type", 16), ("i_ch_num", -1),
])
def test_out_of_range_values_are_rejected(name: str, value: int) -> None:
    with pytest.raises(ValueError, match=name):
        LayerArg(**{name: value}).encode()


def test_reserved_bits_are_ignored_on_decode_and_reported() -> None:
    words = [0] * 12
    words[1] = (1 << 15) | (1 << 63) | 5
    assert LayerArg.from_words(words).image_src_addr == 5
    assert reserved_bits(words)[1] == (1 << 15) | (1 << 63)
    assert reserved_bits(LayerArg(arg_add=-1, dma_total_byte=7).to_words()) == [0] * 12


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=12, max_size=12))
def test_decode_encode_keeps_every_field_bit(words: list[int]) -> None:
    clean = [w & ~r for w, r in zip(words, reserved_bits(words))]
    again = LayerArg.from_words(words).to_words()
    assert again == clean
    assert struct.unpack("<12Q", LayerArg.from_words(words).encode()) == tuple(clean)
