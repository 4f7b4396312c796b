"""The project's own demo detector (tools/maixkpu/data/demo_detector.kmodel) on the board: its
boxes on the demo pictures, every feature map of every layer, and netinfo equal the host's."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from maixkpu.board import Board, start_virtual_board
from maixkpu.board.golden import HostModel
from maixkpu.board.models import DetectorConfig, config_from_mapping
from maixkpu.board.remote_kpu import RemoteKpu
from maixkpu.board.transfer import push_image

pytestmark = pytest.mark.hil

ADDRESS = 0x300000


def _demo_assets() -> Any:
    try:
        from maixkpu import demo_assets
    except ImportError:
        pytest.skip("maixkpu.demo_assets is not there yet")
    if not demo_assets.demo_model_path().is_file():
        pytest.skip("the demo detector tools/maixkpu/data/demo_detector.kmodel is not there yet")
    return demo_assets


@pytest.fixture(scope="module")
def demo_setup(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Board, RemoteKpu, HostModel, DetectorConfig, list[Path]]]:
    assets = _demo_assets()
    from maixkpu.kfpkg import Entry, Kfpkg, write_kfpkg

    work = tmp_path_factory.mktemp("demo")
    model = assets.demo_model_path()
    package = work / "demo.kfpkg"
    write_kfpkg(package, Kfpkg([Entry(ADDRESS, model.name, model.read_bytes(), False)]))
    pictures = [p for p, _ in assets.make_demo_images(work / "pictures", 4)]
    config = config_from_mapping(assets.demo_config())
    host = HostModel(model.read_bytes())
    url, vboard = start_virtual_board(kfpkgs=[package])
    try:
        with Board(url, board="maix_go") as board:
            kpu = RemoteKpu(board)
            kpu.load(ADDRESS)
            kpu.init_yolo2(config)
            yield board, kpu, host, config, pictures
    finally:
        vboard.stop()
        host.close()


def test_boxes_equal_host(demo_setup: Any) -> None:
    board, kpu, host, config, pictures = demo_setup
    total = 0
    for picture in pictures:
        pushed = push_image(board, picture, config.width, config.height)
        found = kpu.detect(pushed.name)
        assert found == host.detect(pushed.ai, config), picture.name
        total += len(found)
    assert total > 0  # the demo pictures hold shapes the model finds


def test_every_layer_feature_maps_equal_host(demo_setup: Any) -> None:
    board, kpu, host, config, pictures = demo_setup
    pushed = push_image(board, pictures[0], config.width, config.height)
    differ = []
    for layer in range(host.model.layer_count):
        if host.model.layer_output_info(layer).dtype.itemsize != 1:
            continue  # float outputs (dequantize) have no byte feature maps
        if kpu.fmap_hashes(pushed.name, layer) != host.fmap_hashes(pushed.ai, layer):
            differ.append(layer)
    assert differ == []


def test_netinfo_equals_host(demo_setup: Any) -> None:
    _, kpu, host, _, _ = demo_setup
    assert kpu.netinfo() == host.netinfo()
