"""Loading kmodel V5 files: the load-time dry run refuses what cannot run, with a message that
names the instruction or function (and the nncase generation of foreign byte code); damaged
files (truncated, patched, byte-flipped) are refused or run, never crash."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.v5 import v5_files
from host_tests.v5.nncase_cache import inputs, kmodel
from host_tests.v5.onnx_models import CASE_BY_NAME
from maixkpu import core

FUZZ_CASES = ("classifier", "concat", "resize")


def _refusal(data: bytes) -> core.KpuError:
    with pytest.raises(core.KpuError) as info:
        core.validate(data)
    with pytest.raises(core.KpuError) as info2:
        core.Model.load(data)
    assert info.value.status_name == info2.value.status_name
    assert str(info.value) == str(info2.value)
    return info.value


def test_sdk_generation_file_refused_with_function_and_version() -> None:
    """The CPU-only benchmark file is nncase v1.0.0-beta byte code (spec E2): its first tensor
    instruction is function 0x05, conv2d there and clamp (no operand reader) in 1.6-1.9."""
    err = _refusal(shared_model("nncase_master_benchmark_cpu_mnist.kmodel").read_bytes())
    assert err.status_name == "KPU_ERR_VERSION_V4V5"  # a V5 this build cannot run
    assert err.maixpy_code == 2002
    assert "v1.0.0-beta1" in str(err)
    assert "0x05 (clamp)" in str(err) and "offset 171" in str(err)
    assert "1.6-1.9" in str(err)


def test_function_of_another_numbering_refused() -> None:
    data = bytearray(kmodel(CASE_BY_NAME["classifier"]))
    at = next(off for off, op, f in v5_files.stackvm_instructions(bytes(data)) if f is not None)
    data[at + 1:at + 3] = struct.pack("<H", 0x0F)  # logistic: numbered, never readable
    err = _refusal(bytes(data))
    assert "logistic" in str(err)


def test_unimplemented_datatype_refused_at_load() -> None:
    data = bytearray(kmodel(CASE_BY_NAME["classifier"]))
    at = next(off for off, op, f in v5_files.stackvm_instructions(bytes(data)) if f == 0x0B)
    data[at + 3] = 1  # dequantize from int16: valid 1.9 byte code, not implemented here
    err = _refusal(bytes(data))
    assert err.status_name == "KPU_ERR_NOT_IMPLEMENTED"
    assert "dequantize" in str(err) and "int16" in str(err)


def test_k210_illegal_instruction_refused() -> None:
    data = bytearray(kmodel(CASE_BY_NAME["concat"]))
    at, op = v5_files.k210_instructions(bytes(data))[1]
    data[at] = 9
    err = _refusal(bytes(data))
    assert err.status_name == "KPU_ERR_FORMAT"
    assert "illegal instruction 9" in str(err)


def test_kpu_conv_output_outside_kpu_ram_refused() -> None:
    data = bytearray(kmodel(CASE_BY_NAME["concat"]))
    at = next(off for off, op in v5_files.k210_instructions(bytes(data)) if op == 2)
    word1 = at + 56 + 8
    data[word1 + 4:word1 + 6] = struct.pack("<H", 0x7FFF)  # image_dst_addr: the last line
    err = _refusal(bytes(data))
    assert err.status_name == "KPU_ERR_BOUNDS"
    assert "KPU RAM" in str(err)


@pytest.mark.parametrize("location, what", [(2, ".rdata"), (0, "input")])
def test_kpu_download_into_read_only_memory_refused(location: int, what: str) -> None:
    data = bytearray(kmodel(CASE_BY_NAME["concat"]))
    at = next(off for off, op in v5_files.k210_instructions(bytes(data)) if op == 1)
    data[at + 16] = location  # the download's output range
    err = _refusal(bytes(data))
    assert f"writes into its {what}" in str(err)


def test_shape_register_read_before_write_refused() -> None:
    data = bytearray(kmodel(CASE_BY_NAME["classifier"]))
    at = next(off for off, op, f in v5_files.stackvm_instructions(bytes(data)) if f == 0x0B)
    data[at + 5] = 200  # rshape_src of the dequantize: a register no stshape wrote
    err = _refusal(bytes(data))
    assert err.status_name == "KPU_ERR_FORMAT"
    assert "shape register 200" in str(err)


def test_entry_function_io_described() -> None:
    case = CASE_BY_NAME["two_outputs"]
    with core.Model.load(kmodel(case)) as m:
        assert m.output_count == 2
        assert m.input_info.size == int(np.prod(case.shape))


def _load_and_run(data: bytes, x: np.ndarray, soft: core.SoftKpu) -> None:
    try:
        with core.Model.load(data) as m:
            m.run(x, backend=soft)
            for i in range(m.output_count):
                m.output(i)
    except core.KpuError:
        pass


@pytest.mark.parametrize("name", FUZZ_CASES)
def test_truncations_never_crash(name: str) -> None:
    data = kmodel(CASE_BY_NAME[name])
    x = inputs(CASE_BY_NAME[name])[0]
    soft = core.SoftKpu()
    refused = 0
    for n in sorted(set(range(0, len(data), 7)) | set(range(len(data) - 300, len(data)))):
        if n < 0:
            continue
        try:
            core.validate(data[:n])
        except core.KpuError:
            refused += 1
        _load_and_run(data[:n], x, soft)
    assert refused > 0
    _load_and_run(data, x, soft)


@pytest.mark.parametrize("name", FUZZ_CASES)
def test_byte_flips_never_crash(name: str) -> None:
    data = kmodel(CASE_BY_NAME[name])
    x = inputs(CASE_BY_NAME[name])[0]
    rng = np.random.default_rng(sum(map(ord, name)))
    soft = core.SoftKpu()
    code = [off for off, _, _ in v5_files.stackvm_instructions(data)]
    k210 = [off for off, _ in v5_files.k210_instructions(data)]
    for i in range(600):
        mutated = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            if i % 3 == 0:   # anywhere
                at = int(rng.integers(0, len(data)))
            elif i % 3 == 1:  # an operand of a stackvm instruction
                at = int(rng.choice(code)) + int(rng.integers(0, 8))
            else:            # a k210 instruction
                at = int(rng.choice(k210)) + int(rng.integers(0, 152))
            at = min(at, len(data) - 1)
            mutated[at] ^= int(rng.integers(1, 256))
        _load_and_run(bytes(mutated), x, soft)


@pytest.mark.parametrize("group", ["layout", "linear", "resize"])
def test_byte_flips_of_assembled_programs_never_crash(group: str) -> None:
    """Without nncase: stackvm-only files from svasm, mutated in their code and tables."""
    from host_tests.v5.svasm import kmodel as assemble
    from host_tests.v5.test_v5_kernels_vs_nncase import GROUPS, RDATA_BYTES, SHAPE, Builder

    b = Builder()
    GROUPS[group](b)
    data = assemble(bytes(b.p.code), SHAPE, (b.cursor + 3) // 4, rdata=RDATA_BYTES)
    x = np.random.default_rng(1).uniform(-2, 2, SHAPE).astype(np.float32)
    soft = core.SoftKpu()
    _load_and_run(data, x, soft)
    rng = np.random.default_rng(len(group))
    code_start = len(data) - len(RDATA_BYTES) - len(b.p.code) - 16
    for _ in range(400):
        mutated = bytearray(data)
        for _ in range(int(rng.integers(1, 3))):
            at = int(rng.integers(0, len(data)) if rng.random() < 0.3
                     else rng.integers(max(code_start, 0), len(data)))
            mutated[at] ^= int(rng.integers(1, 256))
        _load_and_run(bytes(mutated), x, soft)
    for n in range(0, len(data), 97):
        _load_and_run(data[:n], x, soft)
