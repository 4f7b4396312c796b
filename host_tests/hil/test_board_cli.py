"""`maixkpu exec / run-script / detect / fmap / check / flash` against virtual boards."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from host_tests.conftest import shared_model
from host_tests.hil.conftest import FACE_KFPKG
from host_tests.hil.photos import photo
from maixkpu.board import start_virtual_board
from maixkpu.board.golden import HostModel
from maixkpu.cli import main

pytestmark = pytest.mark.hil


@pytest.fixture
def face_board() -> Iterator[tuple[str, Path]]:
    """A running virtual board with the face kfpkg in its flash: (url, kfpkg)."""
    kfpkg = shared_model(FACE_KFPKG)
    url, vboard = start_virtual_board(kfpkgs=[kfpkg])
    try:
        yield url, kfpkg
    finally:
        vboard.stop()


def test_exec_and_run_script_without_port(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exec", "print(6 * 7)"]) == 0
    assert capsys.readouterr().out == "42\n"
    script = tmp_path / "s.py"
    script.write_text("for i in range(2):\n    print('line', i)\n")
    assert main(["run-script", str(script)]) == 0
    assert capsys.readouterr().out == "line 0\nline 1\n"
    assert main(["exec", "--file", str(script)]) == 0
    assert capsys.readouterr().out == "line 0\nline 1\n"


def test_exec_failures(face_board: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = face_board
    assert main(["exec", "print('x')\nraise ValueError('bad')", "--port", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == "x\n" and captured.err.strip().endswith("ValueError: bad")
    assert main(["exec", "while True:\n    pass", "--port", url, "--timeout", "1"]) == 1
    assert "did not finish within 1 s" in capsys.readouterr().err
    assert main(["exec", "print('ok')", "--port", url]) == 0  # recovered
    assert capsys.readouterr().out == "ok\n"
    assert main(["exec"]) == 2


def test_detect_draws_boxes_and_prints_them(face_board: tuple[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    url, kfpkg = face_board
    picture = tmp_path / "astronaut.jpg"
    photo("astronaut").save(picture, quality=95)
    out = tmp_path / "boxes.png"
    assert main(["detect", "--port", url, "--kfpkg", str(kfpkg), "--image", str(picture),
                 "--out", str(out), "--board", "maix_go"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("face\t0.9")
    assert "board == host" in captured.err
    with Image.open(out) as drawn, Image.open(picture) as original:
        assert drawn.size == original.size
        changed = np.any(np.asarray(drawn.convert("RGB")) != np.asarray(original.convert("RGB")),
                         axis=2)
        assert changed.sum() > 100  # the box was drawn


def test_detect_threshold_option(face_board: tuple[str, Path], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    url, kfpkg = face_board
    picture = tmp_path / "astronaut.png"
    photo("astronaut").save(picture)
    assert main(["detect", "--port", url, "--kfpkg", str(kfpkg), "--image", str(picture),
                 "--out", str(tmp_path / "o.png"), "--threshold", "0.99"]) == 0
    assert capsys.readouterr().out == ""  # 0.938 is below the threshold


def test_fmap_mosaic_png(face_board: tuple[str, Path], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    url, kfpkg = face_board
    picture = tmp_path / "cameraman.png"
    photo("cameraman").save(picture)
    out = tmp_path / "fmap.png"
    assert main(["fmap", "--port", url, "--kfpkg", str(kfpkg), "--image", str(picture),
                 "--layer", "16", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "layer 16: 256 maps of 20x15; board == host" in text
    with Image.open(out) as mosaic:
        assert mosaic.mode == "L" and mosaic.width > 16 * 20


def test_check_table_and_exit_code(face_board: tuple[str, Path], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    url, kfpkg = face_board
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut", "coffee"):
        photo(name).save(folder / f"{name}.png")
    args = ["check", "--port", url, "--kfpkg", str(kfpkg), "--images", str(folder),
            "--layers", "1,3"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "2/2 image(s) match" in text and "MISMATCH" not in text

    real_detect = HostModel.detect

    def off_by_one(self: HostModel, ai: bytes, config: Any) -> list[list[Any]]:
        return [[x + 1, *rest] for x, *rest in real_detect(self, ai, config)]

    monkeypatch.setattr(HostModel, "detect", off_by_one)  # a host that disagrees
    assert main(args) == 1
    text = capsys.readouterr().out
    assert "MISMATCH" in text and "1/2 image(s) match" in text


def test_flash_without_port_uses_a_virtual_board(capsys: pytest.CaptureFixture[str]) -> None:
    kfpkg = shared_model(FACE_KFPKG)
    assert main(["flash", str(kfpkg), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "flashing a virtual board" in captured.err
    assert "388776 written" in captured.err and "verified" in captured.err


def test_detect_flashes_first_with_flash_option(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    kfpkg = shared_model(FACE_KFPKG)
    url, vboard = start_virtual_board()  # firmware only: no model at 0x300000 yet
    try:
        picture = tmp_path / "astronaut.png"
        photo("astronaut").save(picture)
        args = ["detect", "--port", url, "--board", "maix_go", "--kfpkg", str(kfpkg),
                "--image", str(picture), "--out", str(tmp_path / "o.png")]
        assert main(args) == 1  # nothing flashed: the board's kpu.load fails
        assert "load error:2002" in capsys.readouterr().err
        assert main([*args, "--flash"]) == 0
        captured = capsys.readouterr()
        assert "388776 written" in captured.err and captured.out.startswith("face\t")
    finally:
        vboard.stop()
