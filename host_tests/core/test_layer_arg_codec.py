"""The C core's 12-word KPU layer-argument codec (spec 3.1): field positions, sign extension,
encode/decode round trips, and the real files' arguments re-encoded byte for byte."""
from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from host_tests.conftest import shared_model
from host_tests.core import v3_files as v3
from maixkpu._core import ffi, lib

# field name -> bit width (signed fields marked by a negative width)
FIELDS = {
    "int_en": 1, "ram_flag": 1, "full_add": 1, "depth_wise_layer": 1,
    "image_src_addr": 15, "image_dst_addr": 15, "i_ch_num": 10, "o_ch_num": 10,
    "o_ch_num_coef": 10, "i_row_wid": 10, "i_col_high": 9, "o_row_wid": 10, "o_col_high": 9,
    "kernel_type": 3, "pad_type": 1, "pool_type": 4, "first_stride": 1, "bypass_conv": 1,
    "load_para": 1, "dma_burst_size": 8, "pad_value": 8, "bwsx_base_addr": 32,
    "load_coor": 1, "load_time": 6, "para_size": 17, "para_start_addr": 32,
    "coef_column_offset": 4, "coef_row_offset": 12, "channel_switch_addr": 15,
    "row_switch_addr": 4, "coef_size": 8, "coef_group": 3, "load_act": 1, "active_addr": 32,
    "wb_channel_switch_addr": 15, "wb_row_switch_addr": 4, "wb_group": 3, "shr_w": 4,
    "shr_x": 4, "arg_w": -24, "arg_x": -24, "arg_add": -40, "send_data_out": 1,
    "channel_byte_num": 16, "dma_total_byte": 32,
}


def decode(words: list[int]) -> object:
    a = ffi.new("kpu_layer_arg_t*")
    lib.kpu_layer_arg_decode(struct.pack("<12Q", *words), a)
    return a


def encode(a: object) -> list[int]:
    w = ffi.new("uint64_t[12]")
    lib.kpu_layer_arg_encode(a, w)
    return list(w)


def test_fields_decode_from_their_spec_bits() -> None:
    words = v3.conv_arg(3, 16, 320, 240, pool=1, kernel=1, src=29168, dst=100, send=1,
                        arg_x=-4390912, shr_x=15, arg_w=-5, shr_w=3, arg_add=-(1 << 39),
                        pad_value=0x7F, int_en=1)
    a = decode(words)
    assert (a.i_ch_num, a.o_ch_num, a.i_row_wid, a.i_col_high) == (2, 15, 319, 239)
    assert (a.o_row_wid, a.o_col_high, a.kernel_type, a.pool_type) == (159, 119, 1, 1)
    assert (a.image_src_addr, a.image_dst_addr, a.send_data_out, a.int_en) == (29168, 100, 1, 1)
    assert (a.row_switch_addr, a.channel_switch_addr, a.coef_group) == (5, 1200, 1)
    assert (a.wb_row_switch_addr, a.wb_channel_switch_addr, a.wb_group) == (3, 360, 1)
    assert (a.arg_x, a.shr_x, a.arg_w, a.shr_w, a.arg_add) == (-4390912, 15, -5, 3, -(1 << 39))
    assert (a.pad_value, a.dma_total_byte, a.channel_byte_num) == (0x7F, 160 * 120 * 16 - 1,
                                                                   160 * 120 - 1)
    assert (lib.kpu_arg_ic(a), lib.kpu_arg_oc(a), lib.kpu_arg_iw(a), lib.kpu_arg_ih(a)) == \
        (3, 16, 320, 240)
    assert (lib.kpu_arg_ow(a), lib.kpu_arg_oh(a), lib.kpu_arg_k(a)) == (160, 120, 3)
    assert encode(a) == words


def test_reserved_bits_are_ignored_and_encoded_as_zero() -> None:
    words = v3.conv_arg(4, 4, 8, 8)
    dirty = list(words)
    dirty[0] |= 0xFFFF_FFFF_FFFF_FFF0  # word 0 bits 4-63 are reserved
    dirty[9] |= 0xFF << 56
    dirty[10] |= 0xFFFFFF << 40
    assert encode(decode(dirty)) == words


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_decode_of_encode_is_identity(data: st.DataObject) -> None:
    a = ffi.new("kpu_layer_arg_t*")
    expect = {}
    for name, width in FIELDS.items():
        if width < 0:
            v = data.draw(st.integers(-(1 << (-width - 1)), (1 << (-width - 1)) - 1))
        else:
            v = data.draw(st.integers(0, (1 << width) - 1))
        setattr(a, name, v)
        expect[name] = v
    b = decode(encode(a))
    assert {n: getattr(b, n) for n in FIELDS} == expect


def test_real_arguments_round_trip_byte_for_byte() -> None:
    for name in ["nncase010rc5_yolo2_voc20_320x240_chwise.kmodel",
                 "sipeed_facedetect_320x240.kmodel", "sipeed_mnist_28x28.kmodel"]:
        data = shared_model(name).read_bytes()
        n_layers = struct.unpack_from("<I", data, 12)[0]
        n_out = struct.unpack_from("<I", data, 24)[0]
        body = 28 + 8 * n_out + 8 * n_layers
        convs = 0
        for i in range(n_layers):
            t, size = struct.unpack_from("<2I", data, 28 + 8 * n_out + 8 * i)
            if t == v3.K210_CONV:
                at = struct.unpack_from("<I", data, body + 8)[0]
                raw = data[at:at + 96]
                words = ffi.new("uint64_t[12]")
                lib.kpu_layer_arg_words(raw, words)
                assert list(words) == list(struct.unpack("<12Q", raw))
                assert struct.pack("<12Q", *encode(decode(list(words)))) == raw
                convs += 1
            body += size
        assert convs >= 3


def test_yolo_first_layer_values_from_the_spec() -> None:
    data = shared_model("nncase010rc5_yolo2_voc20_320x240_chwise.kmodel").read_bytes()
    at = struct.unpack_from("<I", data, 172 + 8)[0]
    assert at == 200  # spec 2.8: the blocks are at 200, 384, 896 and 1024
    assert struct.unpack_from("<3I", data, 172 + 12) == (384, 896, 1024)
    a = decode(list(struct.unpack_from("<12Q", data, at)))
    assert (a.arg_x, a.shr_x) == (-4390912, 15)
    assert (a.image_src_addr, a.row_switch_addr, a.channel_switch_addr) == (29168, 5, 1200)
    assert (a.bwsx_base_addr, a.para_start_addr, a.active_addr) == (0, 0, 0)
