"""`make demo` (maixkpu.demo.main) on the virtual board: PNGs written, board == host reported;
and the user-model path (KFPKG + IMAGES)."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from host_tests.conftest import shared_model
from host_tests.hil.conftest import FACE_KFPKG
from host_tests.hil.photos import photo
from maixkpu import demo
from maixkpu.board import start_virtual_board

pytestmark = [pytest.mark.hil, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KFPKG", "IMAGES", "PORT", "BOARD"):
        monkeypatch.delenv(name, raising=False)


def _demo_model_available() -> bool:
    try:
        from maixkpu.demo_assets import demo_model_path
    except ImportError:
        return False
    return demo_model_path().is_file()


def _check_outputs(out: Path, text: str) -> None:
    for name in ("detections.png", "fmap.png"):
        with Image.open(out / name) as png:
            assert png.format == "PNG" and png.width > 0 and png.height > 0
    assert "board == host: every detection and feature map matches" in text
    assert "BOARD != HOST" not in text
    assert "flashed: " in text and "bytes over ISP" in text


def test_default_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not _demo_model_available() and not demo.FACE_KFPKG.is_file():
        pytest.skip("neither the demo detector nor the face kfpkg is available")
    out = tmp_path / "out"
    assert demo.main(["--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    _check_outputs(out, text)
    per_image = [line for line in text.splitlines() if " detection(s): " in line]
    assert len(per_image) >= 3  # the demo pictures: one line each
    assert any(not line.endswith("nothing found") for line in per_image)  # something found


def test_user_kfpkg_and_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    kfpkg = shared_model(FACE_KFPKG)
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    photo("astronaut").save(pictures / "a.jpg", quality=95)
    photo("coffee").save(pictures / "b.png")
    monkeypatch.setenv("KFPKG", str(kfpkg))
    monkeypatch.setenv("IMAGES", str(pictures))
    out = tmp_path / "out"
    assert demo.main(["--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    _check_outputs(out, text)
    assert "a.jpg: 1 detection(s): face" in text
    assert "b.png: 0 detection(s)" in text


def test_missing_kfpkg_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KFPKG", str(tmp_path / "nope.kfpkg"))
    assert demo.main(["--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "nope.kfpkg: no such file" in capsys.readouterr().err


def test_demo_on_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    """PORT= (here a virtual board standing in for a real one): flashed over ISP, pictures
    pushed through the REPL instead of camera frames."""
    kfpkg = shared_model(FACE_KFPKG)
    url, vboard = start_virtual_board()
    try:
        monkeypatch.setenv("PORT", url)
        monkeypatch.setenv("BOARD", "maix_go")
        monkeypatch.setenv("KFPKG", str(kfpkg))
        out = tmp_path / "out"
        assert demo.main(["--out", str(out), "--quiet"]) == 0
    finally:
        vboard.stop()
    text = capsys.readouterr().out
    _check_outputs(out, text)
    assert f"MaixKPU demo on the board on {url}" in text
    assert "astronaut.png: 1 detection(s): face" in text
