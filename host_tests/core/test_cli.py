"""The `maixkpu` CLI: info and run on the real models, friendly errors, sub-command discovery."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from host_tests.conftest import shared_model
from maixkpu.cli import main

IRIS = "nncase010rc5_iris_float.kmodel"
MNIST = "sipeed_mnist_28x28.kmodel"
FACE = "sipeed_facedetect_320x240.kmodel"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def table_rows(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["index", "type"])
    return [line.split() for line in lines[start + 1:] if line.strip()]


def digit_png(tmp_path: Path, size: tuple[int, int] = (28, 28)) -> Path:
    img = np.zeros((size[1], size[0]), dtype=np.uint8)
    img[4:24, 13:16] = 255
    path = tmp_path / "digit.png"
    Image.fromarray(img).save(path)
    return path


def test_info_face_prints_header_and_netinfo_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "info", shared_model(FACE))
    assert code == 0, err
    assert "kmodel V3" in out and "388776 bytes" in out
    assert "320x240x3 uint8" in out and "outputs: 1" in out and "layers: 24" in out
    rows = table_rows(out)
    assert len(rows) == 24
    # index type wi hi wo ho chi cho dw kernel pool para_size
    assert rows[0][:2] == ["0", "K210_CONV"] and rows[0][2:4] == ["320", "240"]
    assert rows[0][6] == "3"
    assert rows[22][4:6] == ["20", "15"] and rows[22][7] == "30"
    assert rows[23][1] == "DEQUANTIZE"


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "info", "--json", shared_model(MNIST))
    assert code == 0
    info = json.loads(out)
    assert info["version"] == 3 and info["layers"] == 11
    assert info["input"] == {"w": 28, "h": 28, "c": 1, "dtype": "uint8", "size": 784}
    names = [layer["type_name"] for layer in info["layer_table"]]
    assert names[:4] == ["K210_CONV", "K210_CONV", "DEQUANTIZE", "TENSORFLOW_FLATTEN"]
    assert names[-1] == "SOFTMAX"


def test_info_on_unsupported_file_is_a_friendly_error(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "v99.kmodel"
    bad.write_bytes(b"KMDL" + struct.pack("<I", 99) + bytes(64))
    code, out, err = run_cli(capsys, "info", bad)
    assert code == 2 and out == ""
    assert "error" in err and "MaixPy code 2002" in err and "Traceback" not in err


def test_info_on_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "info", tmp_path / "nope.kmodel")
    assert code == 2 and "nope.kmodel" in err


def test_run_iris_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", shared_model(IRIS), "--values", "5.1,3.8,1.9,0.4")
    assert code == 0, err
    assert "output 0: shape (3,), float32" in out
    assert "16.0778" in out and "argmax: 0" in out


def test_run_iris_wrong_value_count(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", shared_model(IRIS), "--values", "1,2,3")
    assert code == 2 and "3 numbers" in err and "takes 4" in err


def test_run_uint8_model_values_must_be_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    values = ",".join(["0"] * 783 + ["256"])
    code, _, err = run_cli(capsys, "run", shared_model(MNIST), "--values", values)
    assert code == 2 and "uint8" in err
    code, out, err = run_cli(capsys, "run", shared_model(MNIST), "--values",
                             ",".join(["0"] * 783 + ["255"]))
    assert code == 0 and "output 0: shape (10,)" in out


def test_run_mnist_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "run", shared_model(MNIST), digit_png(tmp_path))
    assert code == 0, err
    assert "output 0: shape (10,), float32" in out and "argmax:" in out


def test_run_mnist_layer_shows_feature_maps(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "run", shared_model(MNIST), digit_png(tmp_path),
                             "--layer", "0")
    assert code == 0, err
    assert "layer 0 output: shape (16, 14, 14), uint8" in out


def test_run_raw_bin_equals_the_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = digit_png(tmp_path)
    raw = tmp_path / "digit.bin"
    raw.write_bytes(np.asarray(Image.open(png).convert("L")).tobytes())
    _, from_png, _ = run_cli(capsys, "run", "--raw", shared_model(MNIST), png)
    code, from_bin, err = run_cli(capsys, "run", "--raw", shared_model(MNIST), raw)
    assert code == 0, err
    assert from_bin == from_png and from_bin.count(",") >= 9  # --raw prints all ten values


def test_run_image_of_the_wrong_size(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "run", shared_model(MNIST), digit_png(tmp_path, (32, 30)))
    assert code == 2
    assert "32x30" in err and "28x28" in err and "Traceback" not in err


def test_run_raw_file_of_the_wrong_size(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    raw = tmp_path / "x.bin"
    raw.write_bytes(bytes(100))
    code, _, err = run_cli(capsys, "run", shared_model(MNIST), raw)
    assert code == 2 and "100 bytes" in err and "784" in err


def test_run_image_on_float_model_is_refused(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "run", shared_model(IRIS), digit_png(tmp_path))
    assert code == 2 and "float32" in err


def test_no_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys)
    assert code == 2 and "usage: maixkpu" in err


def test_module_entry_point_lists_the_commands() -> None:
    proc = subprocess.run([sys.executable, "-m", "maixkpu", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    assert "info" in proc.stdout and "run" in proc.stdout


def test_commands_are_discovered_and_a_broken_one_is_reported(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from maixkpu import commands

    (tmp_path / "hello.py").write_text(
        "def register(sub):\n"
        "    p = sub.add_parser('hello')\n"
        "    p.add_argument('--n', type=int, default=1)\n"
        "    p.set_defaults(func=lambda args: print('hi' * args.n) or 7)\n")
    (tmp_path / "broken.py").write_text("import no_such_module_here\n")
    monkeypatch.setattr(commands, "__path__", [str(tmp_path)])
    for name in ("hello", "broken"):
        monkeypatch.delitem(sys.modules, f"maixkpu.commands.{name}", raising=False)
    code, out, err = run_cli(capsys, "hello", "--n", "2")
    assert code == 7 and out == "hihi\n"
    assert "broken" in err and "no_such_module_here" in err
    sys.modules.pop("maixkpu.commands.hello", None)
