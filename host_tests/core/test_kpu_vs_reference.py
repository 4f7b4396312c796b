"""The C core (loader, runtime, software KPU) against the NumPy reference, bit for bit.

Hypothesis draws single-layer and short multi-layer models, the project's writer builds the
kmodel, the C core runs it through maixkpu.core, and every layer output, the main-memory output
and the whole 2 MiB KPU RAM image must equal what host_tests/reference/kpu_ref.py computes.
Tables are drawn relative to the layer's actual accumulator and batch-norm values so outputs
spread over 0..255 instead of saturating.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_tests.core.kpu_strategies import Shape, draw_conv, make_input, shapes, weights_bytes
from host_tests.reference import kpu_ref
from maixkpu.kmodel import ActSegment, ActTable, BatchNorm, KpuConv, ModelBuilder

core = pytest.importorskip("maixkpu.core", reason="the cffi core extension is not built")

ROUNDINGS = {"v0.2": "v02", "v0.1": "v01"}
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]


def run_and_compare(convs: list[KpuConv], x: np.ndarray, rounding: str, eight_bit: bool,
                    garbage_seed: int | None) -> None:
    b = ModelBuilder(eight_bit=eight_bit)
    maps = [b.kpu_input(convs[0].in_w, convs[0].in_h, convs[0].ic)]
    for conv in convs:
        maps.append(b.conv(conv, maps[-1]))
    b.output(maps[-1].main)  # type: ignore[arg-type]
    model_bytes = b.build()

    soft = core.SoftKpu(rounding)
    ram = kpu_ref.new_ram()
    if garbage_seed is not None:  # bytes the layers must not touch stay as they were
        ram[:] = np.random.default_rng(garbage_seed).integers(0, 256, ram.size, dtype=np.uint8)
        soft.write_ram(0, ram.tobytes())
    kpu_ref.write_map(ram, maps[0].address, x)  # type: ignore[arg-type]
    expected = []
    for conv, src, dst in zip(convs, maps, maps[1:]):
        layer = conv.to_layer(src.address, dst.address, 0)
        expected.append(kpu_ref.run_layer(
            ram, layer.arg.encode(), weights_bytes(conv), layer.bn.encode(),
            layer.act.encode(), eight_bit, ROUNDINGS[rounding]))

    model = core.Model.load(model_bytes)
    try:
        model.run(x, backend=soft)
        got_ram = soft.read_ram()
        diff = np.flatnonzero(got_ram != ram)
        assert diff.size == 0, f"KPU RAM differs at {diff.size} bytes, first {diff[:8].tolist()}"
        out = np.frombuffer(model.output(0).tobytes(), np.uint8)[: expected[-1].size]
        assert np.array_equal(out, expected[-1].reshape(-1)), "main-memory output"
        for i, want in reversed(list(enumerate(expected))):
            if i < len(expected) - 1:  # later layers may reuse its memory: stop after it
                model.run(x, last_layer=i, backend=soft)
            got = model.layer_output(i)
            assert got.shape == want.shape
            assert np.array_equal(got, want), f"layer {i}: {np.count_nonzero(got != want)} bytes"
    finally:
        model.close()
        soft.close()


@settings(max_examples=120, deadline=None, suppress_health_check=HEALTH)
@given(st.data(), shapes(), st.sampled_from(list(ROUNDINGS)), st.booleans(),
       st.integers(0, 3), st.booleans())
def test_single_layer(data: st.DataObject, s: Shape, rounding: str, eight_bit: bool,
                      input_style: int, garbage: bool) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="input seed"))
    x = make_input(rng, input_style, (s.ic, s.h, s.w))
    conv = draw_conv(data, s, x, eight_bit)
    conv.main_out = True
    run_and_compare([conv], x, rounding, eight_bit, 1 if garbage else None)


@settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
@given(st.data(), st.integers(2, 3), st.sampled_from(list(ROUNDINGS)))
def test_short_chains(data: st.DataObject, n_layers: int, rounding: str) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="input seed"))
    s = data.draw(shapes(), label="layer 0")
    x = make_input(rng, 0, (s.ic, s.h, s.w))
    convs, cur = [], x
    for i in range(n_layers):
        if i:
            s = data.draw(shapes(ic=cur.shape[0], w=cur.shape[2], h=cur.shape[1]),
                          label=f"layer {i}")
        conv = draw_conv(data, s, cur, True)
        conv.main_out = i == n_layers - 1 or data.draw(st.booleans(), label="main out")
        convs.append(conv)
        layer = conv.to_layer(0, 0, 0)
        cur = kpu_ref.compute_layer(cur, layer.arg.encode(), weights_bytes(conv),
                                    layer.bn.encode(), layer.act.encode(), True,
                                    ROUNDINGS[rounding])
    run_and_compare(convs, x, rounding, True, None)


@pytest.mark.parametrize("width", [1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100])
@pytest.mark.parametrize("rounding", list(ROUNDINGS))
def test_layout_boundaries(width: int, rounding: str) -> None:
    """Every width where the KPU RAM layout changes, with a map ending at the last line."""
    rng = np.random.default_rng(width)
    x = rng.integers(0, 256, (5, 3, width), dtype=np.uint8)
    w = rng.integers(0, 256, 5 * 5 * 9).astype(np.uint8)
    act = ActTable([ActSegment(-(1 << 35), 0, 0, 0)]
                   + [ActSegment(i * 40_000 - 300_000, 3 - i % 7, 12, 17 * i) for i in range(15)])
    lines = int(kpu_ref.map_addresses(0, width, 3, 5).max()) // 64 + 1
    conv = KpuConv(width, 3, 5, 5, w, pad_value=7, arg_x=-3 << 10, shr_x=10, arg_w=-100,
                   arg_add=1000, bn=BatchNorm.identity(5, -50_000), act=act, main_out=True,
                   in_addr=0, out_addr=32768 - lines)
    run_and_compare([conv], x, rounding, True, 3)
