"""Feature maps on the board equal the host's byte for byte: layers 1..16 of the face model,
every channel (SHA-256 per channel computed on the board), and one layer fetched whole."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from host_tests.hil.photos import photo
from maixkpu.board import Board
from maixkpu.board.models import model_from_kfpkg
from maixkpu.board.remote_kpu import RemoteKpu
from maixkpu.board.transfer import push_image

pytestmark = pytest.mark.hil

LAYERS = range(1, 17)


def test_every_channel_of_layers_1_to_16(flashed_board: Board, golden: Any,
                                         hil_kfpkg: Path) -> None:
    host = golden(hil_kfpkg)
    w, h, _ = host.input_size
    kpu = RemoteKpu(flashed_board)
    kpu.load(model_from_kfpkg(hil_kfpkg).address)
    pushed = push_image(flashed_board, photo("astronaut"), w, h)
    layers = [n for n in LAYERS if n < host.model.layer_count]
    assert layers, "the model has too few layers"
    differ = []
    channels = 0
    for layer in layers:
        board_maps = kpu.fmap_hashes(pushed.name, layer, timeout=120)
        host_maps = host.fmap_hashes(pushed.ai, layer)
        assert board_maps["ch"] > 0
        channels += board_maps["ch"]
        if board_maps != host_maps:
            differ.append(layer)
    assert differ == []
    assert channels >= len(layers)


def test_whole_layer_bytes(flashed_board: Board, golden: Any, hil_kfpkg: Path) -> None:
    host = golden(hil_kfpkg)
    w, h, _ = host.input_size
    kpu = RemoteKpu(flashed_board)
    kpu.load(model_from_kfpkg(hil_kfpkg).address)
    pushed = push_image(flashed_board, photo("cameraman"), w, h)
    tensor = kpu.fmap_tensor(pushed.name, 2)
    expected = host.layer_map(pushed.ai, 2)
    assert tensor.shape == expected.shape
    np.testing.assert_array_equal(tensor, expected)
    assert len(np.unique(tensor)) > 1  # a real map, not a blank
