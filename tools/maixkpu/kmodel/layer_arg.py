"""The 96-byte KPU layer argument: 12 little-endian u64 words of bit fields (spec section 3.1).

`LayerArg` holds every field by name; `encode` packs it (reserved bits zero) and `decode` unpacks
it, sign-extending the two's-complement fields arg_w, arg_x (24 bits) and arg_add (40 bits).
"""
from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass

LAYER_ARG_WORDS = 12
LAYER_ARG_BYTES = 96


@dataclass(frozen=True)
class BitField:
    """Where one field lives: word index, lowest bit, width, and whether it is two's complement."""

    name: str
    word: int
    lo: int
    width: int
    signed: bool = False


# Spec 3.1, in word order. Names follow SDK-H / kpu_layer_arg.h.
FIELDS: tuple[BitField, ...] = (
    BitField("int_en", 0, 0, 1),
    BitField("ram_flag", 0, 1, 1),
    BitField("full_add", 0, 2, 1),
    BitField("depth_wise_layer", 0, 3, 1),
    BitField("image_src_addr", 1, 0, 15),
    BitField("image_dst_addr", 1, 32, 15),
    BitField("i_ch_num", 2, 0, 10),
    BitField("o_ch_num", 2, 32, 10),
    BitField("o_ch_num_coef", 2, 48, 10),
    BitField("i_row_wid", 3, 0, 10),
    BitField("i_col_high", 3, 10, 9),
    BitField("o_row_wid", 3, 32, 10),
    BitField("o_col_high", 3, 42, 9),
    BitField("kernel_type", 4, 0, 3),
    BitField("pad_type", 4, 3, 1),
    BitField("pool_type", 4, 4, 4),
    BitField("first_stride", 4, 8, 1),
    BitField("bypass_conv", 4, 9, 1),
    BitField("load_para", 4, 10, 1),
    BitField("dma_burst_size", 4, 16, 8),
    BitField("pad_value", 4, 24, 8),
    BitField("bwsx_base_addr", 4, 32, 32),
    BitField("load_coor", 5, 0, 1),
    BitField("load_time", 5, 1, 6),
    BitField("para_size", 5, 15, 17),
    BitField("para_start_addr", 5, 32, 32),
    BitField("coef_column_offset", 6, 0, 4),
    BitField("coef_row_offset", 6, 4, 12),
    BitField("channel_switch_addr", 7, 0, 15),
    BitField("row_switch_addr", 7, 16, 4),
    BitField("coef_size", 7, 20, 8),
    BitField("coef_group", 7, 28, 3),
    BitField("load_act", 7, 31, 1),
    BitField("active_addr", 7, 32, 32),
    BitField("wb_channel_switch_addr", 8, 0, 15),
    BitField("wb_row_switch_addr", 8, 16, 4),
    BitField("wb_group", 8, 20, 3),
    BitField("shr_w", 9, 0, 4),
    BitField("shr_x", 9, 4, 4),
    BitField("arg_w", 9, 8, 24, signed=True),
    BitField("arg_x", 9, 32, 24, signed=True),
    BitField("arg_add", 10, 0, 40, signed=True),
    BitField("send_data_out", 11, 0, 1),
    BitField("channel_byte_num", 11, 16, 16),
    BitField("dma_total_byte", 11, 32, 32),
)

FIELD_BY_NAME: dict[str, BitField] = {f.name: f for f in FIELDS}


@dataclass
class LayerArg:
    """All fields of one KPU layer argument; counts and sizes are stored minus one, as on chip."""

    int_en: int = 0
    ram_flag: int = 0
    full_add: int = 0
    depth_wise_layer: int = 0
    image_src_addr: int = 0
    image_dst_addr: int = 0
    i_ch_num: int = 0
    o_ch_num: int = 0
    o_ch_num_coef: int = 0
    i_row_wid: int = 0
    i_col_high: int = 0
    o_row_wid: int = 0
    o_col_high: int = 0
    kernel_type: int = 0
    pad_type: int = 0
    pool_type: int = 0
    first_stride: int = 0
    bypass_conv: int = 0
    load_para: int = 0
    dma_burst_size: int = 0
    pad_value: int = 0
    bwsx_base_addr: int = 0
    load_coor: int = 0
    load_time: int = 0
    para_size: int = 0
    para_start_addr: int = 0
    coef_column_offset: int = 0
    coef_row_offset: int = 0
    channel_switch_addr: int = 0
    row_switch_addr: int = 0
    coef_size: int = 0
    coef_group: int = 0
    load_act: int = 0
    active_addr: int = 0
    wb_channel_switch_addr: int = 0
    wb_row_switch_addr: int = 0
    wb_group: int = 0
    shr_w: int = 0
    shr_x: int = 0
    arg_w: int = 0
    arg_x: int = 0
    arg_add: int = 0
    send_data_out: int = 0
    channel_byte_num: int = 0
    dma_total_byte: int = 0

    def to_words(self) -> list[int]:
        """Packs the fields into 12 u64 words; raises ValueError when a value does not fit."""
        words = [0] * LAYER_ARG_WORDS
        for field in FIELDS:
            words[field.word] |= _field_bits(field, getattr(self, field.name)) << field.lo
        return words

    def encode(self) -> bytes:
        """The 96 bytes as stored in a kmodel (little-endian words)."""
        return struct.pack(f"<{LAYER_ARG_WORDS}Q", *self.to_words())

    @classmethod
    def from_words(cls, words: list[int] | tuple[int, ...]) -> LayerArg:
        if len(words) != LAYER_ARG_WORDS:
            raise ValueError(f"a layer argument has {LAYER_ARG_WORDS} words, got {len(words)}")
        values = {}
        for field in FIELDS:
            raw = (words[field.word] >> field.lo) & ((1 << field.width) - 1)
            if field.signed and raw >> (field.width - 1):
                raw -= 1 << field.width
            values[field.name] = raw
        return cls(**values)

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> LayerArg:
        """Unpacks 96 bytes at offset; reserved bits are ignored."""
        if len(data) - offset < LAYER_ARG_BYTES:
            raise ValueError("fewer than 96 bytes for a layer argument")
        return cls.from_words(struct.unpack_from(f"<{LAYER_ARG_WORDS}Q", data, offset))

    def replace(self, **changes: int) -> LayerArg:
        return dataclasses.replace(self, **changes)

    # Convenience sizes (counts, not minus one).
    @property
    def ic(self) -> int:
        return self.i_ch_num + 1

    @property
    def oc(self) -> int:
        return self.o_ch_num + 1

    @property
    def in_w(self) -> int:
        return self.i_row_wid + 1

    @property
    def in_h(self) -> int:
        return self.i_col_high + 1

    @property
    def out_w(self) -> int:
        return self.o_row_wid + 1

    @property
    def out_h(self) -> int:
        return self.o_col_high + 1

    @property
    def kernel(self) -> int:
        return 3 if self.kernel_type else 1


def reserved_bits(words: list[int] | tuple[int, ...]) -> list[int]:
    """Per word, the set bits that belong to no field (all zero in well-formed files)."""
    used = [0] * LAYER_ARG_WORDS
    for field in FIELDS:
        used[field.word] |= ((1 << field.width) - 1) << field.lo
    return [w & ~u & (2**64 - 1) for w, u in zip(words, used)]


def _field_bits(field: BitField, value: int) -> int:
    value = int(value)
    if field.signed:
        lo, hi = -(1 << (field.width - 1)), (1 << (field.width - 1)) - 1
        if not lo <= value <= hi:
            raise ValueError(f"{field.name}={value} does not fit in {field.width} signed bits")
        return value & ((1 << field.width) - 1)
    if not 0 <= value < (1 << field.width):
        raise ValueError(f"{field.name}={value} does not fit in {field.width} bits")
    return value
