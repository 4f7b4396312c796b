"""The software KPU backend (kpu_soft), driven directly through cffi.

Expected values come from the spec (kmodel-v3-and-kpu.md): the per-layer hashes of section 12
for the VOC model, hand-computed values, and for hand-built layers the small model in
soft_kpu_model.py, written from the text of sections 3-5 (not from the C code).
"""
from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from host_tests.conftest import shared_model
from host_tests.core.soft_kpu_model import (
    Layer,
    Seg,
    act_bytes,
    activation,
    arg_words,
    bn_bytes,
    carry_shift,
    map_offsets,
    random_layer,
    reference,
    rne_buggy,
    weight_bytes,
)
from maixkpu._core import ffi, lib

RAM_BYTES = 2 * 1024 * 1024
VOC = "nncase010rc5_yolo2_voc20_320x240_chwise.kmodel"
DOG = "nncase_dog_320x240.bmp"
K210_CONV = 10240

# Spec section 12: SHA-256 prefix and byte sum of each layer's compact CHW output.
VOC_TABLE = [
    ("439ad81a11ba9e31", 6885714), ("9d76d98c5e0175ea", 8966794),
    ("9a171b217b4b5767", 3198476), ("d970316544959733", 5475878),
    ("78b99eb04414271b", 1511278), ("f93ce3bf7ad7a86a", 3377203),
    ("f7a55bd19c66e2d5", 1056577), ("fe7012ee39627dbb", 2072904),
    ("60efd1d8c00cdff0", 808234), ("2f2be2b527679571", 486044),
    ("b4d5f02fe5af3085", 1235830), ("a18a43ace9c400f9", 893007),
    ("ba945d0057903db5", 2103143), ("835ff6c694671f86", 1857080),
    ("3aedd14d6701bf21", 1306065), ("577b00de49f6e588", 930729),
]


# -- the backend under test -------------------------------------------------------------------


class SoftKpu:
    def __init__(self, rounding: int = 0) -> None:
        self.alloc = ffi.new("kpu_allocator_t *", lib.kpu_alloc_std())
        pp = ffi.new("kpu_soft_t **")
        assert lib.kpu_soft_create(pp, self.alloc, rounding) == lib.KPU_OK
        self.soft = pp[0]
        self.backend = lib.kpu_soft_backend(self.soft)
        self.ram = np.frombuffer(ffi.buffer(lib.kpu_soft_ram(self.soft), RAM_BYTES), np.uint8)
        self.diag = ffi.new("kpu_diag_t *")
        self.keep: list[object] = []

    def close(self) -> None:
        lib.kpu_soft_destroy(self.soft)

    def write_map(self, line: int, data: np.ndarray) -> None:
        c, h, w = data.shape
        self.ram[line * 64 + map_offsets(c, h, w)] = data

    def read_map(self, line: int, c: int, h: int, w: int) -> np.ndarray:
        return self.ram[line * 64 + map_offsets(c, h, w)]

    def submit_raw(self, words: list[int], weights: bytes, bn: bytes, act: bytes,
                   eight_bit: bool = True, weights_size: int | None = None,
                   stream: ffi.CData | None = None, stream_size: int = 0) -> int:
        job = ffi.new("kpu_conv_job_t *")
        for i, v in enumerate(words):
            job.arg[i] = v
        bufs = [ffi.new("uint8_t[]", bytes(t) or b"\0") for t in (weights, bn, act)]
        self.keep = [job, *bufs]
        job.weights, job.bn, job.act = bufs
        job.weights_size = len(weights) if weights_size is None else weights_size
        job.eight_bit = int(eight_bit)
        job.stream_out = stream if stream is not None else ffi.NULL
        job.stream_size = stream_size
        st = self.backend.ops.submit(self.backend.self, job, self.diag)
        if st == lib.KPU_OK:
            assert self.backend.ops.wait(self.backend.self, 1000, self.diag) == lib.KPU_OK
        return int(st)

    def run(self, layer: Layer, x: np.ndarray, stream_size: int = 0) -> np.ndarray:
        self.write_map(layer.src_line, x)
        stream = ffi.new("uint8_t[]", stream_size) if stream_size else None
        st = self.submit_raw(arg_words(layer, stream_size), weight_bytes(layer),
                             bn_bytes(layer.bn), act_bytes(layer.act), layer.eight_bit,
                             stream=stream, stream_size=stream_size)
        assert st == lib.KPU_OK, ffi.string(self.diag.text)
        self.stream = bytes(ffi.buffer(stream)) if stream is not None else b""
        return self.read_map(layer.dst_line, layer.oc, layer.oh, layer.ow)


@pytest.fixture
def kpu() -> Iterator[SoftKpu]:
    k = SoftKpu()
    yield k
    k.close()


# -- (1) the VOC model, layer by layer ----------------------------------------------------------


def voc_jobs(data: bytes) -> tuple[int, list[tuple[int, int, int, int, int]]]:
    """Header flags and, per K210_CONV layer: (flags, layer arg, weights, bn, act) offsets."""
    _, flags, _, n_layers, _, _, n_out = struct.unpack_from("<7I", data, 0)
    pos = 28 + 8 * n_out
    headers = [struct.unpack_from("<2I", data, pos + 8 * i) for i in range(n_layers)]
    body = pos + 8 * n_layers
    jobs = []
    for kind, size in headers:
        if kind == K210_CONV:
            fl, _, arg, wts, bn, act = struct.unpack_from("<6I", data, body)
            jobs.append((fl, arg, wts, bn, act))
        body += size
    return flags, jobs


def dog_planar() -> np.ndarray:
    rgb = np.asarray(Image.open(shared_model(DOG)).convert("RGB"))
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))  # R, G, B planes


def run_voc(kpu: SoftKpu, layers: int) -> Iterator[tuple[bytes, bytes]]:
    data = shared_model(VOC).read_bytes()
    flags, jobs = voc_jobs(data)
    assert len(jobs) == 16
    first = struct.unpack_from("<12Q", data, jobs[0][1])
    kpu.write_map(first[1] & 0x7FFF, dog_planar())
    for fl, arg, wts, bn, act in jobs[:layers]:
        words = list(struct.unpack_from("<12Q", data, arg))
        oc = ((words[2] >> 32) & 0x3FF) + 1
        ow, oh = ((words[3] >> 32) & 0x3FF) + 1, ((words[3] >> 42) & 0x1FF) + 1
        n = (words[11] >> 32) + 1
        stream = ffi.new("uint8_t[]", n) if fl & 1 else None
        st = kpu.submit_raw(words, data[wts:bn], data[bn:bn + 8 * oc], data[act:act + 144],
                            bool(flags & 1), stream=stream, stream_size=n if fl & 1 else 0)
        assert st == lib.KPU_OK, ffi.string(kpu.diag.text)
        out = kpu.read_map((words[1] >> 32) & 0x7FFF, oc, oh, ow).tobytes()
        yield out, bytes(ffi.buffer(stream)) if stream is not None else b""


def test_voc_model_every_layer_matches_the_spec_table(kpu: SoftKpu) -> None:
    results = list(run_voc(kpu, 16))
    got = [(hashlib.sha256(out).hexdigest()[:16], sum(out)) for out, _ in results]
    assert got == VOC_TABLE
    last, stream = results[-1]
    assert len(stream) == 125 * 7 * 10 and stream == last


def test_voc_layer0_with_v01_rounding() -> None:
    kpu = SoftKpu(lib.KPU_ROUND_V01)
    try:
        out, _ = next(run_voc(kpu, 1))
        assert (hashlib.sha256(out).hexdigest()[:16], sum(out)) == ("f226cd706e5898b9", 6885836)
        lib.kpu_soft_set_rounding(kpu.soft, lib.KPU_ROUND_V02)
        out, _ = next(run_voc(kpu, 1))
        assert (hashlib.sha256(out).hexdigest()[:16], sum(out)) == VOC_TABLE[0]
    finally:
        kpu.close()


# -- (2) hand-built layers against the reference ------------------------------------------------


def check_layer(kpu: SoftKpu, layer: Layer, rng: np.random.Generator, v01: bool = False) -> None:
    """Runs layer on random input over a RAM full of noise: the output matches the reference
    and every other byte of KPU RAM is untouched."""
    kpu.ram[:] = rng.integers(0, 256, RAM_BYTES, dtype=np.uint8)
    x = rng.integers(0, 256, (layer.ic, layer.ih, layer.iw), dtype=np.uint8)
    kpu.write_map(layer.src_line, x)
    before = kpu.ram.copy()
    got = kpu.run(layer, x)
    np.testing.assert_array_equal(got, reference(layer, x, v01))
    touched = layer.dst_line * 64 + map_offsets(layer.oc, layer.oh, layer.ow).ravel()
    changed = np.flatnonzero(kpu.ram != before)
    assert np.isin(changed, touched).all()


@pytest.mark.parametrize("pool_type", range(10))
def test_every_pool_type(kpu: SoftKpu, pool_type: int) -> None:
    rng = np.random.default_rng(100 + pool_type)
    # odd sizes: the last row/column edge rules of types 8 and 9, and 15 -> 7 style divisions
    check_layer(kpu, random_layer(rng, 3, 5, 13, 11, pool_type=pool_type), rng)


@pytest.mark.parametrize("width", range(1, 101))
def test_ram_layout_of_input_and_output_widths(kpu: SoftKpu, width: int) -> None:
    rng = np.random.default_rng(width)
    # 5 and 6 channels straddle the 4- and 2-channel line groups; a 1x1 layer keeps the width
    layer = random_layer(rng, 5, 6, width, 3, k=1)
    layer.src_line, layer.dst_line = 1000, 1000 + 40
    check_layer(kpu, layer, rng)


@pytest.mark.parametrize("width", [16, 17, 32, 33, 64, 65])
def test_pooled_output_uses_the_output_width_layout(kpu: SoftKpu, width: int) -> None:
    rng = np.random.default_rng(7 * width)
    # width -> width / 2 crosses a layout boundary for 33 -> 16, 65 -> 32, 64 -> 32
    check_layer(kpu, random_layer(rng, 2, 5, width, 4, k=3, pool_type=1), rng)


@pytest.mark.parametrize("k", [1, 3])
def test_depthwise(kpu: SoftKpu, k: int) -> None:
    rng = np.random.default_rng(20 + k)
    check_layer(kpu, random_layer(rng, 7, 7, 19, 6, k=k, dw=True), rng)


@pytest.mark.parametrize("pad_value", [0, 1, 200, 255])
def test_3x3_border_taps_use_pad_value(kpu: SoftKpu, pad_value: int) -> None:
    rng = np.random.default_rng(pad_value)
    layer = random_layer(rng, 3, 4, 9, 5, k=3)
    layer.pad_value = pad_value
    check_layer(kpu, layer, rng)


def test_negative_arguments_and_shifts(kpu: SoftKpu) -> None:
    rng = np.random.default_rng(5)
    layer = random_layer(rng, 4, 3, 10, 6, k=3)
    layer.arg_x, layer.shr_x = -(1 << 23), 15         # most negative 24-bit value
    layer.arg_w, layer.shr_w = -1234567, 7
    layer.arg_add = -(1 << 25) - 12345
    layer.bn = [(-(1 << 12), -5, 9), (-1, 123, 0), ((1 << 23) - 1, -(1 << 31), 15)]
    check_layer(kpu, layer, rng)


def test_16_bit_weights(kpu: SoftKpu) -> None:
    rng = np.random.default_rng(16)
    layer = random_layer(rng, 3, 4, 12, 5, k=3, eight_bit=False)
    assert layer.weights.max() > 255
    check_layer(kpu, layer, rng)


def test_16_bit_weights_depthwise_1x1(kpu: SoftKpu) -> None:
    rng = np.random.default_rng(17)
    check_layer(kpu, random_layer(rng, 3, 3, 40, 3, k=1, dw=True, eight_bit=False), rng)


def rising_table(rng: np.random.Generator, outliers: bool) -> list[Seg]:
    """Non-negative slopes with each segment starting at or above where the previous one ended,
    so the bytes never decrease as B grows (plus nncase's parked segments near 2^35, where the
    byte drops back to 0). With outliers, two far segments make the change points uneven."""
    xs = sorted({int(v) for v in rng.integers(-3000, 3000, 9)})
    if outliers:
        xs = [-1_500_000, *xs, 1_500_000]
    segs = [Seg(-(1 << 35), 0, 0, int(rng.integers(0, 30)))]
    for x in xs:
        prev = segs[-1]
        end = prev.add if prev.y_mul == 0 else rne_buggy((x - prev.x_start) * prev.y_mul,
                                                         prev.shift) + prev.add
        segs.append(Seg(x, int(rng.integers(0, 400)), int(rng.integers(0, 12)),
                        min(255, end + int(rng.integers(0, 4)))))
    parked = [Seg((1 << 35) - 16 + i, 0, 0, 0) for i in range(16 - len(segs))]
    return segs + parked


@pytest.mark.parametrize("rounding", [0, 1])
@pytest.mark.parametrize("pool_type", [0, 1, 2, 3, 5, 6, 7, 9])
def test_rising_tables_with_every_pool_type(pool_type: int, rounding: int) -> None:
    """The activation lookup table, and max/pick pooling before the activation, against the
    reference; channel 0 has a negative norm_mul (then max pooling must come after)."""
    rng = np.random.default_rng(1000 + 10 * pool_type + rounding)
    kpu = SoftKpu(rounding)
    try:
        for outliers in (False, True):
            layer = random_layer(rng, 3, 5, 21, 9, k=3, pool_type=pool_type)
            layer.act = rising_table(rng, outliers)
            layer.bn[0] = (-int(rng.integers(1, 64)), 300, layer.bn[0][2])
            if outliers:  # some channels reach the far segments
                layer.bn[1] = (layer.bn[1][0] * 512, layer.bn[1][1], layer.bn[1][2])
                layer.bn[2] = (-layer.bn[2][0] * 512, layer.bn[2][1], layer.bn[2][2])
            check_layer(kpu, layer, rng, v01=bool(rounding))
    finally:
        kpu.close()


def test_a_table_that_drops_inside_the_reachable_range(kpu: SoftKpu) -> None:
    rng = np.random.default_rng(77)
    layer = random_layer(rng, 2, 4, 16, 8, k=3, pool_type=1)
    segs = rising_table(rng, False)
    segs[5] = Seg(segs[5].x_start, segs[5].y_mul, segs[5].shift, 0)  # falls back to 0 here
    layer.act = segs
    check_layer(kpu, layer, rng)


def unit_layer(values: np.ndarray, act: list[Seg], add: int = 0) -> tuple[Layer, np.ndarray]:
    """1x1, one channel, weight 1, BN identity (+add): B equals the input byte + add."""
    x = values.astype(np.uint8).reshape(1, 1, -1)
    segs = act + [Seg((1 << 35) - 1, 0, 0, 0)] * (16 - len(act))
    layer = Layer(ic=1, oc=1, iw=x.shape[2], ih=1, weights=np.ones((1, 1, 1, 1), np.int64),
                  bn=[(1, add, 0)], act=segs)
    return layer, x


def test_negative_products_round_the_buggy_way(kpu: SoftKpu) -> None:
    # B - x_start = 5 and 1, y_mul = -1: v = -5 (s = 2) and -1 (s = 1), add 10 (spec 4.7)
    base = Seg(-(1 << 35), 0, 0, 0)
    layer, x = unit_layer(np.array([5]), [base, Seg(0, -1, 2, 10)])
    assert kpu.run(layer, x).ravel().tolist() == [10 - 3]
    layer, x = unit_layer(np.array([1]), [base, Seg(0, -1, 1, 10)])
    assert kpu.run(layer, x).ravel().tolist() == [10 - 2]


def test_rounding_modes_and_segment_choice() -> None:
    base = Seg(-(1 << 35), 0, 0, 7)
    segs = [base, Seg(-60, -3, 3, 120), Seg(100, 1, 2, 50)]
    values = np.arange(256)
    # by hand, B = value - 145. B = 100: v0.2 keeps segment 1 (x_start < B): v = 160 * -3 =
    # -480, >> 3 = -60, + 120 = 60; v0.1 takes segment 2 (x_start <= B): v = 0 -> 50.
    # B = 110: v = 10, s = 2 is 2.5: RNE_buggy 2, CS 3 (+ 50).
    for rounding, v01, at_100, at_110 in ((lib.KPU_ROUND_V02, False, 60, 52),
                                          (lib.KPU_ROUND_V01, True, 50, 53)):
        kpu = SoftKpu(rounding)
        try:
            layer, x = unit_layer(values, segs, add=-145)
            got = kpu.run(layer, x).ravel()
            assert got[245] == at_100 and got[255] == at_110
            assert got.tolist() == [activation(int(v) - 145, layer.act, v01) for v in values]
        finally:
            kpu.close()


def test_unsorted_activation_table_takes_the_highest_index(kpu: SoftKpu) -> None:
    base = Seg(-(1 << 35), 0, 0, 3)
    segs = [base, Seg(50, 1, 0, 0), Seg(-20, 2, 1, 9), Seg(200, 0, 0, 250), Seg(10, 1, 1, 1)]
    layer, x = unit_layer(np.arange(256), segs, add=-30)
    got = kpu.run(layer, x).ravel()
    assert got.tolist() == [activation(int(v) - 30, layer.act, False) for v in range(256)]
    # by hand: B = 225 > 200, but segment 4 (x_start 10) has the highest index:
    # v = 215, s = 1 is 107.5 -> 108 (RNE), + 1
    assert got[255] == 109


def test_rounding_shift_functions() -> None:
    # spec 4.7 examples, then halves: RNE_buggy rounds 2.5 to 2, CS to 3
    assert lib.kpu_round_rne_buggy(-5, 2) == -3 and lib.kpu_round_rne_buggy(-1, 1) == -2
    assert lib.kpu_round_carry_shift(-1, 1) == -2 and lib.kpu_round_carry_shift(-5, 2) == -3
    assert lib.kpu_round_rne_buggy(10, 2) == 2 and lib.kpu_round_carry_shift(10, 2) == 3
    assert lib.kpu_round_rne_buggy(6, 2) == 2 and lib.kpu_round_rne_buggy(7, 0) == 7
    for v in (-(1 << 62), -12345, -1, 0, 1, 99991, 1 << 62):
        for s in (0, 1, 5, 31, 40, 63, 64, 70, 255):
            assert lib.kpu_round_rne_buggy(v, s) == rne_buggy(v, s), (v, s)
            assert lib.kpu_round_carry_shift(v, s) == carry_shift(v, s), (v, s)


def test_stream_out_is_the_compact_result(kpu: SoftKpu) -> None:
    rng = np.random.default_rng(3)
    layer = random_layer(rng, 2, 5, 20, 6, k=3, pool_type=5)
    x = rng.integers(0, 256, (2, 6, 20), dtype=np.uint8)
    compact = reference(layer, x).tobytes()
    kpu.run(layer, x, stream_size=len(compact))
    assert kpu.stream == compact
    kpu.run(layer, x, stream_size=len(compact) + 9)   # longer: the rest is zero
    assert kpu.stream == compact + bytes(9)
    kpu.run(layer, x, stream_size=7)                  # shorter: only what fits
    assert kpu.stream == compact[:7]


def test_layout_store_and_load_match_the_spec_formula(kpu: SoftKpu) -> None:
    rng = np.random.default_rng(9)
    for c, h, w in ((5, 3, 1), (6, 2, 17), (3, 4, 33), (2, 2, 64), (3, 2, 100)):
        lay = ffi.new("kpu_ram_layout_t *")
        assert lib.kpu_ram_layout_init(lay, w, h, c) == lib.KPU_OK
        kpu.ram[:] = 0
        data = rng.integers(1, 256, (c, h, w), dtype=np.uint8)
        raw = data.tobytes()
        ram = lib.kpu_soft_ram(kpu.soft)
        assert lib.kpu_ram_layout_store(lay, ram, 7, raw, len(raw)) == lib.KPU_OK
        np.testing.assert_array_equal(kpu.read_map(7, c, h, w), data)
        assert np.count_nonzero(kpu.ram) == data.size
        back = ffi.new("uint8_t[]", len(raw))
        assert lib.kpu_ram_layout_read(lay, ffi.addressof(kpu.backend), 7, 0, c, back,
                                       len(raw)) == lib.KPU_OK
        assert bytes(back) == raw
        lines = lib.kpu_ram_layout_lines(lay)
        assert lines == (map_offsets(c, h, w).max() + 64) // 64
        assert lib.kpu_ram_layout_check(lay, 32768 - lines) == lib.KPU_OK
        assert lib.kpu_ram_layout_check(lay, 32769 - lines) == lib.KPU_ERR_BOUNDS


# -- (3) invalid jobs ---------------------------------------------------------------------------


def base_layer() -> Layer:
    return random_layer(np.random.default_rng(0), 4, 4, 20, 8, k=3)


def submit_status(kpu: SoftKpu, layer: Layer, **job: int) -> int:
    kpu.ram[:] = 0x5A
    st = kpu.submit_raw(arg_words(layer), weight_bytes(layer), bn_bytes(layer.bn),
                        act_bytes(layer.act), layer.eight_bit, **job)
    if st != lib.KPU_OK:
        assert ffi.string(kpu.diag.text), "a failure explains itself"
        assert (kpu.ram == 0x5A).all(), "a rejected job writes nothing"
    return st


def test_valid_base_job_runs(kpu: SoftKpu) -> None:
    assert submit_status(kpu, base_layer()) == lib.KPU_OK


@pytest.mark.parametrize("which", ["src", "dst"])
def test_map_beyond_2mib_is_a_bounds_error(kpu: SoftKpu, which: str) -> None:
    layer = base_layer()  # 20 x 8 x 4: 8 lines at 2 channels per line group
    setattr(layer, f"{which}_line", 32768 - 15)
    assert submit_status(kpu, layer) == lib.KPU_ERR_BOUNDS
    setattr(layer, f"{which}_line", 32768 - 16)
    assert submit_status(kpu, layer) == lib.KPU_OK


def test_depthwise_needs_as_many_outputs_as_inputs(kpu: SoftKpu) -> None:
    layer = random_layer(np.random.default_rng(1), 4, 4, 10, 5, k=3, dw=True)
    layer.oc = 3
    layer.bn = layer.bn[:3]
    assert submit_status(kpu, layer) == lib.KPU_ERR_FORMAT


def test_too_few_weight_bytes(kpu: SoftKpu) -> None:
    layer = base_layer()
    need = 4 * 4 * 9
    assert submit_status(kpu, layer, weights_size=need - 1) == lib.KPU_ERR_BOUNDS
    layer16 = random_layer(np.random.default_rng(2), 4, 4, 20, 8, k=3, eight_bit=False)
    assert submit_status(kpu, layer16, weights_size=2 * need - 1) == lib.KPU_ERR_BOUNDS


@pytest.mark.parametrize("pool_type", range(10, 16))
def test_pool_types_10_to_15_are_rejected(kpu: SoftKpu, pool_type: int) -> None:
    layer = base_layer()
    layer.pool_type = pool_type
    assert submit_status(kpu, layer) == lib.KPU_ERR_FORMAT


@pytest.mark.parametrize("kernel_type", range(2, 8))
def test_kernel_types_2_to_7_are_rejected(kpu: SoftKpu, kernel_type: int) -> None:
    layer = base_layer()
    layer.kernel_type = kernel_type
    assert submit_status(kpu, layer) == lib.KPU_ERR_FORMAT


@pytest.mark.parametrize("size", [(20, 8), (10, 3), (9, 4), (11, 4)])
def test_output_size_must_be_the_pooled_input_size(kpu: SoftKpu, size: tuple[int, int]) -> None:
    layer = base_layer()
    layer.pool = 1
    layer.out_size = size
    assert submit_status(kpu, layer) == lib.KPU_ERR_FORMAT


def test_pooling_a_too_small_input_is_rejected(kpu: SoftKpu) -> None:
    layer = random_layer(np.random.default_rng(4), 1, 1, 3, 3, k=1, pool_type=3)
    layer.out_size = (1, 1)  # 3 / 4 = 0: there is no output
    assert submit_status(kpu, layer) == lib.KPU_ERR_FORMAT


def test_missing_tables_and_job(kpu: SoftKpu) -> None:
    assert kpu.backend.ops.submit(kpu.backend.self, ffi.NULL, kpu.diag) == lib.KPU_ERR_ARGUMENT
    job = ffi.new("kpu_conv_job_t *")
    assert kpu.backend.ops.submit(kpu.backend.self, job, kpu.diag) == lib.KPU_ERR_ARGUMENT


def test_wait_without_submit_and_ram_access_bounds(kpu: SoftKpu) -> None:
    ops, me = kpu.backend.ops, kpu.backend.self
    assert ops.wait(me, 10, kpu.diag) == lib.KPU_ERR_STATE
    buf = ffi.new("uint8_t[]", 16)
    assert ops.ram_write(me, RAM_BYTES - 16, b"0123456789abcdef", 16) == lib.KPU_OK
    assert ops.ram_read(me, RAM_BYTES - 16, buf, 16) == lib.KPU_OK
    assert bytes(buf) == b"0123456789abcdef"
    assert ops.ram_read(me, RAM_BYTES - 15, buf, 16) == lib.KPU_ERR_BOUNDS
    assert ops.ram_write(me, RAM_BYTES - 15, buf, 16) == lib.KPU_ERR_BOUNDS
    assert ops.ram_read(me, (1 << 64) - 1, buf, 2) == lib.KPU_ERR_BOUNDS
    assert ops.ram_write(me, 4, ffi.NULL, 1) == lib.KPU_ERR_ARGUMENT


def test_memory_is_counted_and_out_of_memory_is_reported() -> None:
    stats = ffi.new("kpu_alloc_std_stats_t *")
    alloc = ffi.new("kpu_allocator_t *", lib.kpu_alloc_std_counting(stats))
    pp = ffi.new("kpu_soft_t **")
    stats.limit = RAM_BYTES  # the RAM image alone does not fit next to the object
    assert lib.kpu_soft_create(pp, alloc, 0) == lib.KPU_ERR_NO_MEMORY
    assert pp[0] == ffi.NULL and stats.in_use == 0
    stats.limit = 0
    assert lib.kpu_soft_create(pp, alloc, 0) == lib.KPU_OK
    soft = pp[0]
    assert ffi.buffer(lib.kpu_soft_ram(soft), RAM_BYTES)[:] == bytes(RAM_BYTES)
    idle = lib.kpu_soft_memory(soft)
    assert idle >= RAM_BYTES and stats.in_use == idle
    # a layer's scratch comes from the same allocator; refusing it fails the job cleanly
    layer = base_layer()
    job = ffi.new("kpu_conv_job_t *")
    for i, v in enumerate(arg_words(layer)):
        job.arg[i] = v
    tables = [ffi.new("uint8_t[]", t) for t in (weight_bytes(layer), bn_bytes(layer.bn),
                                                 act_bytes(layer.act))]
    job.weights, job.bn, job.act = tables
    job.weights_size, job.eight_bit = len(weight_bytes(layer)), 1
    backend, diag = lib.kpu_soft_backend(soft), ffi.new("kpu_diag_t *")
    stats.limit = stats.in_use + 100
    assert backend.ops.submit(backend.self, job, diag) == lib.KPU_ERR_NO_MEMORY
    stats.limit = 0
    assert backend.ops.submit(backend.self, job, diag) == lib.KPU_OK
    assert lib.kpu_soft_memory(soft) > idle and stats.in_use == lib.kpu_soft_memory(soft)
    lib.kpu_soft_destroy(soft)
    assert stats.in_use == 0 and stats.allocs == stats.frees


def test_random_jobs_never_crash_and_only_write_their_output_map(kpu: SoftKpu) -> None:
    """Random layer arguments and tables (sizes kept small so the test stays fast): every job
    returns a known status, and a job that runs writes nothing but its output map."""
    rng = np.random.default_rng(2024)
    known = {lib.KPU_OK, lib.KPU_ERR_FORMAT, lib.KPU_ERR_BOUNDS}
    ran = 0
    for _ in range(150):
        words = [int(v) for v in rng.integers(0, 1 << 63, 12, dtype=np.uint64)]
        words = [w | (int(rng.integers(0, 2)) << 63) for w in words]
        words[2] &= ~((0x3F8 << 0) | (0x3F8 << 32))      # at most 8 channels
        words[3] &= ~((0x3E0 << 0) | (0x1E0 << 10) | (0x3E0 << 32) | (0x1E0 << 42))
        if rng.integers(0, 5):                            # mostly valid kernel and pool types
            words[4] = (words[4] & ~0xF7) | int(rng.integers(0, 2)) | int(rng.integers(0, 10)) << 4
        if rng.integers(0, 2):                            # often a consistent output size
            iw, ih = (words[3] & 0x3FF) + 1, ((words[3] >> 10) & 0x1FF) + 1
            s = {0: 1, 8: 1, 9: 1, 1: 2, 2: 2, 5: 2, 6: 2, 3: 4, 4: 4, 7: 4}.get(
                (words[4] >> 4) & 15, 1)
            words[3] = (words[3] & ~((0x3FF << 32) | (0x1FF << 42))) | \
                (max(iw // s, 1) - 1) << 32 | (max(ih // s, 1) - 1) << 42
        weights = rng.integers(0, 256, int(rng.integers(1, 1300)), dtype=np.uint8).tobytes()
        bn = rng.integers(0, 256, 8 * 8, dtype=np.uint8).tobytes()
        act = rng.integers(0, 256, 144, dtype=np.uint8).tobytes()
        kpu.ram[:] = 0x33
        st = kpu.submit_raw(words, weights, bn, act, bool(rng.integers(0, 2)))
        assert st in known, ffi.string(kpu.diag.text)
        if st == lib.KPU_OK:
            ran += 1
            oc = ((words[2] >> 32) & 0x3FF) + 1
            ow, oh = ((words[3] >> 32) & 0x3FF) + 1, ((words[3] >> 42) & 0x1FF) + 1
            dst = ((words[1] >> 32) & 0x7FFF) * 64
            changed = np.flatnonzero(kpu.ram != 0x33)
            assert np.isin(changed, dst + map_offsets(oc, oh, ow).ravel()).all()
        else:
            assert (kpu.ram == 0x33).all()
    assert ran > 20
