"""KPU batch-norm and activation tables (spec 3.2, 3.3) and the quantization helpers that fill them.

The batch-norm table is one u64 per output channel: mul (24-bit signed), add (32-bit signed),
shift (0..15). The activation table is 16 segments (x_start 36-bit signed, y_mul 16-bit signed,
shift 8-bit) plus 16 uint8 adds. With `B` the batch-norm output, segment i is the highest index with
`B > x_start_i` and the output is `round_shift((B - x_start_i) * y_mul_i, shift_i) + add_i`.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ACT_SEGMENTS = 16
ACT_TABLE_BYTES = 144
BN_ENTRY_BYTES = 8
X_START_MIN = -(1 << 35)
X_START_MAX = (1 << 35) - 1
# nncase's unused top segments start just under 2**35 so no 36-bit B ever selects them.
_FILLER_BASE = (1 << 35) - 16


def _check_range(name: str, value: int, lo: int, hi: int) -> int:
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name}={value} outside {lo}..{hi}")
    return value


def _sign_extend(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


@dataclass
class BatchNorm:
    """Per-output-channel `B = ((ACC * mul) >> shift) + add`."""

    mul: np.ndarray
    shift: np.ndarray
    add: np.ndarray

    def __post_init__(self) -> None:
        self.mul = np.asarray(self.mul, dtype=np.int64).reshape(-1)
        self.shift = np.asarray(self.shift, dtype=np.int64).reshape(-1)
        self.add = np.asarray(self.add, dtype=np.int64).reshape(-1)
        if not len(self.mul) == len(self.shift) == len(self.add):
            raise ValueError("batch-norm mul, shift and add need one entry per channel each")

    @classmethod
    def identity(cls, channels: int, add: int = 0) -> BatchNorm:
        """mul 1, shift 0: B = ACC + add."""
        return cls(np.ones(channels), np.zeros(channels), np.full(channels, add))

    @property
    def channels(self) -> int:
        return len(self.mul)

    def encode(self) -> bytes:
        out = bytearray()
        for mul, shift, add in zip(self.mul, self.shift, self.add):
            m = _check_range("norm_mul", mul, -(1 << 23), (1 << 23) - 1) & 0xFFFFFF
            a = _check_range("norm_add", add, -(1 << 31), (1 << 31) - 1) & 0xFFFFFFFF
            s = _check_range("norm_shift", shift, 0, 15)
            out += struct.pack("<Q", m | (a << 24) | (s << 56))
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes, channels: int, offset: int = 0) -> BatchNorm:
        words = struct.unpack_from(f"<{channels}Q", data, offset)
        mul = [_sign_extend(w & 0xFFFFFF, 24) for w in words]
        add = [_sign_extend((w >> 24) & 0xFFFFFFFF, 32) for w in words]
        shift = [(w >> 56) & 0xF for w in words]
        if any(w >> 60 for w in words):
            raise ValueError("batch-norm entry with bits 60-63 set")
        return cls(np.array(mul), np.array(shift), np.array(add))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BatchNorm):
            return NotImplemented
        return all(
            np.array_equal(a, b)
            for a, b in ((self.mul, other.mul), (self.shift, other.shift), (self.add, other.add))
        )


@dataclass(frozen=True)
class ActSegment:
    x_start: int
    mul: int
    shift: int
    add: int


@dataclass
class ActTable:
    """The 16-segment piecewise-linear activation."""

    segments: list[ActSegment]

    def __post_init__(self) -> None:
        if len(self.segments) != ACT_SEGMENTS:
            raise ValueError(f"an activation table has {ACT_SEGMENTS} segments")

    def encode(self) -> bytes:
        words = []
        for seg in self.segments:
            xs = _check_range("x_start", seg.x_start, X_START_MIN, X_START_MAX) & ((1 << 36) - 1)
            mul = _check_range("y_mul", seg.mul, -(1 << 15), (1 << 15) - 1) & 0xFFFF
            shift = _check_range("shift_number", seg.shift, 0, 255)
            words.append(shift | (mul << 8) | (xs << 24))
        adds = bytes(_check_range("add", s.add, 0, 255) for s in self.segments)
        return struct.pack("<16Q", *words) + adds

    @classmethod
    def decode(cls, data: bytes, offset: int = 0) -> ActTable:
        words = struct.unpack_from("<16Q", data, offset)
        adds = data[offset + 128 : offset + ACT_TABLE_BYTES]
        if len(adds) != 16:
            raise ValueError("activation table truncated")
        if any(w >> 60 for w in words):
            raise ValueError("activation segment with bits 60-63 set")
        segs = [
            ActSegment(_sign_extend((w >> 24) & ((1 << 36) - 1), 36),
                       _sign_extend((w >> 8) & 0xFFFF, 16), w & 0xFF, adds[i])
            for i, w in enumerate(words)
        ]
        return cls(segs)

    @classmethod
    def from_segments(cls, used: Sequence[ActSegment]) -> ActTable:
        """Segment 0 = 'everything below' (output 0), then `used`, then never-selected fillers."""
        if len(used) > ACT_SEGMENTS - 1:
            raise ValueError("at most 15 segments besides segment 0")
        segs = [ActSegment(X_START_MIN, 0, 0, 0), *used]
        segs += [ActSegment(_FILLER_BASE + i, 0, 0, 0) for i in range(ACT_SEGMENTS - len(segs))]
        return cls(segs)


def linear_table(frac_bits: int = 10, zero: int = 0, shift: int = 20) -> ActTable:
    """Y = B / 2**frac_bits for B > zero·2**frac_bits, 0 below (ReLU at `zero`; for plain linear
    layers pass the output zero point, below which the uint8 clamp gives 0 anyway)."""
    mul = 1 << (shift - frac_bits)
    if mul >= 1 << 15:
        raise ValueError("shift - frac_bits must be < 15")
    return ActTable.from_segments([ActSegment(zero << frac_bits, mul, shift, zero)])


def leaky_relu_table(zero_point: float, slope: float, frac_bits: int = 10,
                     shift: int = 20) -> ActTable:
    """Leaky ReLU in the output quantization: with B = (x·s + z)·2**frac_bits it gives
    z + x·s for x > 0 and z + slope·x·s below, both rounded by the activation shift."""
    if not 0 < slope < 1:
        raise ValueError("slope must be in (0, 1)")
    z = int(round(zero_point))
    neg_mul = int(round(slope * (1 << (shift - frac_bits))))
    # B where the leaky branch reaches output 0: z + slope·(B/2**f − z) = 0.
    b_zero = int(math.floor((z - z / slope) * (1 << frac_bits)))
    used = [ActSegment(b_zero, neg_mul, shift, 0)] if z > 0 else []
    used.append(ActSegment(z << frac_bits, 1 << (shift - frac_bits), shift, z))
    return ActTable.from_segments(used)


@dataclass(frozen=True)
class QuantParam:
    """real = q · scale + bias for a uint8 q (nncase's (scale, bias) pair, spec section 1)."""

    scale: float
    bias: float

    @classmethod
    def from_range(cls, lo: float, hi: float, bits: int = 8) -> QuantParam:
        """nncase's s = 255 / (hi − lo), b = round(lo·s), after widening [lo, hi] to include 0
        (so a zero point, the conv pad value, exists)."""
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        if hi == lo:
            hi = lo + 1.0
        s = ((1 << bits) - 1) / (hi - lo)
        b = round(lo * s)
        return cls(1.0 / s, b / s)

    @property
    def zero_point(self) -> int:
        """The q that represents real 0."""
        return int(round(-self.bias / self.scale))

    def quantize(self, x: np.ndarray, bits: int = 8) -> np.ndarray:
        q = np.round((np.asarray(x, dtype=np.float64) - self.bias) / self.scale)
        return np.clip(q, 0, (1 << bits) - 1).astype(np.uint8 if bits == 8 else np.uint16)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, dtype=np.float64) * self.scale + self.bias


def mul_shift(value: float, mul_bits: int, max_shift: int) -> tuple[int, int]:
    """(mul, shift) with mul a signed `mul_bits` integer and mul / 2**shift closest to value,
    using the largest shift <= max_shift that keeps mul in range."""
    limit = (1 << (mul_bits - 1)) - 1
    best = (int(round(value)), 0)
    for shift in range(max_shift + 1):
        mul = int(round(value * (1 << shift)))
        if abs(mul) > limit:
            break
        best = (mul, shift)
    if abs(best[0]) > limit:
        raise ValueError(f"{value} does not fit in {mul_bits} bits")
    return best
