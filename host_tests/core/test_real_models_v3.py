"""Whole real V3 models on the software KPU through the raw binding: the VOC YOLO model with
the nncase dog picture against the per-layer hashes of spec section 12, the MNIST feature maps
MaixPy's fmap demo shows, and the face model (little- and big-endian files) output."""
from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from host_tests.conftest import shared_model
from host_tests.core import v3_files as v3
from maixkpu._core import ffi, lib

# spec section 12: (SHA-256 prefix, byte sum) of each K210_CONV layer's compact CHW output
VOC_LAYERS = [
    ("439ad81a11ba9e31", 6885714), ("9d76d98c5e0175ea", 8966794),
    ("9a171b217b4b5767", 3198476), ("d970316544959733", 5475878),
    ("78b99eb04414271b", 1511278), ("f93ce3bf7ad7a86a", 3377203),
    ("f7a55bd19c66e2d5", 1056577), ("fe7012ee39627dbb", 2072904),
    ("60efd1d8c00cdff0", 808234), ("2f2be2b527679571", 486044),
    ("b4d5f02fe5af3085", 1235830), ("a18a43ace9c400f9", 893007),
    ("ba945d0057903db5", 2103143), ("835ff6c694671f86", 1857080),
    ("3aedd14d6701bf21", 1306065), ("577b00de49f6e588", 930729),
]
VOC_SHAPES = [(16, 120, 160), (16, 120, 160), (32, 60, 80), (32, 60, 80), (64, 30, 40),
              (64, 30, 40), (128, 15, 20), (128, 15, 20), (256, 7, 10), (256, 7, 10),
              (512, 7, 10), (512, 7, 10), (1024, 7, 10), (1024, 7, 10), (512, 7, 10),
              (125, 7, 10)]


@pytest.fixture
def soft() -> Iterator[Any]:
    if not hasattr(lib, "kpu_soft_create"):
        pytest.skip("the software KPU backend (kpu_soft) is not built yet")
    alloc = v3.Counting()
    ps = ffi.new("kpu_soft_t**")
    assert lib.kpu_soft_create(ps, alloc.alloc, lib.KPU_ROUND_V02) == lib.KPU_OK
    backend = ffi.new("kpu_backend_t*", lib.kpu_soft_backend(ps[0]))
    yield backend
    lib.kpu_soft_destroy(ps[0])
    assert alloc.in_use == 0


def dog_planar_rgb() -> bytes:
    """The 24-bit bottom-up BGR BMP as planar R, G, B planes of 240 rows x 320."""
    img = Image.open(shared_model("nncase_dog_320x240.bmp")).convert("RGB")
    assert img.size == (320, 240)
    return np.ascontiguousarray(np.asarray(img).transpose(2, 0, 1)).tobytes()


def run(model: Any, backend: Any, inp: bytes, last: int = -1) -> None:
    d = ffi.new("kpu_diag_t*")
    assert lib.kpu_model_run(model, backend, inp, len(inp), last, d) == lib.KPU_OK, v3.text(d)


def layer_output(model: Any, backend: Any, layer: int, channel: int = -1) -> tuple[bytes, Any]:
    info = ffi.new("kpu_tensor_info_t*")
    d = ffi.new("kpu_diag_t*")
    assert lib.kpu_model_layer_output_info(model, layer, info, d) == lib.KPU_OK
    buf = ffi.new("uint8_t[]", info.size)
    n = ffi.new("size_t*")
    st = lib.kpu_model_read_layer_output(model, backend, layer, channel, buf, info.size, n, d)
    assert st == lib.KPU_OK, v3.text(d)
    return bytes(ffi.buffer(buf, n[0])), info


def output(model: Any, i: int = 0) -> tuple[bytes, int]:
    p, n, dt = ffi.new("uint8_t**"), ffi.new("size_t*"), ffi.new("kpu_dtype_t*")
    assert lib.kpu_model_output(model, i, p, n, dt, ffi.NULL) == lib.KPU_OK
    return bytes(ffi.buffer(p[0], n[0])), int(dt[0])


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:16]


def test_voc_per_layer_hashes_and_final_output(soft: Any) -> None:
    st, diag, m = v3.load(shared_model("nncase010rc5_yolo2_voc20_320x240_chwise.kmodel")
                          .read_bytes())
    assert st == "KPU_OK", v3.text(diag)
    inp = dog_planar_rgb()
    for layer, (prefix, total) in enumerate(VOC_LAYERS):
        run(m, soft, inp, layer)
        data, info = layer_output(m, soft, layer)
        assert (info.c, info.h, info.w) == VOC_SHAPES[layer]
        assert (sha(data), sum(data)) == (prefix, total), layer
        c0, _ = layer_output(m, soft, layer, 0)
        assert c0 == data[:info.w * info.h]
    run(m, soft, inp)
    out, dtype = output(m)
    assert len(out) == 35000 and dtype == lib.KPU_DTYPE_FLOAT32
    assert sha(out) == "4289176bccbde4bc"
    np.testing.assert_allclose(np.frombuffer(out, "<f4")[:5],
                               [-0.05395067, 0.08092606, -0.05395067, 0.12138915, -0.0134877],
                               rtol=1e-6)
    # layer 15 streamed to main memory 0..8752, which layer 16 only reads: still readable
    data, _ = layer_output(m, soft, 15)
    assert sha(data) == VOC_LAYERS[15][0]
    v3.free(m)


def test_mnist_feature_maps(soft: Any) -> None:
    st, diag, m = v3.load(shared_model("sipeed_mnist_28x28.kmodel").read_bytes())
    assert st == "KPU_OK", v3.text(diag)
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255  # a "1"
    inp = digit.tobytes()
    # MaixPy's set_layers(n) computes layers 0..n-1: maps after "layer" 1, 2 and 8
    for n, shape in [(1, (16, 14, 14)), (2, (32, 7, 7)), (8, (10, 4, 4))]:
        run(m, soft, inp, n - 1)
        data, info = layer_output(m, soft, n - 1)
        assert (info.c, info.h, info.w, info.dtype) == (*shape, lib.KPU_DTYPE_UINT8)
        assert len(data) == int(np.prod(shape))
        planes = [layer_output(m, soft, n - 1, c)[0] for c in range(shape[0])]
        assert b"".join(planes) == data
    run(m, soft, inp)
    out, dtype = output(m)
    probs = np.frombuffer(out, "<f4")
    assert dtype == lib.KPU_DTYPE_FLOAT32 and probs.shape == (10,)
    assert np.all(probs >= 0) and abs(float(probs.sum()) - 1) < 1e-5
    v3.free(m)


def test_face_model_output_and_big_endian_copy(soft: Any) -> None:
    le = shared_model("sipeed_facedetect_320x240.kmodel").read_bytes()
    with zipfile.ZipFile(shared_model("sipeed_face_model_be_at_0x600000.kfpkg")) as z:
        be = z.read("facedetect_be.kmodel")
    inp = dog_planar_rgb()
    results = []
    for data, flags in [(le, 0), (be, lib.KPU_LOAD_CONVERT_BIG_ENDIAN)]:
        st, diag, m = v3.load(data, flags)
        assert st == "KPU_OK", v3.text(diag)
        run(m, soft, inp)
        out, dtype = output(m)
        assert dtype == lib.KPU_DTYPE_FLOAT32 and len(out) == 20 * 15 * 30 * 4
        info = ffi.new("kpu_tensor_info_t*")
        lib.kpu_model_layer_output_info(m, 22, info, ffi.NULL)
        assert (info.w, info.h, info.c) == (20, 15, 30)
        assert np.all(np.isfinite(np.frombuffer(out, "<f4")))
        results.append(out)
        v3.free(m)
    assert results[0] == results[1]
