"""MicroPython-side scripts in host_tests/device: each X.py with an X.py.exp is run on the board
unchanged and its output must equal the .exp (MicroPython's own test style). Scripts without an
.exp are helper modules, copied to /flash first. The scripts need the face model at 0x300000.

The same .exp holds on a build without the `image` module (inputs are planar buffers there):
checked on a virtual board with `image` removed. The fmap .exp lines are also recomputed on the
host, so the expected text does not come from a board alone.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from host_tests.hil.conftest import FACE_KFPKG
from maixkpu.board import Board, start_virtual_board
from maixkpu.board.transfer import put_file

pytestmark = pytest.mark.hil

DEVICE = Path(__file__).resolve().parent.parent / "device"
SCRIPTS = sorted(p for p in DEVICE.glob("*.py") if p.with_name(p.name + ".exp").is_file())
HELPERS = sorted(p for p in DEVICE.glob("*.py") if p not in SCRIPTS)
FMAP_SCRIPT = DEVICE / "kpu_face_fmap.py"


def run_script(board: Board, script: Path) -> str:
    if not board.has_filesystem():
        pytest.skip("the board has no /flash for the helper modules")
    for helper in HELPERS:
        put_file(board, f"/flash/{helper.name}", helper.read_bytes())
    board.soft_reset()  # fresh VM: helpers are imported anew
    return board.exec(script.read_text(encoding="utf-8"), timeout=300)


def expected(script: Path) -> str:
    return script.with_name(script.name + ".exp").read_text(encoding="utf-8")


def test_scripts_found() -> None:
    assert FMAP_SCRIPT in SCRIPTS and len(SCRIPTS) >= 3 and HELPERS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_output_matches_exp(flashed_board: Board, hil_kfpkg: Path, script: Path) -> None:
    if hil_kfpkg.name != FACE_KFPKG:
        pytest.skip("the device scripts expect the face model at 0x300000")
    assert run_script(flashed_board, script) == expected(script)


@pytest.fixture(scope="module")
def board_without_image(request: pytest.FixtureRequest, hil_kfpkg: Path) -> Iterator[Board]:
    if request.config.getoption("maixkpu_ports"):
        pytest.skip("a firmware without `image` is only simulated on the virtual board")
    url, vboard = start_virtual_board(kfpkgs=[hil_kfpkg], modules={"image": None})
    try:
        with Board(url, board="maix_go") as board:
            yield board
    finally:
        vboard.stop()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_without_image_module(board_without_image: Board, hil_kfpkg: Path,
                                     script: Path) -> None:
    if hil_kfpkg.name != FACE_KFPKG:
        pytest.skip("the device scripts expect the face model at 0x300000")
    assert not board_without_image.has_module("image")
    assert run_script(board_without_image, script) == expected(script)


def _synthetic_input() -> bytes:
    """kpu_input.make_input()'s planar bytes, built here independently."""
    namespace: dict[str, Any] = {}
    exec(compile((DEVICE / "kpu_input.py").read_text(), "kpu_input.py", "exec"), namespace)
    planes = np.zeros((3, namespace["H"], namespace["W"]), np.uint8)
    for x, y, w, h, colour in namespace["BLOCKS"]:
        for p in range(3):
            planes[p, y:y + h, x:x + w] = colour[p]
    return planes.tobytes()


def test_fmap_exp_matches_host(golden: Any, hil_kfpkg: Path) -> None:
    if hil_kfpkg.name != FACE_KFPKG:
        pytest.skip("the device scripts expect the face model")
    host = golden(hil_kfpkg)
    ai = _synthetic_input()
    lines = [line.split() for line in expected(FMAP_SCRIPT).splitlines()
             if line.startswith("layer ")]
    assert len(lines) >= 5
    for _, layer, w, h, ch, digest in lines:
        tensor = host.layer_map(ai, int(layer))
        assert tensor.shape == (int(ch), int(h), int(w)) and tensor.dtype == np.uint8
        assert hashlib.sha256(tensor.tobytes()).hexdigest()[:16] == digest
