"""V3 layer bodies run by the CPU (spec 2.7), as dataclasses that pack to and parse from bytes.

Each class lists its 4-byte fields in body order; variable-length tails (tables, weights, concat
ranges) are handled per class. Addresses are main-memory byte offsets, except
`kpu_mem_out_address` (a KPU RAM line). `flags` defaults follow nncase v0.1 (spec 2.6).
"""
from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


def _i32() -> Any:
    return field(default=0, metadata={"fmt": "i"})


class Layer:
    """A layer body. `content` is the body without its trailing alignment padding."""

    TYPE: ClassVar[int] = 0

    def content(self, body_offset: int, eight_bit: bool) -> bytes:
        raise NotImplementedError

    @classmethod
    def parse(cls, body: bytes, body_offset: int, eight_bit: bool) -> Layer:
        raise NotImplementedError


@dataclass
class RawLayer(Layer):
    """A layer this package does not decode: its type and body kept as bytes."""

    type: int = 0
    body: bytes = b""

    def content(self, body_offset: int, eight_bit: bool) -> bytes:
        return self.body


def _pack_pairs(fmt: str, pairs: list[tuple[Any, Any]]) -> bytes:
    return b"".join(struct.pack("<" + 2 * fmt, a, b) for a, b in pairs)


def _parse_pairs(fmt: str, body: bytes, offset: int, n: int) -> list[tuple[Any, Any]]:
    flat = struct.unpack_from(f"<{2 * n}{fmt}", body, offset)
    return [(flat[2 * i], flat[2 * i + 1]) for i in range(n)]


class CpuLayer(Layer):
    """Fixed 4-byte fields (u32 unless the field says 'i' or is a float) plus an optional tail."""

    @classmethod
    def _formats(cls) -> list[tuple[str, str]]:
        out = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.metadata.get("tail"):
                continue
            fmt = f.metadata.get("fmt") or ("f" if f.type in ("float", float) else "I")
            out.append((f.name, fmt))
        return out

    def content(self, body_offset: int, eight_bit: bool) -> bytes:
        fmts = self._formats()
        head = struct.pack("<" + "".join(f for _, f in fmts), *(getattr(self, n) for n, _ in fmts))
        return head + self._tail()

    def _tail(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, body: bytes, body_offset: int, eight_bit: bool) -> Layer:
        fmts = cls._formats()
        layout = "<" + "".join(f for _, f in fmts)
        values = dict(zip((n for n, _ in fmts), struct.unpack_from(layout, body, 0)))
        values.update(cls._parse_tail(body, struct.calcsize(layout), values))
        return cls(**values)

    @classmethod
    def _parse_tail(cls, body: bytes, offset: int, values: dict[str, Any]) -> dict[str, Any]:
        return {}


# Shared leading field layouts. A subclass that redefines `flags` keeps its place in the body.


@dataclass
class _InOut(CpuLayer):
    flags: int = 1
    in_address: int = 0
    out_address: int = 0


@dataclass
class _InOutCount(_InOut):
    count: int = 0


@dataclass
class _InOutChannels(_InOut):
    channels: int = 0


@dataclass
class _Resample(_InOut):
    in_width: int = 0
    in_height: int = 0
    in_channels: int = 0
    out_width: int = 0
    out_height: int = 0


@dataclass
class _ToKpuRam(CpuLayer):
    flags: int = 0
    in_address: int = 0
    kpu_mem_out_address: int = 0


@dataclass
class _Binary(CpuLayer):
    flags: int = 1
    in_a_address: int = 0
    in_b_address: int = 0
    out_address: int = 0
    count: int = 0


@dataclass
class Add(_Binary):
    TYPE: ClassVar[int] = 1


@dataclass
class QuantizedAdd(_Binary):
    TYPE: ClassVar[int] = 2
    in_a_offset: int = _i32()
    in_a_mul: int = _i32()
    in_a_shift: int = _i32()
    in_b_offset: int = _i32()
    in_b_mul: int = _i32()
    in_b_shift: int = _i32()
    out_offset: int = _i32()
    out_mul: int = _i32()
    out_shift: int = _i32()


@dataclass
class GlobalAveragePool2d(_InOut):
    TYPE: ClassVar[int] = 5
    kernel_size: int = 0
    channels: int = 0


@dataclass
class QuantizedMaxPool2d(_Resample):
    TYPE: ClassVar[int] = 8
    out_channels: int = 0
    kernel_width: int = 0
    kernel_height: int = 0
    stride_width: int = 0
    stride_height: int = 0
    padding_width: int = 0
    padding_height: int = 0


@dataclass
class AveragePool2d(QuantizedMaxPool2d):
    TYPE: ClassVar[int] = 9
    act: int = 0


@dataclass
class MaxPool2d(AveragePool2d):
    """Emitted by nncase v0.1 but not run by kpu.c (spec 2.5)."""

    TYPE: ClassVar[int] = 7


@dataclass
class Quantize(_InOutCount):
    TYPE: ClassVar[int] = 11
    flags: int = 0
    scale: float = 1.0
    bias: float = 0.0


@dataclass
class Dequantize(Quantize):
    TYPE: ClassVar[int] = 12
    flags: int = 1


@dataclass
class Requantize(_InOutCount):
    TYPE: ClassVar[int] = 13
    table: bytes = field(default=bytes(range(256)), metadata={"tail": True})

    def _tail(self) -> bytes:
        if len(self.table) != 256:
            raise ValueError("a requantize table has 256 bytes")
        return bytes(self.table)

    @classmethod
    def _parse_tail(cls, body: bytes, offset: int, values: dict[str, Any]) -> dict[str, Any]:
        return {"table": bytes(body[offset : offset + 256])}


@dataclass
class L2Normalization(_InOutChannels):
    TYPE: ClassVar[int] = 14


@dataclass
class Softmax(L2Normalization):
    TYPE: ClassVar[int] = 15


@dataclass
class Logistic(L2Normalization):
    TYPE: ClassVar[int] = 25


@dataclass
class Concat(CpuLayer):
    """Byte ranges (start, size) copied back to back into out."""

    TYPE: ClassVar[int] = 16
    flags: int = 1
    out_address: int = 0
    input_count: int = 0
    inputs: list[tuple[int, int]] = field(default_factory=list, metadata={"tail": True})

    def content(self, body_offset: int, eight_bit: bool) -> bytes:
        if self.input_count != len(self.inputs):
            raise ValueError("input_count must equal the number of input ranges")
        return super().content(body_offset, eight_bit)

    def _tail(self) -> bytes:
        return _pack_pairs("I", self.inputs)

    @classmethod
    def _parse_tail(cls, body: bytes, offset: int, values: dict[str, Any]) -> dict[str, Any]:
        return {"inputs": _parse_pairs("I", body, offset, values["input_count"])}


@dataclass
class QuantizedConcat(Concat):
    TYPE: ClassVar[int] = 17


@dataclass(eq=False)
class FullyConnected(_InOut):
    """f32 y = W·x + b, then act (0 linear, 1 relu, 2 relu6); weights: out x in channels."""

    TYPE: ClassVar[int] = 18
    flags: int = 0
    in_channels: int = 0
    out_channels: int = 0
    act: int = 0
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32),
                                metadata={"tail": True})
    bias: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32),
                             metadata={"tail": True})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FullyConnected):
            return NotImplemented
        return self.content(0, True) == other.content(0, True)

    def _tail(self) -> bytes:
        w = np.asarray(self.weights, dtype="<f4").reshape(-1)
        b = np.asarray(self.bias, dtype="<f4").reshape(-1)
        if w.size != self.in_channels * self.out_channels or b.size != self.out_channels:
            raise ValueError("fully-connected weights/bias do not match the channel counts")
        return w.tobytes() + b.tobytes()

    @classmethod
    def _parse_tail(cls, body: bytes, offset: int, values: dict[str, Any]) -> dict[str, Any]:
        ic, oc = values["in_channels"], values["out_channels"]
        w = np.frombuffer(body, dtype="<f4", count=ic * oc, offset=offset)
        b = np.frombuffer(body, dtype="<f4", count=oc, offset=offset + 4 * ic * oc)
        return {"weights": w.reshape(oc, ic).astype(np.float32), "bias": b.astype(np.float32)}


@dataclass
class TensorflowFlatten(_InOut):
    TYPE: ClassVar[int] = 20
    width: int = 0
    height: int = 0
    channels: int = 0


@dataclass
class ResizeNearestNeighbor(_Resample):
    TYPE: ClassVar[int] = 22
    flags: int = 0
    align_corners: int = 0


@dataclass
class QuantizedResizeNearestNeighbor(ResizeNearestNeighbor):
    TYPE: ClassVar[int] = 23


@dataclass
class ChannelwiseDequantize(_InOutChannels):
    TYPE: ClassVar[int] = 24
    channel_size: int = 0
    params: list[tuple[float, float]] = field(default_factory=list, metadata={"tail": True})

    def _tail(self) -> bytes:
        if len(self.params) != self.channels:
            raise ValueError("one (scale, bias) pair per channel")
        return _pack_pairs("f", self.params)

    @classmethod
    def _parse_tail(cls, body: bytes, offset: int, values: dict[str, Any]) -> dict[str, Any]:
        return {"params": _parse_pairs("f", body, offset, values["channels"])}


@dataclass
class K210AddPadding(_ToKpuRam):
    TYPE: ClassVar[int] = 10241
    channels: int = 0


@dataclass
class K210RemovePadding(_InOutChannels):
    TYPE: ClassVar[int] = 10242


@dataclass
class K210Upload(_ToKpuRam):
    TYPE: ClassVar[int] = 10243
    width: int = 0
    height: int = 0
    channels: int = 0


CPU_LAYER_CLASSES: dict[int, type[CpuLayer]] = {
    cls.TYPE: cls
    for cls in (
        Add, QuantizedAdd, GlobalAveragePool2d, MaxPool2d, QuantizedMaxPool2d, AveragePool2d,
        Quantize, Dequantize, Requantize, L2Normalization, Softmax, Concat, QuantizedConcat,
        FullyConnected, TensorflowFlatten, ResizeNearestNeighbor, QuantizedResizeNearestNeighbor,
        ChannelwiseDequantize, Logistic, K210AddPadding, K210RemovePadding, K210Upload,
    )
}
