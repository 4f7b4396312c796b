"""Truncations and byte flips of V4 files never crash the core: every variant is refused with a
clear status, or loads and then runs, describes its layers and reads its outputs (errors
allowed, crashes and reads outside memory not). Files: the real iris model and a model built
here that chains kpu_upload, kpu_conv2d, dequantize, transpose, pad, softmax and quantize."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.core.v3_files import conv_arg
from host_tests.v4.v4_files import (
    F32,
    KPU,
    MAIN,
    OP,
    U8,
    Range,
    f32,
    i32,
    kpu_conv2d_body,
    kpu_upload_body,
    shape,
    v4_file,
)
from maixkpu._core import ffi, lib
from maixkpu.core import KpuError, Model, SoftKpu


def chain_model() -> bytes:
    rng = np.random.default_rng(5)
    src = Range(MAIN, U8, 0, 256)
    conv_out = Range(MAIN, U8, 256, 64)
    deq = Range(MAIN, F32, 512, 256)
    tr = Range(MAIN, F32, 768, 256)
    pad = Range(MAIN, F32, 1024, 240)
    soft = Range(MAIN, F32, 1280, 240)
    quant = Range(MAIN, U8, 1536, 60)
    seg0, lin = 0x800000000 << 24, (1 << 8) | 14  # linear segment: mul 1, shift 14
    act_table = struct.pack("<16Q", seg0, lin, *[(((1 << 35) - 16) + i) << 24
                                                  for i in range(14)]) + bytes(16)
    bn = b"".join(struct.pack("<Q", 1 | (int(a) << 24)) for a in rng.integers(0, 500, 4))
    weights = rng.integers(0, 256, 4 * 4 * 9, np.uint8).tobytes()
    arg = conv_arg(4, 4, 8, 8, kernel=1, pool=1, src=0, dst=64)
    nodes = [
        (OP["kpu_upload"], kpu_upload_body(src, Range(KPU, U8, 0, 512), (1, 4, 8, 8))),
        (OP["kpu_conv2d"], kpu_conv2d_body(arg, bn, act_table, weights, conv_out)),
        (OP["dequantize"], conv_out.pack() + deq.pack() + i32(3) + f32(0.5)),
        (OP["transpose"], deq.pack() + tr.pack() + shape(1, 4, 4, 4) + i32(0, 2, 3, 1)),
        (OP["pad"], tr.pack() + pad.pack() + shape(1, 4, 4, 4) + i32(0, 0, 0, 0, 1, 0, 0, -1)
         + struct.pack("<If", 0, 0.0)),
        (OP["softmax"], pad.pack() + soft.pack() + i32(3, 20) + f32(1.0)),
        (OP["quantize"], soft.pack() + quant.pack() + i32(0) + f32(100.0)),
    ]
    return v4_file(nodes, src, (1, 4, 8, 8), [soft, quant], main_mem=1600)


def exercise(data: bytes, soft: SoftKpu) -> str:
    """Validates data; when it loads, uses every reading function. Returns the load status."""
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_model_validate(data, len(data), 0, diag)
    text = ffi.string(diag.text).decode()
    if st != lib.KPU_OK:
        assert text and diag.status == st  # a clear diagnosis every time
        return ffi.string(lib.kpu_status_name(st)).decode()
    with Model.load(data) as model:
        info = model.input_info
        try:
            model.run(bytes(range(256)) * (info.size // 256) + bytes(info.size % 256),
                      backend=soft)
        except KpuError:
            return "run error"
        out_info = ffi.new("kpu_tensor_info_t *")
        for i in range(model.output_count):
            model.output(i)
            assert lib.kpu_v4_output_info(model._handle(), i, out_info, ffi.NULL) == lib.KPU_OK
        for layer in range(model.layer_count):
            model.layer_info(layer)
            try:
                model.layer_output(layer)
            except KpuError as exc:
                assert exc.status_name == "KPU_ERR_STATE"  # overwritten by a later node
    return "KPU_OK"


@pytest.fixture(scope="module")
def soft() -> SoftKpu:
    with SoftKpu() as kpu:
        yield kpu


def test_chain_model_runs(soft: SoftKpu) -> None:
    data = chain_model()
    with Model.load(data) as model:
        x = np.random.default_rng(2).integers(0, 256, 256, np.uint8)
        probs, q = model.run(x, backend=soft)
        probs = np.asarray(probs).reshape(20, 3)
        np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
        assert np.asarray(q).size == 60
        assert [lay.type_name for lay in model.layers()] == [
            "V4_KPU_UPLOAD", "K210_CONV", "V4_DEQUANTIZE", "V4_TRANSPOSE", "V4_PAD",
            "V4_SOFTMAX", "V4_QUANTIZE"]
        # dequantize keeps the shape of the conv result it converts (4 maps of 4 x 4)
        deq = model.layer_output_info(2)
        assert (deq.w, deq.h, deq.c, deq.size) == (4, 4, 4, 256)
        # the transposed map is NHWC: rows of 4 channels
        assert (model.layer_output_info(3).w, model.layer_output_info(3).c) == (4, 4)
        info = ffi.new("kpu_tensor_info_t *")
        lib.kpu_v4_output_info(model._handle(), 0, info, ffi.NULL)
        assert (info.w, info.h, info.c) == (3, 20, 1)  # softmax rows
        lib.kpu_v4_output_info(model._handle(), 1, info, ffi.NULL)
        # quantize is flat: it keeps the softmax rows' shape
        assert (info.w, info.h, info.c, info.dtype) == (3, 20, 1, lib.KPU_DTYPE_UINT8)


def test_truncations_never_crash(soft: SoftKpu) -> None:
    for data in (shared_model("nncase020b4_iris_float.kmodel").read_bytes(), chain_model()):
        seen = {exercise(data[:n], soft) for n in range(len(data))}
        assert "KPU_ERR_TRUNCATED" in seen
        assert exercise(data, soft) == "KPU_OK"


@pytest.mark.parametrize("name", ["iris", "chain"])
def test_byte_flips_never_crash(name: str, soft: SoftKpu) -> None:
    data = shared_model("nncase020b4_iris_float.kmodel").read_bytes() if name == "iris" \
        else chain_model()
    rng = np.random.default_rng(9)
    seen: set[str] = set()
    edits = [(i, 0xFF) for i in range(len(data))] + \
        [(int(i), int(v)) for i, v in zip(rng.integers(0, len(data), 1500),
                                             rng.integers(1, 256, 1500))]
    for pos, xor in edits:
        flipped = bytearray(data)
        flipped[pos] ^= xor
        seen.add(exercise(bytes(flipped), soft))
    assert "KPU_OK" in seen and len(seen) >= 4  # both loads and several kinds of refusal
