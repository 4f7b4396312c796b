"""The portable core on the target ISA: the bare-metal RV64 program (firmware/qemu-test) runs the
VOC per-layer vectors and the iris golden vector of the spec under qemu-system-riscv64."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from host_tests.conftest import shared_model
from host_tests.firmware import qemu_job

# kmodel-v3-and-kpu.md section 12: layer, SHA-256 prefix of the compact CHW output, byte sum
VOC_LAYERS = [
    (0, "439ad81a11ba9e31", 6885714), (1, "9d76d98c5e0175ea", 8966794),
    (2, "9a171b217b4b5767", 3198476), (3, "d970316544959733", 5475878),
    (4, "78b99eb04414271b", 1511278), (5, "f93ce3bf7ad7a86a", 3377203),
    (6, "f7a55bd19c66e2d5", 1056577), (7, "fe7012ee39627dbb", 2072904),
    (8, "60efd1d8c00cdff0", 808234), (9, "2f2be2b527679571", 486044),
    (10, "b4d5f02fe5af3085", 1235830), (11, "a18a43ace9c400f9", 893007),
    (12, "ba945d0057903db5", 2103143), (13, "835ff6c694671f86", 1857080),
    (14, "3aedd14d6701bf21", 1306065), (15, "577b00de49f6e588", 930729),
]
VOC_FINAL = "4289176bccbde4bc"
IRIS_IN = [5.1, 3.8, 1.9, 0.4]
IRIS_OUT = [16.077795, 5.607656, -2.071745]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def elf() -> Path:
    reason = qemu_job.missing_tools()
    if reason:
        pytest.skip(reason)
    return qemu_job.build_elf()


def planar_rgb(path: Path) -> bytes:
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes()


def test_iris_golden_vector_on_rv64(elf: Path, tmp_path: Path) -> None:
    model = shared_model("nncase010rc5_iris_float.kmodel").read_bytes()
    inp = np.asarray(IRIS_IN, dtype="<f4").tobytes()
    res = qemu_job.run_job(qemu_job.float_job("iris", model, inp, IRIS_OUT, 1e-5), tmp_path)
    assert res.failed == [], res.output
    assert len(res.passed) == 1 + len(IRIS_OUT), res.output
    assert res.returncode == 0, res.output


def test_voc_per_layer_vectors_on_rv64(elf: Path, tmp_path: Path) -> None:
    model = shared_model("nncase010rc5_yolo2_voc20_320x240_chwise.kmodel").read_bytes()
    inp = planar_rgb(shared_model("nncase_dog_320x240.bmp"))
    hashes = [*VOC_LAYERS, (qemu_job.FINAL_OUTPUT, VOC_FINAL, 0)]
    res = qemu_job.run_job(qemu_job.hash_job("voc", model, inp, hashes), tmp_path)
    assert res.failed == [], res.output
    assert len(res.passed) == 1 + len(hashes), res.output
    assert res.returncode == 0, res.output
