"""The scalar stackvm instructions (spec C2) against nncase 1.9's Simulator: one hand-assembled
program computes many small expressions and stores each result into its own output word; the
words must be identical. Also the load-time refusals that need no nncase (loops)."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from host_tests.v5.nncase_cache import CACHE, require_nncase
from host_tests.v5.svasm import DATA, DT_F32, INPUT, OUTPUT, Program, kmodel
from maixkpu import core
from maixkpu.compile import simulate

STIND_I4, STIND_R4 = 0x12, 0x15
INT_BINARY = {name: op for op, name in enumerate(
    ["add", "sub", "mul", "div", "div_u", "rem", "rem_u", "and", "or", "xor"], start=0x34)}
INT_BINARY.update({"shl": 0x3F, "shr": 0x40, "shr_u": 0x41})
COMPARES = {name: op for op, name in enumerate(
    ["clt", "clt_u", "cle", "cle_u", "ceq", "cge", "cge_u", "cgt", "cgt_u", "cne"], start=0x42)}
CONVS = {name: op for op, name in enumerate(
    ["i1", "i2", "i4", "i", "u1", "u2", "u4", "u", "br2", "r4"], start=0x4C)}


def _program(sections: frozenset[str] = frozenset(
        {"int", "real", "unary", "conv", "memory", "branch"})) -> tuple[bytes, int]:
    p = Program()
    slot = 0

    def store(push, real: bool = False) -> None:  # type: ignore[no-untyped-def]
        nonlocal slot
        p.lea(OUTPUT, 4 * slot)
        push()
        p.op(STIND_R4 if real else STIND_I4)
        slot += 1

    pairs = [(7, 3), (-7, 3), (7, -3), (-8, 2), (5, 0x7FFFFFFF), (1, 31), (-1, 1)]
    for op in {**INT_BINARY, **COMPARES}.values() if "int" in sections else ():
        for a, b in pairs:
            store(lambda a=a, b=b, op=op: p.ldc_i4(a).ldc_i4(b).op(op))
    for a, b in ((2.5, -1.25), (-3.0, 7.0), (1.0, 1.0)) if "real" in sections else ():
        for op in (0x34, 0x35, 0x36, 0x37, 0x38, 0x39, *COMPARES.values()):
            real = op <= 0x3A
            store(lambda a=a, b=b, op=op: p.ldc_r4(a).ldc_r4(b).op(op), real)
        store(lambda a=a: p.ldc_r4(a).op(0x33), True)  # neg
    for v in (300, -2, 70000, -129, 0x12345678) if "unary" in sections else ():
        store(lambda v=v: p.ldc_i4(v).op(0x33))  # neg
        store(lambda v=v: p.ldc_i4(v).op(0x3E))  # not
        for name in ("i1", "i2", "i4", "u1", "u2", "u4"):
            store(lambda v=v, name=name: p.ldc_i4(v).op(CONVS[name]))
        store(lambda v=v: p.ldc_i4(v).op(CONVS["r4"]), True)
    for f in (-2.7, 2.7, 300.5, -0.5, 1.0e5) if "conv" in sections else ():
        for name in ("i1", "i4", "u1", "u2"):
            store(lambda f=f, name=name: p.ldc_r4(f).op(CONVS[name]))
        store(lambda f=f: p.ldc_r4(f).op(CONVS["br2"]), True)
    # memory: stind/ldind and stelem/ldelem through the data pool, dup and pop
    if "memory" not in sections:
        return bytes(p.code), slot
    p.lea(DATA, 16).ldc_i4(-5).op(0x10)            # stind_i1 data[16] = -5
    store(lambda: p.lea(DATA, 16).op(0x06))         # ldind_i1
    store(lambda: p.lea(DATA, 16).op(0x0A))         # ldind_u1
    p.lea(DATA, 32).ldc_i4(3).ldc_r4(1.5).op(0x27)  # stelem_r4 data[32 + 3*4] = 1.5
    store(lambda: p.lea(DATA, 32).ldc_i4(3).op(0x21), True)   # ldelem_r4
    store(lambda: p.lea(DATA, 44).op(0x08))                   # ldind_i4 of the same word
    for i, f in enumerate((2.7, -2.7, 1.00390625, 3.0e38)):
        p.lea(DATA, 64 + 2 * i).ldc_r4(f).op(0x14)             # stind_br2
        store(lambda i=i: p.lea(DATA, 64 + 2 * i).op(0x0E), True)  # ldind_br2
    store(lambda: p.ldc_i4(9).op(0x2F).op(0x36))              # dup, mul: 81
    store(lambda: p.ldc_i4(1).ldc_i4(2).op(0x30))             # pop: 1
    store(lambda: p.op(0x01))                                 # ldnull
    store(lambda: p.op(0x04).op(0x03).op(0x34))               # 1 + 0
    store(lambda: p.lea(INPUT, 4).op(0x0F), True)             # ldind_r4 of input[1]
    # branches: forward only; the skipped stores leave their words as the program set them
    p.lea(OUTPUT, 4 * slot).ldc_i4(11).op(STIND_I4)
    p.ldc_i4(0).op(0x58, "i", 13)                             # br_false over the next store
    p.lea(OUTPUT, 4 * slot).ldc_i4(22).op(STIND_I4)
    slot += 1
    p.lea(OUTPUT, 4 * slot).ldc_i4(33).op(STIND_I4)
    p.ldc_i4(5).op(0x57, "i", 0)                              # br_true to the next instruction
    p.op(0x56, "i", 13)                                       # br over the next store
    p.lea(OUTPUT, 4 * slot).ldc_i4(44).op(STIND_I4)
    slot += 1
    p.op(0x00)
    return bytes(p.code), slot


def test_scalar_instructions_identical_to_nncase_simulator() -> None:
    code, slots = _program()
    data = kmodel(code, [4], slots, in_dtype=DT_F32)
    x = np.array([0.5, -1.75, 3.0, 4.0], np.float32)
    path = CACHE / f"scalar-{hashlib.sha256(data + x.tobytes()).hexdigest()[:16]}.npy"
    if path.is_file():
        ref = np.load(path)
    else:
        require_nncase()
        ref = simulate(data, [x])[0][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, ref)
        tmp.replace(path)
    with core.Model.load(data) as m:
        ours = m.run(x)[0]
    words, expected = ours.view(np.int32), ref.reshape(-1).view(np.int32)
    bad = np.nonzero(words != expected)[0]
    assert bad.size == 0, [(int(i), int(words[i]), int(expected[i])) for i in bad[:10]]
    # a few values the spec states outright (C2)
    assert words[5 * 7] == 2          # 7 rem 3 is a division (quirk)
    assert words[3 * 7 + 1] == -2     # -7 div 3 truncates toward zero
    assert words[-2:].tolist() == [11, 33]


def test_backward_branch_refused_at_load() -> None:
    p = Program().ldc_i4(1).op(0x57, "i", -10)  # br_true back to the start
    with pytest.raises(core.KpuError, match="backward branch"):
        core.Model.load(kmodel(bytes(p.code), [4], 4))


def test_branch_outside_the_code_refused() -> None:
    p = Program().op(0x56, "i", 100)
    with pytest.raises(core.KpuError, match="outside the code"):
        core.Model.load(kmodel(bytes(p.code), [4], 4))


def test_huge_stride_zero_view_refused_at_run() -> None:
    """A view of 2^40 elements over one float (stride 0) would keep a kernel busy forever."""
    p = Program().view_regs(0, [1 << 20, 1 << 20], [0, 0])
    p.lea(INPUT, 0).lea(OUTPUT, 0).tensor(0x1D, "BBBB", DT_F32, 0, 1, 1)  # sigmoid
    with core.Model.load(kmodel(bytes(p.code), [4], 4)) as m:
        with pytest.raises(core.KpuError, match="elements"):
            m.run(np.zeros(4, np.float32))


def test_write_to_rdata_refused_at_run() -> None:
    p = Program().view_regs(0, [4]).lea(INPUT, 0).op(0x17, "BBI", 2, 0, 0)
    p.tensor(0x1D, "BBBB", DT_F32, 0, 1, 1)
    with core.Model.load(kmodel(bytes(p.code), [4], 4, rdata=bytes(16))) as m:
        with pytest.raises(core.KpuError, match="writable"):
            m.run(np.zeros(4, np.float32))
