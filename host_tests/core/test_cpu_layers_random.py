"""Random CPU-layer bodies: whatever the words say, validation gives a clear status, and a body
it accepts runs without touching memory outside the model (run this file under `make sanitize`
to have ASan and UBSan watch the kernels)."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from host_tests.core import v3_files as v3
from host_tests.core.v3_files import f32, u32
from maixkpu._core import ffi, lib

CPU_TYPES = [v3.ADD, v3.QUANTIZED_ADD, v3.GLOBAL_AVERAGE_POOL2D, v3.QUANTIZED_MAX_POOL2D,
             v3.AVERAGE_POOL2D, v3.QUANTIZE, v3.DEQUANTIZE, v3.REQUANTIZE, v3.L2_NORMALIZATION,
             v3.SOFTMAX, v3.CONCAT, v3.QUANTIZED_CONCAT, v3.FULLY_CONNECTED,
             v3.TENSORFLOW_FLATTEN, v3.RESIZE_NEAREST_NEIGHBOR,
             v3.QUANTIZED_RESIZE_NEAREST_NEIGHBOR, v3.CHANNELWISE_DEQUANTIZE, v3.LOGISTIC,
             v3.K210_REMOVE_PADDING]
REFUSALS = {"KPU_ERR_FORMAT", "KPU_ERR_BOUNDS", "KPU_ERR_TRUNCATED"}

# words that make valid-looking bodies likely: small counts, offsets, shifts, and extremes
small = st.integers(0, 4)
offset = st.sampled_from([0, 8, 16, 32, 64, 96, 120, 127, 128, 250])
word = st.one_of(small, small, small, offset, offset, st.integers(0, 0xFFFFFFFF),
                 st.sampled_from([0xFFFFFFFF, 0x80000000, 63, 64]))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(type_=st.sampled_from(CPU_TYPES), words=st.lists(word, min_size=3, max_size=24),
       tail=st.binary(max_size=300), main_mem=st.sampled_from([24, 128, 256, 512, 1024]))
def test_random_bodies_validate_cleanly_and_run_in_bounds(type_: int, words: list[int],
                                                          tail: bytes, main_mem: int) -> None:
    fc = u32(0, 0, 8, 2, 2, 0) + f32(1, 0, 0, 1, 0, 0)
    data = v3.v3_file([(v3.FULLY_CONNECTED, fc), (type_, u32(*words) + tail)],
                      main_mem=main_mem)
    status, diag = v3.validate(data)
    event(status)
    if status != "KPU_OK":
        assert status in REFUSALS and v3.text(diag) and diag.layer == 1
        return
    alloc = v3.Counting()
    status, diag, model = v3.load(data, alloc=alloc)
    assert status == "KPU_OK", v3.text(diag)
    d = ffi.new("kpu_diag_t*")
    x = f32(1.5, -2.0)
    assert lib.kpu_model_run(model, ffi.NULL, x, len(x), -1, d) == lib.KPU_OK, v3.text(d)
    info = ffi.new("kpu_tensor_info_t*")
    assert lib.kpu_model_layer_output_info(model, 1, info, d) == lib.KPU_OK
    if info.size <= 1 << 16:
        buf = ffi.new("uint8_t[]", max(1, info.size))
        n = ffi.new("size_t*")
        assert lib.kpu_model_read_layer_output(model, ffi.NULL, 1, -1, buf, info.size, n,
                                               d) == lib.KPU_OK
        assert n[0] == info.size
    v3.free(model)
    assert alloc.in_use == 0
