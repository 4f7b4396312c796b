"""Load-time refusals of V4 files: header and tables, memory ranges outside their space or of
the wrong kind, and node bodies whose fields a kernel could not run safely (the dry run at
load). Each refusal has its own status and names the node."""
from __future__ import annotations

import pytest

from host_tests.v4.v4_files import (
    CONST,
    F32,
    KPU,
    MAIN,
    OP,
    U8,
    Range,
    act,
    f32,
    i32,
    shape,
    u32,
    v4_file,
)
from maixkpu._core import ffi, lib


def check(data: bytes) -> tuple[str, str]:
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_model_validate(data, len(data), 0, diag)
    return ffi.string(lib.kpu_status_name(st)).decode(), ffi.string(diag.text).decode()


def status_of(data: bytes) -> str:
    return check(data)[0]


IN = Range(MAIN, F32, 0, 16)
OUT = Range(MAIN, F32, 16, 16)


def copy_model(body: bytes | None = None, op: int = OP["memory_copy"], **kw) -> bytes:
    args = dict(input_range=IN, input_shape=(1, 1, 1, 4), outputs=[OUT], main_mem=32)
    args.update(kw)
    return v4_file([(op, IN.pack() + OUT.pack() if body is None else body)], **args)


def test_minimal_model_is_valid() -> None:
    assert check(copy_model()) == ("KPU_OK", "")


def patch_u32(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + u32(value) + data[offset + 4:]


@pytest.mark.parametrize("offset, value, status, words", [
    (12, 2, "KPU_ERR_FORMAT", "target 2"),
    (20, 65 << 20, "KPU_ERR_FORMAT", "main memory"),
    (24, 0, "KPU_ERR_FORMAT", "without nodes"),
    (24, 1000, "KPU_ERR_TRUNCATED", "1000 nodes"),
    (16, 1000, "KPU_ERR_TRUNCATED", "1000 constant bytes"),
])
def test_header_refusals(offset: int, value: int, status: str, words: str) -> None:
    st, text = check(patch_u32(copy_model(), offset, value))
    assert st == status and words in text, text


def test_input_count() -> None:
    two = v4_file([(OP["memory_copy"], IN.pack() + OUT.pack())], IN, (1, 1, 1, 4), [OUT],
                  main_mem=32)
    # a second input: header says 2, then the tables shift; build it by hand
    data = two[:28] + u32(2) + two[32:40] + IN.pack() + IN.pack() + shape(1, 1, 1, 4) * 2 + \
        two[72:]
    st, text = check(data)
    assert st == "KPU_ERR_NOT_IMPLEMENTED" and "2 inputs" in text
    assert check(patch_u32(two, 28, 0))[0] == "KPU_ERR_FORMAT"


def test_io_refusals() -> None:
    assert check(copy_model(input_range=Range(CONST, F32, 0, 16), constants=bytes(16)))[0] == \
        "KPU_ERR_FORMAT"
    st, text = check(copy_model(outputs=[Range(KPU, F32, 0, 16)]))
    assert st == "KPU_ERR_NOT_IMPLEMENTED" and "output 0" in text
    assert check(copy_model(outputs=[Range(MAIN, F32, 30, 16)]))[0] == "KPU_ERR_BOUNDS"
    st, text = check(copy_model(input_range=Range(KPU, F32, 0, 16)))
    assert st == "KPU_ERR_FORMAT" and "uint8" in text
    st, text = check(copy_model(input_range=Range(KPU, U8, 32, 16)))
    assert st == "KPU_ERR_NOT_IMPLEMENTED" and "64-byte" in text
    assert check(copy_model(input_shape=(1, 1, -1, 4)))[0] == "KPU_ERR_FORMAT"


@pytest.mark.parametrize("rng, status, words", [
    (Range(3, F32, 0, 4), "KPU_ERR_FORMAT", "memory type 3"),
    (Range(MAIN, 2, 0, 4), "KPU_ERR_FORMAT", "datatype 2"),
    (Range(MAIN, F32, 20, 16), "KPU_ERR_BOUNDS", "outside main memory"),
    (Range(MAIN, F32, 0xFFFFFFF0, 0x20), "KPU_ERR_BOUNDS", "outside main memory"),
    (Range(CONST, F32, 0, 4), "KPU_ERR_BOUNDS", "outside constants"),
    (Range(KPU, F32, 0, 4), "KPU_ERR_NOT_IMPLEMENTED", "KPU RAM"),
])
def test_range_refusals(rng: Range, status: str, words: str) -> None:
    st, text = check(copy_model(rng.pack() + OUT.pack()))
    assert st == status and words in text and text.startswith("node 0:"), text


def test_written_operand_must_be_main_memory() -> None:
    st, text = check(copy_model(IN.pack() + Range(CONST, F32, 0, 16).pack(),
                                constants=bytes(16)))
    assert st == "KPU_ERR_FORMAT" and "main memory" in text


def test_output_too_small_for_the_node() -> None:
    st, text = check(copy_model(IN.pack() + Range(MAIN, F32, 16, 12).pack()))
    assert st == "KPU_ERR_BOUNDS" and "16 bytes" in text


def test_unknown_opcode_and_short_body() -> None:
    st, text = check(copy_model(op=0x15))
    assert st == "KPU_ERR_LAYER_TYPE" and "0x15" in text
    st, text = check(copy_model(IN.pack()))
    assert st == "KPU_ERR_TRUNCATED"


def transpose_body(perm: tuple[int, ...], dims: tuple[int, int, int, int] = (1, 1, 2, 2)) -> bytes:
    return IN.pack() + OUT.pack() + shape(*dims) + i32(*perm)


@pytest.mark.parametrize("body, status", [
    (transpose_body((0, 1, 2, 2)), "KPU_ERR_FORMAT"),
    (transpose_body((0, 1, 3, 4)), "KPU_ERR_FORMAT"),
    (transpose_body((0, 1, 3, 2), (1, 1, -2, -2)), "KPU_ERR_FORMAT"),
    (transpose_body((0, 1, 3, 2), (1, 1, 2, 4)), "KPU_ERR_BOUNDS"),
])
def test_transpose_checks(body: bytes, status: str) -> None:
    assert check(copy_model(body, OP["transpose"]))[0] == status


def test_op_field_checks() -> None:
    binary = IN.pack() + IN.pack() + OUT.pack() + u32(6) + shape(1, 1, 1, 4) * 3 + act()
    assert check(copy_model(binary, OP["binary"]))[0] == "KPU_ERR_FORMAT"
    unary = IN.pack() + OUT.pack() + u32(10)
    assert check(copy_model(unary, OP["unary"]))[0] == "KPU_ERR_FORMAT"
    table = IN.pack() + IN.pack() + OUT.pack()  # float input: table_lookup1d needs uint8
    assert check(copy_model(table, OP["table_lookup1d"]))[0] == "KPU_ERR_FORMAT"
    # the cpu window node has no sum
    window = IN.pack() + OUT.pack() + u32(3) + shape(1, 2, 2, 1) + i32(0, 0, 0, 0) + \
        i32(1, 1, 1, 1, 1, 1) + f32(0) + act()
    assert check(copy_model(window, OP["cpu_reduce_window2d"]))[0] == "KPU_ERR_FORMAT"
    assert check(copy_model(window, OP["reduce_window2d"]))[0] == "KPU_OK"
    # a window bigger than the padded input gives no output
    big = IN.pack() + OUT.pack() + u32(2) + shape(1, 1, 2, 2) + i32(0, 0, 0, 0) + \
        i32(3, 3, 1, 1, 1, 1) + f32(0) + act()
    st, text = check(copy_model(big, OP["reduce_window2d"]))
    assert st == "KPU_ERR_FORMAT" and "no output" in text


def test_strided_slice_reads_only_inside() -> None:
    def body(begin: int, end: int, stride: int) -> bytes:
        return IN.pack() + OUT.pack() + shape(1, 1, 1, 4) + i32(0, 0, 0, begin) + \
            i32(1, 1, 1, end) + i32(1, 1, 1, stride) + bytes(20)
    assert check(copy_model(body(0, 4, 1), OP["strided_slice"]))[0] == "KPU_OK"
    assert check(copy_model(body(3, -1, -1), OP["strided_slice"]))[0] == "KPU_OK"
    assert check(copy_model(body(0, 5, 1), OP["strided_slice"]))[0] == "KPU_ERR_BOUNDS"
    assert check(copy_model(body(4, 0, -1), OP["strided_slice"]))[0] == "KPU_ERR_BOUNDS"
    assert check(copy_model(body(0, 4, 0), OP["strided_slice"]))[0] == "KPU_ERR_FORMAT"


def test_quantized_shift_must_be_usable() -> None:
    def qmatmul(shift: int) -> bytes:
        a = Range(MAIN, U8, 0, 4)
        return a.pack() + a.pack() + Range(MAIN, U8, 16, 4).pack() + i32(2, 2, 2) + \
            i32(0, 0, 1, shift, 0) + i32(0, 0)
    assert check(copy_model(qmatmul(63), OP["quantized_matmul"]))[0] == "KPU_OK"
    assert check(copy_model(qmatmul(256), OP["quantized_matmul"]))[0] == "KPU_OK"  # a u8: 0
    assert check(copy_model(qmatmul(64), OP["quantized_matmul"]))[0] == \
        "KPU_ERR_NOT_IMPLEMENTED"
    assert check(copy_model(qmatmul(-1), OP["quantized_matmul"]))[0] == \
        "KPU_ERR_NOT_IMPLEMENTED"


@pytest.mark.parametrize("code, words", [
    (bytes([0x03, 0x99, 0xA0]), "unknown NNIL instruction 0x99"),
    (bytes([0x03, 0x40, 0xA0]), "underflow"),
    (bytes([0x03, 0x20]), "without ret"),
    (bytes([0xA0]), "empty stack"),
    (bytes([0x03] * 65 + [0xA0]), "overflow"),
    (bytes([0x06, 0x00, 0x00]), "immediate"),
])
def test_nnil_code_checked(code: bytes, words: str) -> None:
    st, text = check(copy_model(IN.pack() + OUT.pack() + code, OP["nnil_unary_method"],
                                trim_final_padding=True))
    assert st != "KPU_OK" and words in text, text


def test_conv_groups_and_weights() -> None:
    def conv(groups: int, oc: int, weights: int) -> bytes:
        return IN.pack() + OUT.pack() + shape(1, 2, 1, 2) + i32(groups, oc) + \
            i32(0, 0, 0, 0) + i32(1, 1, 1, 1, 1, 1) + act() + f32(*([1.0] * weights)) + \
            f32(*([0.0] * oc))
    assert check(copy_model(conv(1, 2, 4), OP["conv2d"]))[0] == "KPU_OK"
    assert check(copy_model(conv(2, 3, 3), OP["conv2d"]))[0] == "KPU_ERR_FORMAT"
    assert check(copy_model(conv(1, 2, 3), OP["conv2d"]))[0] == "KPU_ERR_TRUNCATED"


def test_empty_tensors_with_huge_dimensions_do_no_work() -> None:
    """A zero dimension passes every size check whatever the others are: the kernels must not
    loop over the others (that would take minutes, not crash)."""
    import time

    from host_tests.v4.v4_files import run_model
    big = 1 << 30
    bodies = [
        ("transpose", IN.pack() + OUT.pack() + shape(big, big, big, 0) + i32(0, 1, 3, 2)),
        ("pad", IN.pack() + OUT.pack() + shape(big, big, big, 0) + i32(0, 0) * 4 + u32(0, 0)),
        ("softmax", IN.pack() + OUT.pack() + i32(0, big) + f32(1.0)),
        ("matmul", IN.pack() + IN.pack() + OUT.pack() + i32(big, 0, 0) + act()),
        ("reduce", IN.pack() + OUT.pack() + u32(3) + shape(big, big, big, 0) +
         shape(1, 1, 1, 1) + f32(0.0)),
        ("binary", IN.pack() + IN.pack() + OUT.pack() + u32(0) + shape(1, 1, 1, 1) +
         shape(1, 1, 1, 2) + shape(big, big, big, 0) + act()),
    ]
    start = time.monotonic()
    for op, body in bodies:
        data = copy_model(body, OP[op])
        assert check(data)[0] == "KPU_OK", op
        run_model(data, bytes(16))
    assert time.monotonic() - start < 5


def test_window_without_weights_is_bounded() -> None:
    window = IN.pack() + OUT.pack() + u32(2) + shape(1, 1, 1, 1) + i32(1 << 20, 1 << 20, 0, 0) + \
        i32(1 << 20, 1, 1 << 30, 1, 1, 1) + f32(0) + act()
    st, text = check(copy_model(window, OP["reduce_window2d"]))
    assert st == "KPU_ERR_NOT_IMPLEMENTED" and "taps" in text
