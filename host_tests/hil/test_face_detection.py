"""Face detection on the board equals the host golden exactly (same C core, same input bytes):
photos pushed as a BMP + image.Image + pix_to_ai, as planar bytes, and as camera frames."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from host_tests.hil.conftest import FACE_KFPKG
from host_tests.hil.photos import FACE_PHOTOS, OTHER_PHOTOS, photo
from maixkpu.board import Board, start_virtual_board
from maixkpu.board.models import DetectorConfig, model_from_kfpkg, sidecar_config
from maixkpu.board.remote_kpu import RemoteKpu
from maixkpu.board.transfer import fit_image, planar, push_image

pytestmark = pytest.mark.hil


@pytest.fixture
def face_kpu(flashed_board: Board, hil_kfpkg: Path) -> tuple[RemoteKpu, DetectorConfig]:
    model = model_from_kfpkg(hil_kfpkg)
    config = sidecar_config(hil_kfpkg)
    kpu = RemoteKpu(flashed_board)
    kpu.load(model.address)
    kpu.init_yolo2(config)
    return kpu, config


def _is_face_model(kfpkg: Path) -> bool:
    return kfpkg.name == FACE_KFPKG


@pytest.mark.parametrize("name", sorted(FACE_PHOTOS) + sorted(OTHER_PHOTOS))
def test_boxes_equal_host_golden(face_kpu: tuple[RemoteKpu, DetectorConfig], golden: Any,
                                 hil_kfpkg: Path, name: str) -> None:
    kpu, config = face_kpu
    pushed = push_image(kpu.board, photo(name), config.width, config.height)
    found = kpu.detect(pushed.name)
    assert found == golden(hil_kfpkg).detect(pushed.ai, config)
    if _is_face_model(hil_kfpkg):
        if name in FACE_PHOTOS:
            assert len(found) == 1, found
            x, y, w, h, classid, value = found[0]
            assert classid == 0 and value >= config.threshold and w > 0 and h > 0
        else:
            assert found == []


@pytest.mark.parametrize("method", ["file", "buffer"])
def test_both_input_paths_match_host(face_kpu: tuple[RemoteKpu, DetectorConfig], golden: Any,
                                     hil_kfpkg: Path, method: str) -> None:
    kpu, config = face_kpu
    if method == "file" and not (kpu.board.has_module("image") and kpu.board.has_filesystem()):
        pytest.skip("the board has no image module or no /flash")
    pushed = push_image(kpu.board, photo("astronaut"), config.width, config.height,
                        method=method)
    assert pushed.method == method
    assert kpu.detect(pushed.name) == golden(hil_kfpkg).detect(pushed.ai, config)


def test_file_path_goes_through_rgb565(face_kpu: tuple[RemoteKpu, DetectorConfig]) -> None:
    """The two input paths really differ (pix_to_ai quantises to RGB565 first), so equality
    with the golden above checks two different inputs."""
    kpu, config = face_kpu
    if not kpu.board.has_module("image"):
        pytest.skip("the board has no image module")
    rgb = fit_image(photo("astronaut"), config.width, config.height)
    as_file = push_image(kpu.board, rgb, config.width, config.height, method="file")
    assert as_file.ai != planar(rgb)
    diff = np.abs(np.frombuffer(as_file.ai, np.uint8).astype(int)
                  - np.frombuffer(planar(rgb), np.uint8).astype(int))
    assert diff.max() <= 8  # 5/6-bit channels expanded back to 8 bits


@pytest.fixture
def camera_board(request: pytest.FixtureRequest, tmp_path: Path, hil_kfpkg: Path
                 ) -> Iterator[tuple[Board, Path]]:
    if request.config.getoption("maixkpu_ports") or request.config.getoption(
            "maixkpu_ports_file"):
        pytest.skip("camera frames from files need the virtual board")
    frames = tmp_path / "camera"
    frames.mkdir()
    url, vboard = start_virtual_board(kfpkgs=[hil_kfpkg], camera_dir=frames)
    try:
        with Board(url, board="maix_go") as board:
            yield board, frames
    finally:
        vboard.stop()


@pytest.mark.parametrize("name", ["astronaut", "cameraman", "coffee"])
def test_camera_frame_detection(camera_board: tuple[Board, Path], golden: Any, hil_kfpkg: Path,
                                name: str) -> None:
    board, frames = camera_board
    config = sidecar_config(hil_kfpkg)
    rgb = fit_image(photo(name), config.width, config.height)
    rgb.save(frames / f"{name}.png")  # lossless, already QVGA: the frame is these pixels
    kpu = RemoteKpu(board)
    kpu.load(model_from_kfpkg(hil_kfpkg).address)
    kpu.init_yolo2(config)
    board.exec("import sensor\nsensor.reset()\nsensor.set_pixformat(sensor.RGB565)\n"
               "sensor.set_framesize(sensor.QVGA)\nimg = sensor.snapshot()")
    found = kpu.detect("img")
    assert found == golden(hil_kfpkg).detect(planar(rgb), config)
    assert len(found) == (1 if name in FACE_PHOTOS else 0)
