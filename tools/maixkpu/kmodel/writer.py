"""Assembles V3 kmodel files (spec 2.1-2.4): header, output table, layer headers, bodies.

Every body is padded with zeros so the next one starts at a file offset that is a multiple of 8.
nncase v0.1 does not write the padding after the last body (the file can be up to 7 bytes
short); `full_padding=False` reproduces that, the default writes it.
"""
from __future__ import annotations

import struct

from .conv import align
from .cpu_layers import Layer, RawLayer
from .model import HEADER_BYTES, KModelV3


def body_start(output_count: int, layer_count: int) -> int:
    return HEADER_BYTES + 8 * output_count + 8 * layer_count


def layer_type(layer: Layer) -> int:
    return layer.type if isinstance(layer, RawLayer) else layer.TYPE


def write_v3(model: KModelV3, full_padding: bool = True) -> bytes:
    """The file bytes of model."""
    eight_bit = model.eight_bit
    offset = body_start(len(model.outputs), len(model.layers))
    bodies: list[bytes] = []
    for layer in model.layers:
        content = layer.content(offset, eight_bit)
        end = align(offset + len(content), 8)
        bodies.append(content + bytes(end - offset - len(content)))
        offset = end
    head = struct.pack(
        "<7I", model.version, model.flags, model.arch, len(model.layers),
        model.max_start_address, model.main_mem_usage, len(model.outputs),
    )
    head += b"".join(struct.pack("<II", a, n) for a, n in model.outputs)
    for layer, body in zip(model.layers, bodies):
        head += struct.pack("<II", layer_type(layer), len(body))
    data = head + b"".join(bodies)
    if not full_padding and model.layers:
        last = model.layers[-1].content(len(data) - len(bodies[-1]), eight_bit)
        data = data[: len(data) - len(bodies[-1]) + len(last)]
    return data
