"""Validates the NumPy KPU reference on its own: the nncase v0.1 VOC YOLOv2 model on the dog
picture must give the per-layer hashes and byte sums of spec section 12."""
from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
from PIL import Image

from host_tests.conftest import shared_model
from host_tests.reference import kpu_ref

VOC = "nncase010rc5_yolo2_voc20_320x240_chwise.kmodel"
DOG = "nncase_dog_320x240.bmp"

# Spec section 12: (SHA-256 prefix, byte sum) of each K210_CONV layer's compact CHW output.
EXPECTED = [
    ("439ad81a11ba9e31", 6885714), ("9d76d98c5e0175ea", 8966794),
    ("9a171b217b4b5767", 3198476), ("d970316544959733", 5475878),
    ("78b99eb04414271b", 1511278), ("f93ce3bf7ad7a86a", 3377203),
    ("f7a55bd19c66e2d5", 1056577), ("fe7012ee39627dbb", 2072904),
    ("60efd1d8c00cdff0", 808234), ("2f2be2b527679571", 486044),
    ("b4d5f02fe5af3085", 1235830), ("a18a43ace9c400f9", 893007),
    ("ba945d0057903db5", 2103143), ("835ff6c694671f86", 1857080),
    ("3aedd14d6701bf21", 1306065), ("577b00de49f6e588", 930729),
]
FINAL_F32_PREFIX = "4289176bccbde4bc"
FIRST_FIVE = [-0.05395067, 0.08092606, -0.05395067, 0.12138915, -0.0134877]


def _layers(data: bytes) -> list[tuple[int, int]]:
    """(type, body offset) of every layer, read straight from the V3 header (spec 2.1-2.4)."""
    n_layers, n_out = struct.unpack_from("<I", data, 12)[0], struct.unpack_from("<I", data, 24)[0]
    offset = 28 + 8 * n_out + 8 * n_layers
    out = []
    for i in range(n_layers):
        layer_type, size = struct.unpack_from("<II", data, 28 + 8 * n_out + 8 * i)
        out.append((layer_type, offset))
        offset += size
    return out


def _conv_parts(data: bytes, body: int) -> tuple[bytes, bytes, bytes, bytes]:
    _, _, arg, w, bn, act = struct.unpack_from("<6I", data, body)
    return data[arg : arg + 96], data[w:bn], data[bn:act], data[act : act + 144]


def _digest(out: np.ndarray) -> tuple[str, int]:
    return hashlib.sha256(out.tobytes()).hexdigest()[:16], int(out.sum(dtype=np.int64))


def _dog_planar() -> np.ndarray:
    rgb = np.asarray(Image.open(shared_model(DOG)).convert("RGB"))
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))  # R, G, B planes


@pytest.fixture(scope="module")
def voc_run() -> tuple[bytes, list[np.ndarray]]:
    data = shared_model(VOC).read_bytes()
    ram = kpu_ref.new_ram()
    layers = _layers(data)
    first = kpu_ref.decode_arg(_conv_parts(data, layers[0][1])[0])
    kpu_ref.write_map(ram, first["image_src_addr"], _dog_planar())
    outputs = []
    for layer_type, body in layers:
        if layer_type == 10240:
            outputs.append(kpu_ref.run_layer(ram, *_conv_parts(data, body)))
    return data, outputs


def test_every_conv_layer_matches_the_spec_hashes(voc_run: tuple[bytes, list[np.ndarray]]) -> None:
    _, outputs = voc_run
    assert [_digest(o) for o in outputs] == EXPECTED


def test_channelwise_dequantized_output_matches(voc_run: tuple[bytes, list[np.ndarray]]) -> None:
    data, outputs = voc_run
    layer_type, body = _layers(data)[16]
    assert layer_type == 24
    channels, size = struct.unpack_from("<II", data, body + 12)
    params = np.frombuffer(data, "<f4", 2 * channels, body + 20).reshape(channels, 2)
    q = outputs[15].reshape(channels, size).astype(np.float32)
    y = q * params[:, :1] + params[:, 1:]  # two f32 roundings, no fused multiply-add
    assert hashlib.sha256(y.astype("<f4").tobytes()).hexdigest()[:16] == FINAL_F32_PREFIX
    np.testing.assert_allclose(y.reshape(-1)[:5], FIRST_FIVE, rtol=0, atol=5e-8)


def test_v01_rounding_changes_layer_0_as_the_spec_says() -> None:
    data = shared_model(VOC).read_bytes()
    arg, w, bn, act = _conv_parts(data, _layers(data)[0][1])
    out = kpu_ref.compute_layer(_dog_planar(), arg, w, bn, act, rounding="v01")
    assert _digest(out) == ("f226cd706e5898b9", 6885836)


def test_run_layer_leaves_other_ram_bytes_alone() -> None:
    data = shared_model(VOC).read_bytes()
    arg, w, bn, act = _conv_parts(data, _layers(data)[0][1])
    a = kpu_ref.decode_arg(arg)
    ram = np.random.default_rng(1).integers(0, 256, kpu_ref.RAM_BYTES, dtype=np.uint8)
    kpu_ref.write_map(ram, a["image_src_addr"], _dog_planar())
    before = ram.copy()
    out = kpu_ref.run_layer(ram, arg, w, bn, act)
    written = kpu_ref.map_addresses(a["image_dst_addr"], 160, 120, 16).reshape(-1)
    changed = np.flatnonzero(ram != before)
    assert set(changed.tolist()) <= set(written.tolist())
    assert np.array_equal(ram[written], out.reshape(-1))
