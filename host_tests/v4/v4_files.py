"""Hand-built kmodel V4 files for the tests, packed with struct straight from spec
kmodel-v4-v5.md Part A (A1 layout, A2 bodies, A5 kpu_conv2d), independent of the C core.

`v4_file` lays out header, input ranges and shapes, output ranges, constants, node headers and
bodies (each padded to 8 from the file start, the last one's padding left out as nncase's
writer does). A body is bytes or a function of its file offset (kpu_conv2d aligns its tables
to 256 bytes of the file). `run_model` loads a file with the Python binding and returns its
outputs as raw bytes.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

from maixkpu.core import Model, SoftKpu

CONST, MAIN, KPU = 0, 1, 2
F32, U8 = 0, 1
FLT_MAX = float(np.finfo(np.float32).max)

OP = {
    "binary": 0x00, "concat": 0x01, "conv2d": 0x02, "dequantize": 0x03, "matmul": 0x04,
    "pad": 0x05, "quantize": 0x06, "reduce": 0x07, "reduce_window2d": 0x08,
    "memory_copy": 0x09, "resize_image": 0x0A, "softmax": 0x0B, "transpose": 0x0C,
    "strided_slice": 0x0D, "unary": 0x0E, "quantized_conv2d": 0x0F, "quantized_matmul": 0x10,
    "quantized_binary": 0x11, "table_lookup1d": 0x12, "conv2d_transpose": 0x13,
    "nnil_unary_method": 0x14, "cpu_conv2d": 0x1001, "cpu_depthwise_conv2d": 0x1002,
    "cpu_reduce_window2d": 0x1003, "cpu_quantized_conv2d": 0x1004,
    "cpu_quantized_depthwise_conv2d": 0x1005, "kpu_upload": 0x2001, "kpu_conv2d": 0x2002,
}

Body = Union[bytes, Callable[[int], bytes]]


@dataclass(frozen=True)
class Range:
    """A V4 memory_range: memory type, datatype, start byte, byte size."""

    type: int
    dtype: int
    start: int
    size: int

    def pack(self) -> bytes:
        return struct.pack("<4I", self.type, self.dtype, self.start, self.size)


NONE = Range(0, 0, 0, 0)


def i32(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}i", *values)


def u32(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}I", *[v & 0xFFFFFFFF for v in values])


def f32(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def shape(*dims: int) -> bytes:
    assert len(dims) == 4
    return i32(*dims)


def act(lo: float = -FLT_MAX, hi: float = FLT_MAX) -> bytes:
    return f32(lo, hi)


def v4_file(nodes: Sequence[tuple[int, Body]], input_range: Range,
            input_shape: tuple[int, int, int, int], outputs: Sequence[Range],
            constants: bytes = b"", main_mem: int = 0, target: int = 1,
            trim_final_padding: bool = True) -> bytes:
    """A whole V4 file with one input."""
    header = b"LDMK" + u32(4, 0, target, len(constants), main_mem, len(nodes), 1, len(outputs),
                           0xCCCCCCCC)  # reserved0 is garbage in real files
    tables = input_range.pack() + shape(*input_shape) + b"".join(r.pack() for r in outputs)
    offset = len(header) + len(tables) + len(constants) + 8 * len(nodes)
    bodies: list[bytes] = []
    raw_last = 0
    for _op, body in nodes:
        raw = body(offset) if callable(body) else body
        raw_last = len(raw)
        raw += bytes(-(offset + len(raw)) % 8)
        bodies.append(raw)
        offset += len(raw)
    heads = b"".join(u32(op, len(b)) for (op, _), b in zip(nodes, bodies))
    data = header + tables + constants + heads + b"".join(bodies)
    if trim_final_padding:
        data = data[: len(data) - len(bodies[-1]) + raw_last]
    return data


def run_model(data: bytes, input_bytes: bytes, soft: SoftKpu | None = None) -> list[bytes]:
    """Loads and runs a V4 file; every output as raw bytes."""
    with Model.load(data) as model:
        outs = model.run(input_bytes, backend=soft)
        return [np.ascontiguousarray(o).tobytes() for o in outs]


# ---- K210 bodies (spec A5) -------------------------------------------------------------------


def set_field(words: list[int], word: int, lo: int, bits: int, value: int) -> None:
    mask = ((1 << bits) - 1) << lo
    words[word] = (words[word] & ~mask) | ((value << lo) & mask)


def kpu_conv2d_body(arg: Sequence[int], bn: bytes, act_table: bytes, weights: bytes,
                    main_out: Range = NONE, batches: int = 1,
                    align: int = 256) -> Callable[[int], bytes]:
    """kpu_conv2d: the three table addresses of the layer argument become the padding byte
    counts before each table, chosen (like nncase's writer) so every table starts on an
    `align`-byte boundary of the file."""
    def build(start: int) -> bytes:
        words = list(arg)
        out = bytearray(main_out.pack() + i32(batches, 0))
        arg_at = len(out)
        out += bytes(96)
        for word, table in ((4, bn), (7, act_table), (5, weights)):
            skip = -(start + len(out)) % align
            set_field(words, word, 32, 32, skip)
            out += bytes(skip) + table
        out[arg_at:arg_at + 96] = struct.pack("<12Q", *words)
        return bytes(out)
    return build


def kpu_lines(w: int, h: int, c: int) -> int:
    """KPU RAM lines of a C x H x W map (spec kmodel-v3-and-kpu.md section 5)."""
    groups, row_len = (4, 1) if w <= 16 else (2, 1) if w <= 32 else (1, (w + 63) // 64)
    return row_len * h * -(-c // groups)


def kpu_upload_body(src: Range, dst: Range, nchw: tuple[int, int, int, int]) -> bytes:
    return src.pack() + dst.pack() + shape(*nchw)
