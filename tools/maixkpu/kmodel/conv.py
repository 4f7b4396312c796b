"""K210_CONV layers: the body format (spec 2.8) and the `KpuConv` description that derives every
layer-argument field the way nncase v0.1 does (spec 3.1)."""
from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .act_table import ACT_TABLE_BYTES, BN_ENTRY_BYTES, ActTable, BatchNorm, linear_table
from .cpu_layers import Layer
from .layer_arg import LAYER_ARG_BYTES, LayerArg
from .layout import MAX_CHANNELS, MAX_HEIGHT, MAX_WIDTH, pooled_size, row_layout

CONV_HEADER = struct.Struct("<6I")
# KiB of weights one load holds (nncase v0.1): 30 for 8-bit weights, 60 for 16-bit.
_LOAD_KIB = {True: 30, False: 60}


def align(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def weight_count(arg: LayerArg) -> int:
    """Weight elements: OC·k·k (depthwise) or OC·IC·k·k."""
    kk = arg.kernel * arg.kernel
    return arg.oc * kk if arg.depth_wise_layer else arg.oc * arg.ic * kk


@dataclass(frozen=True)
class ConvBlocks:
    """File offsets of the blocks of a conv body starting at `body`."""

    body: int
    arg: int
    weights: int
    bn: int
    act: int
    end: int  # end of the activation table (content end)


def conv_blocks(body_offset: int, arg: LayerArg, eight_bit: bool) -> ConvBlocks:
    arg_off = align(body_offset + CONV_HEADER.size, 8)
    w_off = align(arg_off + LAYER_ARG_BYTES, 128)
    bn_off = align(w_off + weight_count(arg) * (1 if eight_bit else 2), 128)
    act_off = align(bn_off + arg.oc * BN_ENTRY_BYTES, 256)
    return ConvBlocks(body_offset, arg_off, w_off, bn_off, act_off, act_off + ACT_TABLE_BYTES)


@dataclass(eq=False)
class K210Conv(Layer):
    """A K210_CONV body: the stored layer argument plus its weight, BN and activation tables."""

    TYPE: ClassVar[int] = 10240
    arg: LayerArg
    weights: np.ndarray  # flat, uint8 (8-bit mode) or uint16
    bn: BatchNorm
    act: ActTable
    flags: int = 0
    main_mem_out_address: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, K210Conv):
            return NotImplemented
        return (self.arg, self.bn, self.act, self.flags, self.main_mem_out_address) == (
            other.arg, other.bn, other.act, other.flags, other.main_mem_out_address,
        ) and np.array_equal(np.asarray(self.weights).reshape(-1),
                             np.asarray(other.weights).reshape(-1))

    def content(self, body_offset: int, eight_bit: bool) -> bytes:
        blocks = conv_blocks(body_offset, self.arg, eight_bit)
        w = np.asarray(self.weights).reshape(-1)
        if w.size != weight_count(self.arg):
            raise ValueError(f"conv needs {weight_count(self.arg)} weights, got {w.size}")
        top = 255 if eight_bit else 65535
        if w.size and (int(w.min()) < 0 or int(w.max()) > top):
            raise ValueError(f"weights must be 0..{top}")
        if self.bn.channels != self.arg.oc:
            raise ValueError("one batch-norm entry per output channel")
        out = bytearray(blocks.end - body_offset)

        def put(offset: int, data: bytes) -> None:
            out[offset - body_offset : offset - body_offset + len(data)] = data

        put(body_offset, CONV_HEADER.pack(self.flags, self.main_mem_out_address, blocks.arg,
                                          blocks.weights, blocks.bn, blocks.act))
        put(blocks.arg, self.arg.encode())
        put(blocks.weights, w.astype("u1" if eight_bit else "<u2").tobytes())
        put(blocks.bn, self.bn.encode())
        put(blocks.act, self.act.encode())
        return bytes(out)

    @classmethod
    def parse(cls, body: bytes, body_offset: int, eight_bit: bool) -> K210Conv:
        flags, mem_out, arg_off, w_off, bn_off, act_off = CONV_HEADER.unpack_from(body, 0)

        def rel(offset: int, size: int) -> int:
            start = offset - body_offset
            if start < 0 or start + size > len(body):
                raise ValueError(f"conv block at file offset {offset} is outside its body")
            return start

        arg = LayerArg.decode(body, rel(arg_off, LAYER_ARG_BYTES))
        count = weight_count(arg)
        dtype = "u1" if eight_bit else "<u2"
        w_at = rel(w_off, count * (1 if eight_bit else 2))
        w = np.frombuffer(body, dtype=dtype, count=count, offset=w_at)
        bn = BatchNorm.decode(body, arg.oc, rel(bn_off, arg.oc * BN_ENTRY_BYTES))
        act = ActTable.decode(body, rel(act_off, ACT_TABLE_BYTES))
        return cls(arg, w.astype(np.uint8 if eight_bit else np.uint16), bn, act, flags, mem_out)


@dataclass
class KpuConv:
    """One KPU layer in quantized terms; see spec section 4 for the arithmetic.

    weights: (oc, ic, k, k) or (oc, k, k) for depthwise (any shape with that many elements),
    uint8 or uint16. in_addr / out_addr are KPU RAM lines (None: let the model builder place
    them). main_out: also deliver the compact CHW result to main memory (body flags bit 0).
    """

    in_w: int
    in_h: int
    ic: int
    oc: int
    weights: np.ndarray
    kernel: int = 3
    depthwise: bool = False
    pool: int = 0
    pad_value: int = 0
    arg_x: int = 0
    shr_x: int = 0
    arg_w: int = 0
    shr_w: int = 0
    arg_add: int = 0
    bn: BatchNorm | None = None  # None: identity (mul 1, shift 0, add 0)
    act: ActTable | None = None  # None: linear_table() (B / 1024, 0 below 0)
    in_addr: int | None = None
    out_addr: int | None = None
    main_out: bool = False
    main_out_address: int | None = None
    send_data_out: int | None = None  # None: same as main_out (nncase v0.1 itself writes 0)
    extra: dict[str, int] = field(default_factory=dict)  # raw overrides of derived fields

    @property
    def out_w(self) -> int:
        return pooled_size(self.in_w, self.in_h, self.pool)[0]

    @property
    def out_h(self) -> int:
        return pooled_size(self.in_w, self.in_h, self.pool)[1]

    @property
    def eight_bit(self) -> bool:
        return np.asarray(self.weights).dtype != np.uint16  # uint16 arrays select 16-bit mode

    def check(self) -> None:
        if self.kernel not in (1, 3):
            raise ValueError("kernel must be 1 or 3")
        if not (1 <= self.ic <= MAX_CHANNELS and 1 <= self.oc <= MAX_CHANNELS):
            raise ValueError("channel counts must be 1..1024")
        if not (1 <= self.in_w <= MAX_WIDTH and 1 <= self.in_h <= MAX_HEIGHT):
            raise ValueError("input must be 1..960 wide and 1..512 high")
        if self.depthwise and self.ic != self.oc:
            raise ValueError("a depthwise layer needs ic == oc")
        if self.out_w < 1 or self.out_h < 1:
            raise ValueError("pooling leaves an empty output")
        if not 0 <= self.pad_value <= 255:
            raise ValueError("pad_value is a uint8")

    def layer_arg(self, in_addr: int, out_addr: int) -> LayerArg:
        """Every field as nncase v0.1 fills it (table addresses 0: the runtime patches them)."""
        self.check()
        k = self.kernel
        elem = 1 if self.eight_bit else 2
        if self.depthwise:
            per_load, para_size, loads = self.oc, self.oc * k * k * elem, 1
        else:
            per_channel = self.ic * k * k * elem
            per_load = min(self.oc, _LOAD_KIB[self.eight_bit] * 1024 // per_channel)
            para_size, loads = per_load * per_channel, -(-self.oc // per_load)
            if loads > 64:  # load_time has 6 bits
                raise ValueError(f"the weights need {loads} loads of {per_load} channels; "
                                 "the KPU allows 64")
        lay_in, lay_out = row_layout(self.in_w), row_layout(self.out_w)
        ow, oh = self.out_w, self.out_h
        send = self.main_out if self.send_data_out is None else self.send_data_out
        arg = LayerArg(
            depth_wise_layer=int(self.depthwise),
            image_src_addr=in_addr, image_dst_addr=out_addr,
            i_ch_num=self.ic - 1, o_ch_num=self.oc - 1, o_ch_num_coef=per_load - 1,
            i_row_wid=self.in_w - 1, i_col_high=self.in_h - 1, o_row_wid=ow - 1, o_col_high=oh - 1,
            kernel_type=1 if k == 3 else 0, pool_type=self.pool, load_para=1, dma_burst_size=15,
            pad_value=self.pad_value,
            load_coor=1, load_time=loads - 1, para_size=para_size,
            channel_switch_addr=lay_in.row_len * self.in_h, row_switch_addr=lay_in.row_len,
            coef_group=lay_in.groups, load_act=1,
            wb_channel_switch_addr=lay_out.row_len * oh, wb_row_switch_addr=lay_out.row_len,
            wb_group=lay_out.groups,
            shr_w=self.shr_w, shr_x=self.shr_x, arg_w=self.arg_w, arg_x=self.arg_x,
            arg_add=self.arg_add,
            send_data_out=int(send), channel_byte_num=ow * oh - 1,
            dma_total_byte=ow * oh * self.oc - 1,
        )
        return arg.replace(**self.extra) if self.extra else arg

    def to_layer(self, in_addr: int | None = None, out_addr: int | None = None,
                 main_out_address: int | None = None) -> K210Conv:
        """The body object; addresses default to the description's own."""
        src = self.in_addr if in_addr is None else in_addr
        dst = self.out_addr if out_addr is None else out_addr
        if src is None or dst is None:
            raise ValueError("KPU RAM addresses not set (use the model builder to allocate them)")
        mem = self.main_out_address if main_out_address is None else main_out_address
        if self.main_out and mem is None:
            raise ValueError("main-memory output address not set")
        bn = self.bn if self.bn is not None else BatchNorm.identity(self.oc)
        act = self.act if self.act is not None else linear_table()
        w = np.asarray(self.weights).reshape(-1)
        return K210Conv(self.layer_arg(src, dst), w, bn, act, int(self.main_out), mem or 0)

    @classmethod
    def from_layer(cls, layer: K210Conv) -> KpuConv:
        """The description of a parsed body; fields nncase would derive differently go in
        `extra` (empty for nncase v0.1 files)."""
        a = layer.arg
        conv = cls(
            in_w=a.in_w, in_h=a.in_h, ic=a.ic, oc=a.oc, weights=np.asarray(layer.weights),
            kernel=a.kernel, depthwise=bool(a.depth_wise_layer), pool=a.pool_type,
            pad_value=a.pad_value, arg_x=a.arg_x, shr_x=a.shr_x, arg_w=a.arg_w, shr_w=a.shr_w,
            arg_add=a.arg_add, bn=layer.bn, act=layer.act, in_addr=a.image_src_addr,
            out_addr=a.image_dst_addr, main_out=bool(layer.flags & 1),
            main_out_address=layer.main_mem_out_address, send_data_out=a.send_data_out,
        )
        derived = conv.layer_arg(a.image_src_addr, a.image_dst_addr)
        conv.extra = {
            f.name: getattr(a, f.name)
            for f in dataclasses.fields(a)
            if getattr(a, f.name) != getattr(derived, f.name)
        }
        return conv
