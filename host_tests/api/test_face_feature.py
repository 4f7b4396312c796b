"""face_encode / face_compare (C core through maixkpu.postprocess) against Python computations
written here from spec maixpy-kpu-api.md sections 4.14 and 9."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maixkpu.postprocess import FACE_FEATURE_MAX, KpuError, face_compare, face_encode

F32 = np.float32


def ref_encode(values: list[float], saturate: bool = False) -> bytes:
    """Spec 9: clamp to [-0.25, 0.25] (max first, NaN -> -0.25), x512, truncate toward zero,
    low byte as int8. MaixPy receives each number as a float32."""
    out = []
    for v in values:
        f = float(F32(v))
        f = -0.25 if math.isnan(f) else max(f, -0.25)
        f = min(f, 0.25)
        q = math.trunc(f * 512.0)
        if saturate and q == 128:
            q = 127
        out.append(q & 0xFF)
    return bytes(out)


def ref_compare(a: bytes, b: bytes) -> float:
    """Spec 9: integer dot and norms, (float)(0.5f * (float)dot) / sqrt((double)(na * nb)),
    + 0.5, * 100, rounded to float32."""
    x = np.frombuffer(a, dtype=np.int8).astype(np.int64)
    y = np.frombuffer(b, dtype=np.int8).astype(np.int64)
    dot, na, nb = int(x @ y), int(x @ x), int(y @ y)
    half = F32(F32(0.5) * F32(dot))
    if na * nb == 0:
        return math.nan
    return float(F32((float(half) / math.sqrt(float(na * nb)) + 0.5) * 100.0))


floats_any = st.floats(allow_nan=True, allow_infinity=True, width=32)
floats_near = st.floats(-0.3125, 0.3125, width=32)


@settings(max_examples=200, deadline=None)
@given(st.lists(floats_any | floats_near, max_size=FACE_FEATURE_MAX), st.booleans())
def test_encode_matches_spec(values: list[float], saturate: bool) -> None:
    got = face_encode(values, saturate=saturate)
    assert isinstance(got, bytearray)
    assert bytes(got) == ref_encode(values, saturate)


@pytest.mark.parametrize("value,byte", [
    (0.25, 0x80),        # 128 wraps to -128 (MaixPy quirk)
    (0.3, 0x80), (1e30, 0x80), (math.inf, 0x80),
    (math.nan, 0x80),    # NaN clamps to -0.25 -> -128
    (-0.25, 0x80), (-1.0, 0x80), (-math.inf, 0x80),
    (0.2499, 127),       # 127.95 -> 127
    (-0.2499, 0x81),     # -127.95 -> -127
    (0.001, 0), (-0.001, 0), (0.0, 0), (-0.0, 0),
    (0.1, 51),           # 51.2 -> 51
    (-0.1, 0xCD),        # -51.2 -> -51
])
def test_encode_values(value: float, byte: int) -> None:
    assert face_encode([value]) == bytearray([byte])


def test_encode_saturate_option() -> None:
    assert face_encode([0.25, 0.5, -0.25, math.nan], saturate=True) == \
        bytearray([127, 127, 0x80, 0x80])


def test_encode_accepts_arrays_and_tuples() -> None:
    arr = np.linspace(-0.3, 0.3, 64, dtype=F32)
    assert face_encode(arr) == face_encode(tuple(arr.tolist())) == ref_encode(arr.tolist())
    assert face_encode([]) == bytearray()


def test_encode_length_limit() -> None:
    assert len(face_encode([0.1] * FACE_FEATURE_MAX)) == 512
    with pytest.raises(KpuError, match="513") as info:
        face_encode([0.1] * (FACE_FEATURE_MAX + 1))
    assert info.value.status_name == "KPU_ERR_ARGUMENT"


int8_vectors = st.integers(1, 3000).flatmap(
    lambda n: st.tuples(st.binary(min_size=n, max_size=n), st.binary(min_size=n, max_size=n)))


@settings(max_examples=200, deadline=None)
@given(int8_vectors)
def test_compare_matches_spec(pair: tuple[bytes, bytes]) -> None:
    a, b = pair
    expect = ref_compare(a, b)
    got = face_compare(a, b)
    if math.isnan(expect):
        assert math.isnan(got)
    else:
        assert got == expect
        assert 0.0 <= got <= 100.0


def test_compare_known_scores() -> None:
    v = bytes([10, 0xF6, 3, 0x80])            # 10, -10, 3, -128
    neg = bytes([0xF6, 10, 0xFD, 127])        # -10, 10, -3, 127: not exactly -v
    assert face_compare(v, v) == 100.0
    assert face_compare(bytes([1, 0]), bytes([0, 1])) == 50.0
    assert face_compare(bytes([5, 0xFB]), bytes([0xFB, 5])) == 0.0
    assert face_compare(v, neg) == ref_compare(v, neg)


def test_compare_all_zero_is_nan() -> None:
    assert math.isnan(face_compare(bytes(8), bytes(8)))
    assert math.isnan(face_compare(bytes(8), bytes([1] * 8)))


def test_compare_rounds_large_dot_to_float() -> None:
    # above 2^24 (float)dot is rounded before the division; pick pairs where that rounding
    # changes the float32 score, so an all-double computation would give another result
    def score(a: bytes, b: bytes, float_dot: bool) -> float:
        x = np.frombuffer(a, dtype=np.int8).astype(np.int64)
        y = np.frombuffer(b, dtype=np.int8).astype(np.int64)
        dot, na, nb = int(x @ y), int(x @ x), int(y @ y)
        half = float(F32(F32(0.5) * F32(dot))) if float_dot else 0.5 * dot
        return float(F32((half / math.sqrt(float(na * nb)) + 0.5) * 100.0))

    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(600):
        a = rng.integers(-128, 128, 3000).astype(np.int8)
        b = (a + rng.integers(-3, 4, 3000)).clip(-128, 127).astype(np.int8)
        ra, rb = a.tobytes(), b.tobytes()
        if score(ra, rb, True) != score(ra, rb, False):
            assert face_compare(ra, rb) == score(ra, rb, True) == ref_compare(ra, rb)
            checked += 1
    assert checked >= 3


def test_compare_very_long_vectors_do_not_overflow() -> None:
    # na * nb > 2^64 for 300000 values of -128: the product is formed in double
    a = bytes([0x80] * 300000)
    b = bytes([0x80] * 299999 + [1])
    assert face_compare(a, b) == ref_compare(a, b)


def test_compare_buffer_types() -> None:
    a = face_encode([0.1, -0.2, 0.05, 0.25])
    b = bytes(face_encode([0.1, -0.1, 0.0, 0.2]))
    expect = ref_compare(bytes(a), b)
    assert face_compare(a, b) == expect
    assert face_compare(memoryview(a), bytearray(b)) == expect
    assert face_compare(np.frombuffer(bytes(a), dtype=np.int8), b) == expect


def test_compare_errors() -> None:
    with pytest.raises(KpuError, match="same dim"):
        face_compare(bytes(4), bytes(5))
    with pytest.raises(TypeError):
        face_compare([1, 2], [1, 2])  # type: ignore[arg-type]


def test_encode_then_compare_round_trip() -> None:
    rng = np.random.default_rng(3)
    fa = rng.normal(0, 0.08, 192).astype(F32)
    fb = (fa + rng.normal(0, 0.02, 192)).astype(F32)
    ea, eb = face_encode(fa), face_encode(fb)
    assert bytes(ea) == ref_encode(fa.tolist()) and bytes(eb) == ref_encode(fb.tolist())
    score = face_compare(ea, eb)
    assert score == ref_compare(bytes(ea), bytes(eb))
    assert score > 85.0  # the demo's ACCURACY threshold: a near-identical face
