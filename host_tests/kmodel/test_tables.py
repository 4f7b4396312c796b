"""Batch-norm and activation table encodings (spec 3.2, 3.3) and the helpers that build them."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from host_tests.reference import kpu_ref
from maixkpu.kmodel import (
    ActSegment,
    ActTable,
    BatchNorm,
    QuantParam,
    leaky_relu_table,
    linear_table,
    mul_shift,
)


def test_batch_norm_entry_bits() -> None:
    bn = BatchNorm([-1, 0x123456, -(1 << 23)], [15, 0, 7], [-1, 0x7FFFFFFF, 5])
    words = struct.unpack("<3Q", bn.encode())
    assert words[0] == 0x0FFFFFFFFFFFFFFF
    assert words[1] == 0x123456 | (0x7FFFFFFF << 24)
    assert words[2] == 0x800000 | (5 << 24) | (7 << 56)
    assert BatchNorm.decode(bn.encode(), 3) == bn


@pytest.mark.parametrize(("mul", "shift", "add"), [(1 << 23, 0, 0), (0, 16, 0), (0, 0, 1 << 31)])
def test_batch_norm_range_checks(mul: int, shift: int, add: int) -> None:
    with pytest.raises(ValueError):
        BatchNorm([mul], [shift], [add]).encode()


def test_activation_table_bits() -> None:
    segs = [ActSegment(-(1 << 35), 0, 0, 0), ActSegment(-1, -1, 43, 255)]
    segs += [ActSegment(i, i, i, i) for i in range(14)]
    data = ActTable(segs).encode()
    assert len(data) == 144
    words = struct.unpack("<18Q", data)
    assert words[0] == 0x800000000 << 24
    assert words[1] == 43 | (0xFFFF << 8) | (0xFFFFFFFFF << 24)
    assert words[5] == 3 | (3 << 8) | (3 << 24)
    assert data[128:] == bytes([0, 255] + list(range(14)))
    assert ActTable.decode(data) == ActTable(segs)


def test_linear_table_matches_the_nncase_shape() -> None:
    t = linear_table()
    assert t.segments[0] == ActSegment(-(1 << 35), 0, 0, 0)
    assert t.segments[1] == ActSegment(0, 1024, 20, 0)
    assert [s.x_start for s in t.segments[2:]] == [(1 << 35) - 16 + i for i in range(14)]


def test_leaky_table_evaluated_by_the_reference() -> None:
    """B = (x·s + z)·1024; the table must give z + x·s (x > 0) and z + 0.1·x·s (x < 0)."""
    z, slope = 40, 0.1
    table = leaky_relu_table(z, slope)
    xq = np.arange(-400, 216, dtype=np.int64)  # x·s in output units
    b = (xq + z) * 1024 + 300  # a fraction above each integer
    got = kpu_ref.activation(b, table.encode()).astype(np.int64)
    want = np.clip(np.where(xq > 0, z + xq, np.floor(z + slope * xq)), 0, 255)
    assert np.abs(got - want).max() <= 1
    assert got[xq == 100][0] == 140 and got[xq == -400][0] == 0


def test_quant_param_from_range() -> None:
    q = QuantParam.from_range(-1.0, 3.0)
    s = 255 / 4
    assert q.scale == pytest.approx(1 / s) and q.bias == pytest.approx(round(-s) / s)
    assert q.zero_point == 64
    assert q.quantize(np.array([-1.0, 0.0, 3.0, 99.0])).tolist() == [0, 64, 255, 255]


@pytest.mark.parametrize(("value", "bits", "max_shift", "want"), [
    (0.5, 24, 15, (16384, 15)),
    (3.0, 8, 10, (96, 5)),
    (-1.25, 16, 4, (-20, 4)),
    (1000.0, 24, 15, (1000 * 8192, 13)),
])
def test_mul_shift(value: float, bits: int, max_shift: int, want: tuple[int, int]) -> None:
    assert mul_shift(value, bits, max_shift) == want
