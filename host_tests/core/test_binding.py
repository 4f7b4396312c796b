"""maixkpu.core: the cffi binding of the C core (models, outputs, feature maps, errors, lifetime).

Expected figures come from the model facts in ../shared/models/README.md (iris golden vector,
MNIST feature-map sizes, face layer counts), not from this code.
"""
from __future__ import annotations

import pickle
import struct
import threading
import zipfile
from collections.abc import Iterator

import numpy as np
import pytest

from host_tests.conftest import shared_model
from maixkpu import core
from maixkpu._core import ffi, lib

IRIS = "nncase010rc5_iris_float.kmodel"
IRIS_V4 = "nncase020b4_iris_float.kmodel"
MNIST = "sipeed_mnist_28x28.kmodel"
FACE = "sipeed_facedetect_320x240.kmodel"
V5 = "nncase_master_benchmark_cpu_mnist.kmodel"
IRIS_IN = [5.1, 3.8, 1.9, 0.4]
IRIS_OUT = [16.077795, 5.607656, -2.071745]


def core_diag_text(data: bytes, flags: int = 0) -> tuple[int, str]:
    """Status and text straight from kpu_model_validate, without the binding's wrapper."""
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_model_validate(ffi.from_buffer(data), len(data), flags, diag)
    return int(st), ffi.string(diag.text).decode()


def be_face_bytes() -> bytes:
    pkg = shared_model("sipeed_face_model_be_at_0x600000.kfpkg")
    with zipfile.ZipFile(pkg) as z:
        return z.read("facedetect_be.kmodel")


@pytest.fixture
def iris() -> Iterator[core.Model]:
    with core.Model.load(shared_model(IRIS)) as model:
        yield model


@pytest.fixture
def mnist() -> Iterator[core.Model]:
    with core.Model.load(shared_model(MNIST)) as model:
        yield model


# -- loading -------------------------------------------------------------------------------------


def test_model_from_bytes_str_and_path_describe_the_same_model() -> None:
    path = shared_model(IRIS)
    from_bytes = core.Model.load(path.read_bytes())
    from_str = core.Model(str(path))
    from_path = core.Model.load(path)
    for m in (from_bytes, from_str, from_path):
        assert (m.version, m.layer_count, m.output_count) == (3, 2, 1)
        assert [layer.type_name for layer in m.layers()] == ["FULLY_CONNECTED"] * 2
        assert m.data == path.read_bytes()
        m.close()
    assert from_bytes.path is None and from_path.path == path


def test_iris_input_info_is_four_floats(iris: core.Model) -> None:
    info = iris.input_info
    assert info.dtype == np.float32
    assert info.w * info.h * info.c == 4 and info.size == 16


def test_iris_golden_vector(iris: core.Model) -> None:
    outputs = iris.run(np.array(IRIS_IN, dtype=np.float32))
    assert len(outputs) == 1
    out = outputs[0]
    assert out.dtype == np.float32 and out.shape == (3,)
    np.testing.assert_allclose(out, IRIS_OUT, rtol=1e-5)
    assert int(np.argmax(out)) == 0  # setosa
    np.testing.assert_array_equal(iris.output(0), out)


def test_run_accepts_a_list_and_raw_bytes(iris: core.Model) -> None:
    from_list = iris.run(IRIS_IN)[0]
    from_bytes = iris.run(np.array(IRIS_IN, dtype="<f4").tobytes())[0]
    np.testing.assert_allclose(from_list, IRIS_OUT, rtol=1e-5)
    np.testing.assert_array_equal(from_list, from_bytes)


def test_model_keeps_its_own_copy_of_the_bytes() -> None:
    buf = bytearray(shared_model(IRIS).read_bytes())
    with core.Model.load(buf) as model:
        buf[:] = bytes(len(buf))  # the caller reuses its buffer: the model must not notice
        np.testing.assert_allclose(model.run(IRIS_IN)[0], IRIS_OUT, rtol=1e-5)


def test_validate_accepts_real_models_and_rejects_garbage() -> None:
    core.validate(shared_model(IRIS).read_bytes())
    core.validate(shared_model(FACE))
    with pytest.raises(core.KpuError) as info:
        core.validate(b"this is not a kmodel at all")
    assert info.value.maixpy_code == 2002


def test_kmodel_version_of_real_files() -> None:
    assert core.kmodel_version(shared_model(IRIS).read_bytes()) == (3, False)
    assert core.kmodel_version(shared_model(IRIS_V4).read_bytes()) == (4, False)
    assert core.kmodel_version(shared_model(V5).read_bytes()) == (5, False)
    assert core.kmodel_version(be_face_bytes()) == (3, True)
    assert core.kmodel_version(b"\x00" * 8)[0] == 0


def test_swap_words_turns_the_be_package_into_the_le_model() -> None:
    le = shared_model(FACE).read_bytes()
    assert core.swap_words(be_face_bytes()) == le


def test_layer_type_names() -> None:
    assert core.layer_type_name(10240) == "K210_CONV"
    assert core.layer_type_name(12) == "DEQUANTIZE"
    assert core.layer_type_name(99) == "UNKNOWN_99"


# -- errors ---------------------------------------------------------------------------------------


def test_garbage_raises_version_error_with_the_core_text() -> None:
    data = b"hello, this file is no kmodel!!!"
    with pytest.raises(core.KpuError) as info:
        core.Model.load(data)
    err = info.value
    st, text = core_diag_text(data)
    assert err.status == st and err.status_name == "KPU_ERR_VERSION"
    assert str(err) == text and text
    assert err.maixpy_code == 2002
    assert isinstance(err, core.KpuFormatError) and isinstance(err, ValueError)


def test_unknown_kmdl_version_is_refused_with_code_2002() -> None:
    data = b"KMDL" + struct.pack("<I", 99) + bytes(64)
    with pytest.raises(core.KpuFormatError) as info:
        core.Model.load(data)
    assert info.value.status_name == "KPU_ERR_VERSION" and info.value.maixpy_code == 2002
    assert str(info.value) == core_diag_text(data)[1]


def test_errors_survive_pickling() -> None:
    with pytest.raises(core.KpuError) as info:
        core.Model.load(b"KMDL" + struct.pack("<I", 99) + bytes(64))
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is type(info.value) and str(copy) == str(info.value)
    assert (copy.status_name, copy.maixpy_code, copy.layer) == ("KPU_ERR_VERSION", 2002, -1)


def test_truncated_model_is_a_format_error() -> None:
    data = shared_model(FACE).read_bytes()[:1000]
    with pytest.raises(core.KpuFormatError) as info:
        core.Model.load(data)
    assert info.value.maixpy_code == 2003
    assert str(info.value) == core_diag_text(data)[1]


def test_big_endian_file_needs_conversion() -> None:
    be = be_face_bytes()
    with pytest.raises(core.KpuError) as info:
        core.Model.load(be)
    assert info.value.status_name == "KPU_ERR_BIG_ENDIAN" and info.value.maixpy_code == 2003
    with core.Model.load(be, convert_big_endian=True) as converted, \
            core.Model.load(shared_model(FACE)) as le:
        assert converted.layers() == le.layers()
        assert converted.input_info == le.input_info


def test_wrong_input_size_is_a_size_error(iris: core.Model) -> None:
    with pytest.raises(core.KpuSizeError) as info:
        iris.run(np.zeros(5, dtype=np.float32))
    assert info.value.maixpy_code == 2012 and str(info.value)


def test_output_before_any_run_is_a_state_error(iris: core.Model) -> None:
    with pytest.raises(core.KpuStateError):
        iris.output(0)


def test_output_after_a_partial_run_is_a_state_error() -> None:
    with core.Model.load(shared_model(MNIST)) as mnist:
        digit = np.full(28 * 28, 200, dtype=np.uint8)
        full = mnist.run(digit)[0]
        mnist.run(np.zeros(28 * 28, dtype=np.uint8), last_layer=1)
        with pytest.raises(core.KpuStateError) as info:
            mnist.output(0)  # the stale output of the earlier full run must not come back
        assert "needs a full run: the last run stopped at layer 1" in str(info.value)
        with pytest.raises(core.KpuIndexError):
            mnist.output(1)
        assert np.array_equal(mnist.run(digit)[0], full) and mnist.output(0).shape == full.shape


def test_output_and_layer_indexes_out_of_range(iris: core.Model) -> None:
    iris.run(IRIS_IN)
    with pytest.raises(core.KpuIndexError) as info:
        iris.output(1)
    assert info.value.maixpy_code == 2011
    for bad in (2, -1, 2**32):
        with pytest.raises(core.KpuIndexError):
            iris.layer_info(bad)
    with pytest.raises(core.KpuIndexError):
        iris.run(IRIS_IN, last_layer=2)


def test_memory_limit_gives_no_memory_error() -> None:
    with pytest.raises(core.KpuMemoryError) as info:
        core.Model.load(shared_model(FACE), memory_limit=1024)
    assert info.value.maixpy_code == 2006


# -- lifetime -------------------------------------------------------------------------------------


def test_close_twice_and_use_after_close() -> None:
    model = core.Model.load(shared_model(IRIS))
    model.close()
    model.close()
    assert model.closed and "closed" in repr(model)
    for use in (lambda: model.version, lambda: model.layers(), lambda: model.run(IRIS_IN),
                lambda: model.output(0), lambda: model.input_info):
        with pytest.raises(core.KpuStateError) as info:
            use()
        assert info.value.maixpy_code == 2015


def test_context_manager_closes_and_returns_all_memory() -> None:
    with core.Model.load(shared_model(MNIST)) as model:
        model.run(np.zeros(28 * 28, dtype=np.uint8))
        stats = model.memory_stats
        assert stats.in_use > 0 and stats.peak >= stats.in_use
        assert model.memory >= model.main_memory > 0
    assert model.closed
    after = model.memory_stats
    assert after.in_use == 0 and after.frees == after.allocs


def test_del_frees_without_close() -> None:
    model = core.Model.load(shared_model(IRIS))
    alloc = model._alloc
    assert alloc.snapshot().in_use > 0
    del model
    assert alloc.snapshot().in_use == 0


# -- feature maps on MNIST (sizes from MaixPy's fmap demo) ---------------------------------------


def digit() -> np.ndarray:
    img = np.zeros((28, 28), dtype=np.uint8)
    img[4:24, 13:16] = 255  # a "1"
    return img


def test_mnist_input_is_one_28x28_plane(mnist: core.Model) -> None:
    info = mnist.input_info
    assert (info.w, info.h, info.c, info.dtype, info.size) == (28, 28, 1, np.uint8, 784)
    assert mnist.layer_count == 11


@pytest.mark.parametrize("layer,shape", [(0, (16, 14, 14)), (1, (32, 7, 7)), (7, (10, 4, 4))])
def test_mnist_feature_map_shapes(mnist: core.Model, layer: int, shape: tuple) -> None:
    (fmap,) = mnist.run(digit(), last_layer=layer)
    assert fmap.dtype == np.uint8 and fmap.shape == shape
    assert mnist.last_run_layer == layer
    np.testing.assert_array_equal(mnist.layer_output(layer), fmap)
    plane = mnist.layer_output(layer, channel=shape[0] - 1)
    assert plane.shape == shape[1:]
    np.testing.assert_array_equal(plane, fmap[-1])


def test_image_arrays_must_be_planar() -> None:
    with core.Model.load(shared_model(FACE)) as face:
        hwc = np.zeros((240, 320, 3), dtype=np.uint8)
        with pytest.raises(core.KpuSizeError, match="transpose"):
            face.run(hwc, last_layer=0)
        chw = hwc.transpose(2, 0, 1)
        assert face.run(chw, last_layer=0)[0].shape == face.run(chw[None], last_layer=0)[0].shape


def test_mnist_full_run_gives_ten_probabilities(mnist: core.Model) -> None:
    (probs,) = mnist.run(digit())
    assert probs.dtype == np.float32 and probs.shape == (10,)
    assert abs(float(probs.sum()) - 1.0) < 1e-4 and (probs >= 0).all()


def test_layer_output_beyond_the_last_run_and_bad_channel(mnist: core.Model) -> None:
    mnist.run(digit(), last_layer=0)
    with pytest.raises(core.KpuStateError):
        mnist.layer_output(1)
    with pytest.raises(core.KpuIndexError):
        mnist.layer_output(0, channel=16)


def test_feature_maps_are_refused_after_another_model_reused_the_kpu() -> None:
    with core.Model.load(shared_model(MNIST)) as a, core.Model.load(shared_model(MNIST)) as b, \
            core.SoftKpu() as shared, core.SoftKpu() as own:
        (fmap,) = a.run(digit(), last_layer=0, backend=shared)
        b.run(np.zeros(784, dtype=np.uint8), last_layer=0, backend=shared)
        with pytest.raises(core.KpuStateError, match="another run"):
            a.layer_output(0)
        np.testing.assert_array_equal(a.run(digit(), last_layer=0, backend=own)[0], fmap)
        b.run(np.zeros(784, dtype=np.uint8), last_layer=0, backend=shared)
        np.testing.assert_array_equal(a.layer_output(0), fmap)  # its own KPU was not touched


def test_face_layer_table_matches_the_model_facts() -> None:
    with core.Model.load(shared_model(FACE)) as face:
        layers = face.layers()
        inp = face.input_info
    assert len(layers) == 24
    assert [layer.type_name for layer in layers] == ["K210_CONV"] * 23 + ["DEQUANTIZE"]
    assert (layers[0].wi, layers[0].hi, layers[0].chi) == (320, 240, 3)
    assert [layer.index for layer in layers] == list(range(24))
    assert (inp.w, inp.h, inp.c, inp.dtype) == (320, 240, 3, np.uint8)
    last_conv = layers[22]
    assert (last_conv.wo, last_conv.ho, last_conv.cho) == (20, 15, 30)


# -- software KPU ---------------------------------------------------------------------------------


def test_soft_kpu_ram_read_write_and_bounds() -> None:
    with core.SoftKpu() as soft:
        assert soft.memory >= core.KPU_RAM_BYTES
        assert soft.memory_stats.peak >= core.KPU_RAM_BYTES
        assert not soft.read_ram(0, 4096).any()  # starts zeroed
        soft.write_ram(1000, b"\x01\x02\x03")
        assert soft.read_ram(999, 5).tolist() == [0, 1, 2, 3, 0]
        with pytest.raises(core.KpuError):
            soft.read_ram(core.KPU_RAM_BYTES - 2, 4)
    with pytest.raises(core.KpuStateError):
        soft.read_ram(0, 1)
    soft.close()


def test_soft_kpu_rounding_option() -> None:
    with core.SoftKpu("v0.1") as soft:
        assert soft.rounding == "v0.1"
        soft.rounding = "v0.2"
        assert soft.rounding == "v0.2"
        with pytest.raises(ValueError):
            soft.rounding = "v9"
    with pytest.raises(ValueError):
        core.SoftKpu("fast")


def test_default_soft_kpu_is_shared() -> None:
    assert core.default_soft_kpu() is core.default_soft_kpu()


def test_run_with_a_closed_backend_raises(iris: core.Model) -> None:
    soft = core.SoftKpu()
    soft.close()
    with pytest.raises(core.KpuStateError):
        iris.run(IRIS_IN, backend=soft)


def test_maixpy_texts() -> None:
    assert core.maixpy_code_text(2006) == "ERR_NO_MEM: memory not enough"
    assert core.maixpy_code_text(2002, v4_build=True) == \
        "ERR_KMODEL_VERSION: only support kmodel V3/V4 now"



def test_threads_sharing_one_kpu_get_the_sequential_results() -> None:
    rng = np.random.default_rng(7)
    inputs = [rng.integers(0, 256, 784, dtype=np.uint8) for _ in range(4)]
    models = [core.Model.load(shared_model(MNIST)) for _ in inputs]
    shared = core.SoftKpu()
    expected = [m.run(x, last_layer=1, backend=shared)[0] for m, x in zip(models, inputs)]
    assert not all((e == expected[0]).all() for e in expected[1:])  # inputs really differ
    failures: list[object] = []

    def work(i: int) -> None:
        try:
            for _ in range(30):
                got = models[i].run(inputs[i], last_layer=1, backend=shared)[0]
                if not (got == expected[i]).all():
                    failures.append(i)
        except Exception as exc:  # a thread's exception must fail the test, not just warn
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(models))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for m in models:
        m.close()
    shared.close()
