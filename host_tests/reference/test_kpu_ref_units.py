"""Hand-worked checks of the KPU reference's building blocks against the spec's own examples."""
from __future__ import annotations

import numpy as np
import pytest

from host_tests.reference import kpu_ref


@pytest.mark.parametrize(
    ("v", "s", "cs", "rne"),
    [
        (-1, 1, -2, -2),  # spec 4.7: both mishandle negative values the same way here
        (-5, 2, -3, -3),
        (5, 1, 3, 2),  # 2.5: half up vs half to even
        (7, 1, 4, 4),  # 3.5
        (6, 2, 2, 2),  # 1.5
        (10, 2, 3, 2),  # 2.5
        (11, 2, 3, 3),  # 2.75
        (9, 2, 2, 2),  # 2.25
        (123, 0, 123, 123),
        (-123, 0, -123, -123),
        (-6, 2, -3, -2),  # CS: t = -3 odd -> -3; RNE_buggy: I = -2, F = h, I even -> -2
    ],
)
def test_rounding_shifts(v: int, s: int, cs: int, rne: int) -> None:
    arr = np.array([v], np.int64)
    assert kpu_ref.carry_shift(arr, np.array([s]))[0] == cs
    assert kpu_ref.rne_buggy(arr, np.array([s]))[0] == rne


def test_rne_buggy_wide_shift() -> None:
    v = np.array([5 << 42, 7 << 42, (1 << 42) + 1], np.int64)  # 2.5, 3.5, just over 0.5
    assert kpu_ref.rne_buggy(v, np.array([43, 43, 43])).tolist() == [2, 4, 1]


def test_layout_addresses_follow_section_5() -> None:
    # W <= 16: 4 channels per line group, 16 bytes apart.
    a = kpu_ref.map_addresses(10, 5, 3, 6)
    assert a[0, 0, 0] == 640 and a[1, 0, 0] == 656 and a[3, 2, 4] == 640 + 48 + 128 + 4
    assert a[4, 0, 0] == 640 + 3 * 64  # next group after row_len·H = 3 lines
    # 16 < W <= 32: 2 channels per group, 32 bytes apart.
    b = kpu_ref.map_addresses(0, 17, 2, 3)
    assert (b[1, 0, 0], b[2, 0, 0], b[2, 1, 16]) == (32, 128, 128 + 64 + 16)
    # W > 32: one channel per group, ceil(W/64) lines per row. Spec example: yolo layer 0.
    c = kpu_ref.map_addresses(29168, 320, 240, 3)
    assert c[2, 239, 319] == 32768 * 64 - 64 * 5 + 319
    assert c[1, 0, 0] == 29168 * 64 + 1200 * 64
    with pytest.raises(ValueError):
        kpu_ref.map_addresses(29169, 320, 240, 3)


def test_pool_types_on_a_hand_made_map() -> None:
    y = np.array([[[1, 2, 3, 4, 5],
                   [6, 7, 8, 9, 10],
                   [11, 12, 13, 14, 15],
                   [16, 17, 18, 19, 250],
                   [21, 22, 23, 24, 25]]], np.uint8)
    assert kpu_ref.pool(y, 0).tolist() == y.tolist()
    assert kpu_ref.pool(y, 1).tolist() == [[[7, 9], [17, 19]]]  # column 4 is cut off
    assert kpu_ref.pool(y, 2).tolist() == [[[4, 6], [14, 16]]]  # floor(sum / 4)
    assert kpu_ref.pool(y, 3).tolist() == [[[19]]]
    assert kpu_ref.pool(y, 4).tolist() == [[[160 // 16]]]
    assert kpu_ref.pool(y, 5).tolist() == [[[1, 3], [11, 13]]]
    assert kpu_ref.pool(y, 6).tolist() == [[[2, 4], [12, 14]]]
    assert kpu_ref.pool(y, 7).tolist() == [[[1]]]
    p8 = kpu_ref.pool(y, 8)
    assert p8.shape == (1, 5, 5)
    assert p8[0, 0, 0] == (1 + 2 + 6 + 7) // 4
    assert p8[0, 0, 4] == (5 + 5 + 10 + 10) // 4  # last column re-used
    assert p8[0, 4, 4] == 25  # corner: all four taps clamp to it
    p9 = kpu_ref.pool(y, 9)
    assert p9[0, 3, 3] == 250 and p9[0, 4, 4] == 25 and p9[0, 4, 0] == 22


def _act_table(segments: list[tuple[int, int, int, int]]) -> bytes:
    words, adds = [], []
    for xs, mul, sh, add in segments:
        words.append(sh | ((mul & 0xFFFF) << 8) | ((xs & ((1 << 36) - 1)) << 24))
        adds.append(add)
    return np.array(words, "<u8").tobytes() + bytes(adds)


def test_activation_segment_choice_and_rounding() -> None:
    segs = [(-(1 << 35), 0, 0, 0), (0, 1, 1, 10), (100, -2, 1, 200)]
    segs += [((1 << 35) - 16 + i, 0, 0, 0) for i in range(13)]
    act = _act_table(segs)
    b = np.array([-5, 0, 1, 3, 100, 101, 104, 1 << 34], np.int64)
    # v02: B > x_start. B=0 -> segment 0; B=100 -> segment 1: (100·1) rne 1 = 50 -> 60.
    # B=101 -> segment 2: (1·-2) = -2 >> 1 -> -1 -> 199; B=104: -8 -> -4 -> 196.
    assert kpu_ref.activation(b, act).tolist() == [0, 0, 10, 12, 60, 199, 196, 0]
    # v01: B >= x_start. B=0 -> segment 1 (0 -> 10); B=100 -> segment 2 (0 -> 200);
    # B=1: CS 0.5 -> 1.
    assert kpu_ref.activation(b, act, "v01").tolist() == [0, 10, 11, 12, 200, 199, 196, 0]


def test_add_padding_writes_only_the_corner_pixels() -> None:
    ram = np.full(kpu_ref.RAM_BYTES, 0xAA, np.uint8)
    kpu_ref.add_padding(ram, 3, np.arange(1, 7, dtype=np.uint8))
    # Spec 6: byte 64·L + (c div 4)·256 + (c mod 4)·16.
    want = {64 * 3 + (c // 4) * 256 + (c % 4) * 16: c + 1 for c in range(6)}
    changed = np.flatnonzero(ram != 0xAA)
    assert {int(i): int(ram[i]) for i in changed} == want


def test_remove_padding_picks_pixel_zero() -> None:
    compact = np.arange(3 * 16, dtype=np.uint8).reshape(3, 4, 4)
    assert kpu_ref.remove_padding(compact).tolist() == [0, 16, 32]
