"""Models with more than 255 layers through KPU (issue 3; spec maixpy-kpu-api.md 4.12: MaixPy's
netinfo loop counter is 8-bit and never ends): netinfo lists every layer, set_layers and forward
reach layers past 255, and the result equals the same chain computed by a shorter model."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from maixkpu.kmodel import BatchNorm, KpuConv, ModelBuilder
from maixkpu.maixpy import image
from maixkpu.maixpy import kpu as KPU

W, H, C = 8, 8, 3


def _chain(path: Path, n: int) -> Path:
    """n 1x1 convolutions, each moving channel c to channel (c + 1) % C unchanged (weight 1,
    batch-norm x1024 against the linear table's / 1024): layer L holds the input rotated L + 1
    times."""
    rotate = np.zeros((C, C), np.uint8)
    rotate[(np.arange(C) + 1) % C, np.arange(C)] = 1
    bn = BatchNorm(np.full(C, 1024), np.zeros(C), np.zeros(C))
    b = ModelBuilder()
    x = b.kpu_input(W, H, C)
    for i in range(n):
        x = b.conv(KpuConv(W, H, C, C, rotate, kernel=1, bn=bn, main_out=i == n - 1), x)
    b.output(x.main)
    path.write_bytes(b.build())
    return path


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


@pytest.fixture(scope="module")
def long_model(tmp_path_factory) -> Path:
    return _chain(tmp_path_factory.mktemp("many") / "chain300.kmodel", 300)


def _input() -> image.Image:
    img = image.Image(size=(W, H))
    for y in range(H):
        for x in range(W):
            img.set_pixel(x, y, ((x * 29 + y * 7) % 256, (x * 3 + y * 41) % 256, (x + y) % 256))
    img.pix_to_ai()
    return img


def _planes(img: image.Image, shift: int) -> bytes:
    """The AI planes of img rotated shift times (plane c moved to (c + shift) % C)."""
    assert img.pix_ai is not None
    planes = img.pix_ai[:C * H * W].reshape(C, H * W)
    return np.roll(planes, shift % C, axis=0).tobytes()


def test_netinfo_lists_all_300_layers(long_model: Path) -> None:
    net = _quiet(KPU.load, str(long_model))
    rows = _quiet(KPU.netinfo, net)
    assert [r.index() for r in rows] == list(range(300))
    assert all((r.wo(), r.ho(), r.cho(), r.kernel_type()) == (W, H, C, 0) for r in rows)
    KPU.deinit(net)


def test_forward_past_layer_255_matches_a_shorter_chain(long_model: Path, tmp_path: Path) -> None:
    img = _input()
    net = _quiet(KPU.load, str(long_model))
    short = _quiet(KPU.load, str(_chain(tmp_path / "chain270.kmodel", 270)))
    deep_map = KPU.forward(net, img, 269)
    assert (deep_map.index(), deep_map.w(), deep_map.h(), deep_map.ch()) == (269, W, H, C)
    deep = bytes(deep_map)
    assert deep == _planes(img, 270) and bytes(KPU.forward(net, img, 13)) == _planes(img, 14)
    ref_map = KPU.forward(short, img, 269)
    assert ref_map.index() == 269 and bytes(ref_map) == deep and len(deep) == W * H * C
    assert KPU.set_layers(net, 280) is True
    fm = KPU.forward(net, img)
    assert fm.index() == 279 and len(KPU.fmap(fm, 2).to_bytes()) == W * H
    KPU.deinit(net)
    KPU.deinit(short)
