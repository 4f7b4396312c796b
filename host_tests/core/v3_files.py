"""Hand-built kmodel V3 files for the core's tests, packed with struct straight from the spec
(kmodel-v3-and-kpu.md sections 2 and 3), independent of the C core and of maixkpu.kmodel.

Also a few helpers around the raw cffi binding: a counting allocator, load/validate calls that
return (status, diag) and status names.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Union

from maixkpu._core import ffi, lib

# Layer types (spec 2.5).
ADD, QUANTIZED_ADD, GLOBAL_AVERAGE_POOL2D = 1, 2, 5
MAX_POOL2D, QUANTIZED_MAX_POOL2D, AVERAGE_POOL2D = 7, 8, 9
QUANTIZE, DEQUANTIZE, REQUANTIZE, L2_NORMALIZATION, SOFTMAX = 11, 12, 13, 14, 15
CONCAT, QUANTIZED_CONCAT, FULLY_CONNECTED, TENSORFLOW_FLATTEN = 16, 17, 18, 20
RESIZE_NEAREST_NEIGHBOR, QUANTIZED_RESIZE_NEAREST_NEIGHBOR = 22, 23
CHANNELWISE_DEQUANTIZE, LOGISTIC = 24, 25
K210_CONV, K210_ADD_PADDING, K210_REMOVE_PADDING, K210_UPLOAD = 10240, 10241, 10242, 10243

Body = Union[bytes, Callable[[int], bytes]]


def u32(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}I", *[v & 0xFFFFFFFF for v in values])


def f32(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def v3_file(layers: Sequence[tuple[int, Body]], main_mem: int,
            outputs: Sequence[tuple[int, int]] = (), flags: int = 1, arch: int = 0,
            max_start: int = 32768, trim_final_padding: bool = True) -> bytes:
    """A V3 file. A body is bytes, or a function of its file offset (for K210_CONV, whose
    body holds absolute offsets). Bodies are padded so the next starts 8-aligned; like nncase,
    the final padding is left out unless trim_final_padding is False."""
    header = u32(3, flags, arch, len(layers), max_start, main_mem, len(outputs))
    header += b"".join(u32(a, s) for a, s in outputs)
    offset = len(header) + 8 * len(layers)
    bodies: list[bytes] = []
    for _type, body in layers:
        raw = body(offset) if callable(body) else body
        end = offset + len(raw)
        raw += bytes(-end % 8)
        bodies.append(raw)
        offset += len(raw)
    table = b"".join(u32(t, len(b)) for (t, _), b in zip(layers, bodies))
    data = header + table + b"".join(bodies)
    if trim_final_padding:
        last_start = len(data) - len(bodies[-1])
        unpadded = layers[-1][1]
        raw_len = len(unpadded(last_start) if callable(unpadded) else unpadded)
        data = data[: last_start + raw_len]
    return data


# ---- the KPU layer argument (spec 3.1) --------------------------------------------------------


def row_layout(width: int) -> tuple[int, int]:
    """(channels per line group, lines per row) of spec section 5."""
    if width <= 16:
        return 4, 1
    if width <= 32:
        return 2, 1
    return 1, (width + 63) // 64


def conv_arg(ic: int, oc: int, w: int, h: int, *, pool: int = 0, kernel: int = 0,
             src: int = 0, dst: int = 1024, depthwise: int = 0, send: int = 0,
             **override: int) -> list[int]:
    """12 words of a stride-1 conv followed by pool type `pool` (0: same size)."""
    stride = {0: 1, 1: 2, 2: 2, 3: 4, 4: 4, 5: 2, 6: 2, 7: 4, 8: 1, 9: 1}.get(pool, 1)
    ow, oh = w // stride, h // stride
    gi, rli = row_layout(w)
    go, rlo = row_layout(ow)
    f: dict[str, Any] = dict(
        image_src_addr=src, image_dst_addr=dst, i_ch_num=ic - 1, o_ch_num=oc - 1,
        o_ch_num_coef=oc - 1, i_row_wid=w - 1, i_col_high=h - 1, o_row_wid=ow - 1,
        o_col_high=oh - 1, kernel_type=kernel, pool_type=pool, load_para=1, dma_burst_size=15,
        load_coor=1, load_time=0, para_size=ic * oc, channel_switch_addr=rli * h,
        row_switch_addr=rli, coef_group=gi, load_act=1, wb_channel_switch_addr=rlo * oh,
        wb_row_switch_addr=rlo, wb_group=go, depth_wise_layer=depthwise, send_data_out=send,
        channel_byte_num=ow * oh - 1, dma_total_byte=ow * oh * oc - 1,
    )
    f.update(override)
    g = {k: int(v) for k, v in f.items()}
    words = [0] * 12
    words[0] = g.get("int_en", 0) | g["depth_wise_layer"] << 3
    words[1] = g["image_src_addr"] | g["image_dst_addr"] << 32
    words[2] = g["i_ch_num"] | g["o_ch_num"] << 32 | g["o_ch_num_coef"] << 48
    words[3] = g["i_row_wid"] | g["i_col_high"] << 10 | g["o_row_wid"] << 32 | g["o_col_high"] << 42
    words[4] = (g["kernel_type"] | g["pool_type"] << 4 | g["load_para"] << 10
                | g["dma_burst_size"] << 16 | g.get("pad_value", 0) << 24)
    words[5] = g["load_coor"] | g["load_time"] << 1 | g["para_size"] << 15
    words[7] = (g["channel_switch_addr"] | g["row_switch_addr"] << 16 | g["coef_group"] << 28
                | g["load_act"] << 31)
    words[8] = g["wb_channel_switch_addr"] | g["wb_row_switch_addr"] << 16 | g["wb_group"] << 20
    words[9] = (g.get("shr_w", 0) | g.get("shr_x", 0) << 4 | (g.get("arg_w", 0) & 0xFFFFFF) << 8
                | (g.get("arg_x", 0) & 0xFFFFFF) << 32)
    words[10] = g.get("arg_add", 0) & 0xFFFFFFFFFF
    words[11] = g["send_data_out"] | g["channel_byte_num"] << 16 | g["dma_total_byte"] << 32
    return [w & 0xFFFFFFFFFFFFFFFF for w in words]


def conv_body(arg: list[int], weights: bytes, bn: bytes, act: bytes, *, flags: int = 0,
              main_out: int = 0) -> Callable[[int], bytes]:
    """A K210_CONV body with nncase's block alignments (8, 128, 128, 256 from the file start)."""

    def build(start: int) -> bytes:
        def align(pos: int, a: int) -> int:
            return pos + (-(start + pos) % a)

        arg_at = align(24, 8)
        w_at = align(arg_at + 96, 128)
        bn_at = align(w_at + len(weights), 128)
        act_at = align(bn_at + len(bn), 256)
        out = bytearray(act_at + len(act))
        out[0:24] = u32(flags, main_out, start + arg_at, start + w_at, start + bn_at,
                        start + act_at)
        out[arg_at:arg_at + 96] = struct.pack("<12Q", *arg)
        out[w_at:w_at + len(weights)] = weights
        out[bn_at:bn_at + len(bn)] = bn
        out[act_at:act_at + len(act)] = act
        return bytes(out)

    return build


def identity_conv(ic: int, w: int, h: int, **kw: Any) -> Callable[[int], bytes]:
    """A 1x1 conv that copies its input: weight 1 on the diagonal, BN mul 1, a linear table."""
    weights = bytes(1 if o == i else 0 for o in range(ic) for i in range(ic))
    bn = b"".join(struct.pack("<Q", 1) for _ in range(ic))  # mul 1, add 0, shift 0
    seg0 = (0x800000000 << 24)  # x_start -2^35, mul 0, shift 0
    seg1 = 1 << 8  # x_start 0, mul 1, shift 0: B > 0 gives B, B == 0 falls to segment 0
    rest = ((1 << 35) - 16) << 24
    act = struct.pack("<16Q", seg0, seg1, *[rest + (i << 24) for i in range(14)]) + bytes(16)
    flags = kw.pop("flags", 0)
    main_out = kw.pop("main_out", 0)
    return conv_body(conv_arg(ic, ic, w, h, **kw), weights, bn, act, flags=flags,
                     main_out=main_out)


# ---- binding helpers --------------------------------------------------------------------------


class Counting:
    """A counting host allocator (kpu_alloc_std_counting) kept alive with its stats."""

    def __init__(self, limit: int = 0) -> None:
        self.stats = ffi.new("kpu_alloc_std_stats_t*")
        self.stats.limit = limit
        self.alloc = ffi.new("kpu_allocator_t*", lib.kpu_alloc_std_counting(self.stats))

    @property
    def in_use(self) -> int:
        return int(self.stats.in_use)


def status_name(st: int) -> str:
    return ffi.string(lib.kpu_status_name(st)).decode()


def validate(data: bytes, flags: int = 0) -> tuple[str, Any]:
    diag = ffi.new("kpu_diag_t*")
    st = lib.kpu_model_validate(data, len(data), flags, diag)
    return status_name(st), diag


# A loaded model references the caller's bytes and allocator: keep them alive until free().
_KEEP: dict[int, tuple[Any, ...]] = {}


def load(data: bytes, flags: int = 0, alloc: Counting | None = None) -> tuple[str, Any, Any]:
    """(status name, diag, model or None). Release the model with free()."""
    alloc = alloc or Counting()
    diag = ffi.new("kpu_diag_t*")
    pm = ffi.new("kpu_model_t**")
    buf = ffi.from_buffer(data)
    st = lib.kpu_model_load(pm, buf, len(data), flags, alloc.alloc, diag)
    if st != lib.KPU_OK:
        return status_name(st), diag, None
    _KEEP[int(ffi.cast("uintptr_t", pm[0]))] = (buf, data, alloc)
    return status_name(st), diag, pm[0]


def free(model: Any) -> None:
    lib.kpu_model_free(model)
    _KEEP.pop(int(ffi.cast("uintptr_t", model)), None)


def text(diag: Any) -> str:
    return ffi.string(diag.text).decode()
