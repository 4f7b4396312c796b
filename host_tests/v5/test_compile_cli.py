"""`maixkpu compile` end to end: ONNX + a folder of calibration images -> kmodel V5 that our
loader accepts, with its netinfo printed; and the errors a user can cause."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from host_tests.v5.nncase_cache import require_nncase
from host_tests.v5.onnx_models import CASE_BY_NAME
from maixkpu import cli, core
from maixkpu.compile import CompileError, CompileOptions, _explain, load_calibration


def _calib_dir(tmp_path: Path, n: int = 3) -> Path:
    folder = tmp_path / "calib"
    folder.mkdir()
    rng = np.random.default_rng(4)
    for i in range(n):  # other sizes than the input: they are resized
        Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_calibration_images_resized_to_planar_input(tmp_path: Path) -> None:
    opts = CompileOptions(input_shape=[1, 3, 16, 24])
    calib = load_calibration(_calib_dir(tmp_path), opts)
    assert calib.shape == (3, 1, 3, 16, 24) and calib.dtype == np.uint8
    img = np.asarray(Image.open(tmp_path / "calib" / "0.png").convert("RGB").resize(
        (24, 16), Image.BILINEAR))
    assert np.array_equal(calib[0, 0], img.transpose(2, 0, 1))


def test_float_calibration_scaled_to_input_range(tmp_path: Path) -> None:
    opts = CompileOptions(input_shape=[1, 3, 8, 8], input_type="float32", input_range=(-1, 1))
    calib = load_calibration(_calib_dir(tmp_path), opts)
    assert calib.dtype == np.float32 and -1.0 <= calib.min() and calib.max() <= 1.0


def test_empty_calibration_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="no calibration images"):
        load_calibration(tmp_path, CompileOptions(input_shape=[1, 3, 8, 8]))


def test_known_nncase_failure_gets_the_workaround() -> None:
    text = _explain("Traceback ...\nDRIVER-ERROR: no emitter for fused_unary (sigmoid)\n")
    assert text.startswith("nncase 1.9 failed: no emitter for fused_unary")
    assert "--strip-final-sigmoid" in text


def test_compile_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_nncase()
    case = CASE_BY_NAME["residual"]
    onnx_path = tmp_path / "residual.onnx"
    onnx_path.write_bytes(case.onnx_bytes())
    out = tmp_path / "out" / "residual.kmodel"
    code = cli.main(["compile", str(onnx_path), "--calib", str(_calib_dir(tmp_path)),
                     "--out", str(out), "--mean", "127.5", "--std", "128"])
    assert code == 0
    printed = capsys.readouterr()
    assert "kmodel V5" in printed.out and "K210_CONV" in printed.out
    assert "from nncase 1.9" in printed.err
    with core.Model.load(out) as m:
        assert m.version == 5 and m.layer_count >= 3
        assert (m.input_info.c, m.input_info.h, m.input_info.w) == (3, 16, 24)


def test_compile_command_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["compile", str(tmp_path / "missing.onnx"), "--calib", str(tmp_path),
                     "--out", str(tmp_path / "x.kmodel")])
    assert code == 2
    assert "no such ONNX file" in capsys.readouterr().err


def test_missing_python310_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from maixkpu.compile import env

    monkeypatch.setenv(env.ENV_VARIABLE, str(tmp_path / "venv"))
    monkeypatch.delenv(env.PYTHON_VARIABLE, raising=False)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert env.find_python310() is None
    with pytest.raises(env.NncaseEnvError, match="needs CPython 3.10"):
        env.ensure_env()
    onnx_path = tmp_path / "m.onnx"
    onnx_path.write_bytes(CASE_BY_NAME["residual"].onnx_bytes())
    code = cli.main(["compile", str(onnx_path), "--calib", str(_calib_dir(tmp_path)),
                     "--out", str(tmp_path / "m.kmodel"), "--input-shape", "1,3,16,24"])
    assert code == 2
    err = capsys.readouterr().err
    assert "needs CPython 3.10" in err and "pyenv install 3.10" in err
    assert not (tmp_path / "m.kmodel").exists()
