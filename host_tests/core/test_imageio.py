"""maixkpu.imageio: image files to planar KPU input, MaixPy's RGB565 expansion tables."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from maixkpu import imageio


def test_expansion_tables_end_points_and_round_trip() -> None:
    # facts: rb528 = round(i*255/31), g628 = round(i*255/63); 8 -> 5/6 bits by truncation
    assert imageio.RB528[[0, 1, 16, 31]].tolist() == [0, 8, 132, 255]
    assert imageio.G628[[0, 1, 32, 63]].tolist() == [0, 4, 130, 255]
    assert ((imageio.RB528 >> 3) == np.arange(32)).all()
    assert ((imageio.G628 >> 2) == np.arange(64)).all()


def test_planar_order_is_r_then_g_then_b(tmp_path: Path) -> None:
    hwc = np.zeros((2, 3, 3), dtype=np.uint8)
    hwc[0, 1] = (10, 20, 30)
    hwc[1, 2] = (200, 100, 50)
    path = tmp_path / "p.png"
    Image.fromarray(hwc).save(path)
    chw = imageio.load_planar(path, 3, 2, 3)
    assert chw.shape == (3, 2, 3) and chw.dtype == np.uint8
    assert chw[:, 0, 1].tolist() == [10, 20, 30] and chw[:, 1, 2].tolist() == [200, 100, 50]
    assert chw.flags.c_contiguous


def test_rgb565_option_quantises_like_a_camera(tmp_path: Path) -> None:
    path = tmp_path / "c.png"
    Image.fromarray(np.full((1, 1, 3), (13, 13, 13), dtype=np.uint8)).save(path)
    # 13 -> R5 1 -> 8; 13 -> G6 3 -> 12
    assert imageio.load_planar(path, 1, 1, 3, rgb565=True)[:, 0, 0].tolist() == [8, 12, 8]


def test_grayscale_plane(tmp_path: Path) -> None:
    path = tmp_path / "g.bmp"
    Image.fromarray(np.array([[0, 128, 255]], dtype=np.uint8)).save(path)
    assert imageio.load_planar(path, 3, 1, 1).tolist() == [[[0, 128, 255]]]


def test_size_mismatch_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "g.png"
    Image.new("RGB", (4, 3)).save(path)
    with pytest.raises(imageio.ImageInputError, match="4x3.*5x3"):
        imageio.load_planar(path, 5, 3, 3)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(imageio.ImageInputError, match="not a readable image"):
        imageio.load_planar(junk, 1, 1, 3)
    with pytest.raises(imageio.ImageInputError, match="2 input channels"):
        imageio.planar(Image.new("RGB", (1, 1)), 2)


def test_raw_files(tmp_path: Path) -> None:
    raw = tmp_path / "x.BIN"
    raw.write_bytes(b"\x01\x02")
    assert imageio.is_raw(raw) and not imageio.is_raw(tmp_path / "x.png")
    assert imageio.load_raw(raw, 2) == b"\x01\x02"
    with pytest.raises(imageio.ImageInputError, match="2 bytes"):
        imageio.load_raw(raw, 3)
