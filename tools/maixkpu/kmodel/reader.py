"""Parses V3 kmodel files into `KModelV3` (decoded layer bodies) and prints a short dump."""
from __future__ import annotations

import struct

from .conv import K210Conv
from .cpu_layers import CPU_LAYER_CLASSES, Layer, RawLayer
from .model import HEADER_BYTES, KMODEL_V3, KModelV3
from .writer import body_start

LAYER_NAMES = {
    1: "ADD", 2: "QUANTIZED_ADD", 3: "GLOBAL_MAX_POOL2D", 4: "QUANTIZED_GLOBAL_MAX_POOL2D",
    5: "GLOBAL_AVERAGE_POOL2D", 6: "QUANTIZED_GLOBAL_AVERAGE_POOL2D", 7: "MAX_POOL2D",
    8: "QUANTIZED_MAX_POOL2D", 9: "AVERAGE_POOL2D", 10: "QUANTIZED_AVERAGE_POOL2D",
    11: "QUANTIZE", 12: "DEQUANTIZE", 13: "REQUANTIZE", 14: "L2_NORMALIZATION", 15: "SOFTMAX",
    16: "CONCAT", 17: "QUANTIZED_CONCAT", 18: "FULLY_CONNECTED", 19: "QUANTIZED_FULLY_CONNECTED",
    20: "TENSORFLOW_FLATTEN", 21: "QUANTIZED_TENSORFLOW_FLATTEN", 22: "RESIZE_NEAREST_NEIGHBOR",
    23: "QUANTIZED_RESIZE_NEAREST_NEIGHBOR", 24: "CHANNELWISE_DEQUANTIZE", 25: "LOGISTIC",
    10240: "K210_CONV", 10241: "K210_ADD_PADDING", 10242: "K210_REMOVE_PADDING",
    10243: "K210_UPLOAD",
}
# nncase v0.1 does not write the padding after the last body.
MAX_MISSING_TAIL = 7


def parse_layer(layer_type: int, body: bytes, body_offset: int, eight_bit: bool) -> Layer:
    if layer_type == K210Conv.TYPE:
        return K210Conv.parse(body, body_offset, eight_bit)
    cls = CPU_LAYER_CLASSES.get(layer_type)
    if cls is None:
        return RawLayer(layer_type, bytes(body))
    return cls.parse(body, body_offset, eight_bit)


def read_v3(data: bytes) -> KModelV3:
    """Decodes a V3 file; raises ValueError on anything malformed."""
    data = bytes(data)
    if len(data) < HEADER_BYTES:
        raise ValueError("shorter than the 28-byte V3 header")
    version, flags, arch, n_layers, max_start, main_mem, n_out = struct.unpack_from("<7I", data)
    if version != KMODEL_V3:
        raise ValueError(f"version {version:#x} is not a V3 kmodel")
    start = body_start(n_out, n_layers)
    if start > len(data):
        raise ValueError("file ends inside the output or layer tables")
    outputs = [struct.unpack_from("<II", data, HEADER_BYTES + 8 * i) for i in range(n_out)]
    headers = [struct.unpack_from("<II", data, HEADER_BYTES + 8 * (n_out + i))
               for i in range(n_layers)]
    total = start + sum(size for _, size in headers)
    if total - len(data) > MAX_MISSING_TAIL:
        raise ValueError(f"bodies need {total} bytes, the file has {len(data)}")
    padded = data + bytes(max(0, total - len(data)))
    layers, offsets, sizes = [], [], []
    offset = start
    for layer_type, size in headers:
        body = padded[offset : offset + size]
        try:
            layers.append(parse_layer(layer_type, body, offset, bool(flags & 1)))
        except (ValueError, struct.error) as exc:
            raise ValueError(f"layer {len(layers)} ({LAYER_NAMES.get(layer_type, layer_type)}) "
                             f"at {offset}: {exc}") from exc
        offsets.append(offset)
        sizes.append(size)
        offset += size
    return KModelV3(layers, [tuple(o) for o in outputs], main_mem, max_start, flags, arch,
                    version, offsets, sizes)


def describe(model: KModelV3) -> str:
    """A human-readable listing: header, outputs, one line per layer."""
    lines = [
        f"kmodel V{model.version} flags={model.flags} arch={model.arch} "
        f"layers={len(model.layers)} max_start={model.max_start_address} "
        f"main_mem={model.main_mem_usage}",
    ]
    lines += [f"output {i}: main[{a}] {n} bytes" for i, (a, n) in enumerate(model.outputs)]
    for i, layer in enumerate(model.layers):
        t = layer.type if isinstance(layer, RawLayer) else layer.TYPE
        where = f"@{model.body_offsets[i]}+{model.body_sizes[i]}" if model.body_offsets else ""
        lines.append(f"{i:3d} {LAYER_NAMES.get(t, str(t)):<24} {where} {_summary(layer)}")
    return "\n".join(lines)


def _summary(layer: Layer) -> str:
    if isinstance(layer, K210Conv):
        a = layer.arg
        return (f"{a.ic}x{a.in_h}x{a.in_w} -> {a.oc}x{a.out_h}x{a.out_w} k{a.kernel}"
                f"{' dw' if a.depth_wise_layer else ''} pool{a.pool_type} "
                f"ram {a.image_src_addr}->{a.image_dst_addr} flags={layer.flags}"
                f"{f' main[{layer.main_mem_out_address}]' if layer.flags & 1 else ''}")
    if isinstance(layer, RawLayer):
        return f"{len(layer.body)} raw bytes"
    fields = vars(layer)
    return " ".join(f"{k}={v}" for k, v in fields.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool))
