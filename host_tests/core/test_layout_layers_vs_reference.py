"""KPU conv layers joined by the layout-conversion layers of spec 6 (K210_UPLOAD,
K210_ADD_PADDING, K210_REMOVE_PADDING), run by the C core and by the NumPy reference on the same
random initial KPU RAM: the final output and the whole RAM image must match byte for byte (the
15 pixels ADD_PADDING leaves alone feed the next conv, so they must be the same stale bytes)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_tests.core.kpu_strategies import (
    draw_conv,
    limit_oc,
    make_input,
    shapes,
    weights_bytes,
)
from host_tests.reference import kpu_ref
from maixkpu.kmodel import K210AddPadding, K210RemovePadding, K210Upload, KpuConv, ModelBuilder

core = pytest.importorskip("maixkpu.core", reason="the cffi core extension is not built")

ROUNDINGS = {"v0.2": "v02", "v0.1": "v01"}
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _ref_conv(ram: np.ndarray, conv: KpuConv, src: int | None, dst: int | None,
              rounding: str) -> np.ndarray:
    layer = conv.to_layer(src, dst, 0)
    return kpu_ref.run_layer(ram, layer.arg.encode(), weights_bytes(conv), layer.bn.encode(),
                             layer.act.encode(), True, ROUNDINGS[rounding])


def _run_core(model_bytes: bytes, x: np.ndarray, rounding: str, garbage: np.ndarray,
              ) -> tuple[bytes, np.ndarray]:
    soft = core.SoftKpu(rounding)
    soft.write_ram(0, garbage.tobytes())
    model = core.Model.load(model_bytes)
    try:
        model.run(x, backend=soft)
        return model.output(0).tobytes(), soft.read_ram()
    finally:
        model.close()
        soft.close()


def _assert_same(got: tuple[bytes, np.ndarray], want_out: np.ndarray, ram: np.ndarray) -> None:
    out, got_ram = got
    assert np.frombuffer(out, np.uint8)[: want_out.size].tolist() == want_out.reshape(-1).tolist()
    diff = np.flatnonzero(got_ram != ram)
    assert diff.size == 0, f"KPU RAM differs at {diff.size} bytes, first {diff[:8].tolist()}"


@settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
@given(st.data(), st.sampled_from(list(ROUNDINGS)))
def test_conv_upload_conv(data: st.DataObject, rounding: str) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    sa = data.draw(shapes(), label="conv A")
    x = make_input(rng, 0, (sa.ic, sa.h, sa.w))
    conv_a = draw_conv(data, sa, x, True)
    conv_a.main_out = True
    a_out = kpu_ref.compute_layer(x, *_parts(conv_a), True, ROUNDINGS[rounding])
    oc, oh, ow = a_out.shape
    # The upload may change the width (and so the layout): same bytes, reshaped.
    new_w = data.draw(st.sampled_from([d for d in range(1, 101) if (oc * oh * ow) % d == 0]),
                      label="upload width")
    up_shape = (1, oc * oh * ow // new_w, new_w) if new_w != ow else (oc, oh, ow)
    if up_shape[1] > 512:
        up_shape = (oc, oh, ow)
    sb = data.draw(shapes(ic=up_shape[0], w=up_shape[2], h=up_shape[1]), label="conv B")
    conv_b = draw_conv(data, sb, a_out.reshape(up_shape), True)
    conv_b.main_out = True

    b = ModelBuilder()
    xin = b.kpu_input(sa.w, sa.h, sa.ic)
    ya = b.conv(conv_a, xin)
    kmap = b.kpu_map(up_shape[2], up_shape[1], up_shape[0])
    b.add(K210Upload(width=up_shape[2], height=up_shape[1], channels=up_shape[0]),
          in_address=ya.main, kpu_mem_out_address=kmap)
    yb = b.conv(conv_b, kmap)
    b.output(yb.main)
    model_bytes = b.build()

    garbage = rng.integers(0, 256, kpu_ref.RAM_BYTES, dtype=np.uint8)
    ram = garbage.copy()
    kpu_ref.write_map(ram, xin.address, x)
    out_a = _ref_conv(ram, conv_a, xin.address, ya.address, rounding)
    kpu_ref.upload(ram, kmap.address, out_a.reshape(up_shape))
    out_b = _ref_conv(ram, conv_b, kmap.address, yb.address, rounding)
    _assert_same(_run_core(model_bytes, x, rounding, garbage), out_b, ram)


@settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
@given(st.data(), st.sampled_from(list(ROUNDINGS)), st.sampled_from([1, 3]))
def test_fully_connected_on_the_kpu(data: st.DataObject, rounding: str, kernel: int) -> None:
    """conv to a C-vector -> ADD_PADDING -> conv on the 4x4 map -> REMOVE_PADDING (spec 6)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    sa = data.draw(shapes(w=1, h=1), label="conv A")
    x = make_input(rng, 0, (sa.ic, 1, 1))
    conv_a = draw_conv(data, sa, x, True)
    conv_a.main_out = True
    a_out = kpu_ref.compute_layer(x, *_parts(conv_a), True, ROUNDINGS[rounding])
    c = a_out.shape[0]
    sb = data.draw(shapes(ic=c, w=4, h=4), label="conv B")
    sb.kernel, sb.pool = kernel, 0
    if not sb.depthwise:
        sb.oc = limit_oc(sb.oc, c, kernel, 16)
    padded = rng.integers(0, 256, (c, 4, 4), dtype=np.uint8)  # stand-in for stale pixels
    padded[:, 0, 0] = a_out[:, 0, 0]
    conv_b = draw_conv(data, sb, padded, True)
    conv_b.main_out = True

    b = ModelBuilder()
    xin = b.kpu_input(1, 1, sa.ic)
    ya = b.conv(conv_a, xin)
    kmap = b.kpu_map(4, 4, c)
    b.add(K210AddPadding(channels=c), in_address=ya.main, kpu_mem_out_address=kmap)
    yb = b.conv(conv_b, kmap)
    vec = b.main(sb.oc)
    b.add(K210RemovePadding(channels=sb.oc), in_address=yb.main, out_address=vec)
    b.output(vec)
    model_bytes = b.build()

    garbage = rng.integers(0, 256, kpu_ref.RAM_BYTES, dtype=np.uint8)
    ram = garbage.copy()
    kpu_ref.write_map(ram, xin.address, x)
    out_a = _ref_conv(ram, conv_a, xin.address, ya.address, rounding)
    kpu_ref.add_padding(ram, kmap.address, out_a[:, 0, 0])
    out_b = _ref_conv(ram, conv_b, kmap.address, yb.address, rounding)
    _assert_same(_run_core(model_bytes, x, rounding, garbage), kpu_ref.remove_padding(out_b), ram)


def _parts(conv: KpuConv) -> tuple[bytes, bytes, bytes, bytes]:
    layer = conv.to_layer(0, 0, 0)
    return layer.arg.encode(), weights_bytes(conv), layer.bn.encode(), layer.act.encode()
