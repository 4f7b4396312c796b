"""Feature-map channel views and mosaics (C core fmap.h through maixkpu.postprocess) against
numpy slicing and tiling written here."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maixkpu.postprocess import KpuError, fmap_channel, fmap_mosaic


def ref_mosaic(t: np.ndarray, first: int, count: int, cols: int, gap: int,
               background: int) -> np.ndarray:
    c, h, w = t.shape
    if cols == 0:
        cols = math.isqrt(count - 1) + 1 if count > 1 else 1
    cols = min(cols, count)
    rows = -(-count // cols)
    img = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap), background,
                  dtype=np.uint8)
    for i in range(count):
        r, q = divmod(i, cols)
        img[r * (h + gap):r * (h + gap) + h, q * (w + gap):q * (w + gap) + w] = t[first + i]
    return img


def test_channel_is_the_raw_plane() -> None:
    t = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    for ch in range(3):
        plane = fmap_channel(t, ch)
        assert plane.shape == (4, 5)
        np.testing.assert_array_equal(plane, t[ch])
    assert np.shares_memory(fmap_channel(t, 1), t)  # a view, no copy


def test_channel_errors() -> None:
    t = np.zeros((2, 3, 3), dtype=np.uint8)
    with pytest.raises(KpuError, match="out of range") as info:
        fmap_channel(t, 2)
    assert info.value.status_name == "KPU_ERR_INDEX"
    with pytest.raises(KpuError):
        fmap_channel(t, -1)
    with pytest.raises(KpuError, match="uint8"):
        fmap_channel(t.astype(np.float32), 0)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 9), st.integers(1, 9), st.data())
def test_mosaic_matches_tiling(c: int, h: int, w: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    t = rng.integers(0, 256, size=(c, h, w), dtype=np.uint8)
    first = data.draw(st.integers(0, c - 1))
    count = data.draw(st.integers(1, c - first))
    cols = data.draw(st.integers(0, 14))
    gap = data.draw(st.integers(0, 3))
    bg = data.draw(st.integers(0, 255))
    got = fmap_mosaic(t, first, count, cols, gap, bg)
    np.testing.assert_array_equal(got, ref_mosaic(t, first, count, cols, gap, bg))


def test_mosaic_default_grid() -> None:
    # 16 maps of 14x14 (the MNIST fmap demo after layer 1): 4 x 4 tiles, 1-pixel gaps
    t = np.full((16, 14, 14), 200, dtype=np.uint8)
    img = fmap_mosaic(t)
    assert img.shape == (4 * 14 + 3, 4 * 14 + 3)
    assert img[14, 0] == 0 and img[0, 14] == 0 and img[13, 13] == 200
    assert fmap_mosaic(np.zeros((10, 4, 4), np.uint8)).shape == (3 * 4 + 2, 4 * 4 + 3)


def test_mosaic_errors() -> None:
    t = np.zeros((4, 2, 2), dtype=np.uint8)
    with pytest.raises(KpuError) as info:
        fmap_mosaic(t, first=2, count=3)
    assert info.value.status_name == "KPU_ERR_INDEX"
    with pytest.raises(KpuError, match="no tile"):
        fmap_mosaic(t, first=0, count=0)
    with pytest.raises(KpuError):
        fmap_mosaic(t, background=256)
