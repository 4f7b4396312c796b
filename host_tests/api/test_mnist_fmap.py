"""Real models through the ``KPU`` module: MaixPy's MNIST feature-map demo (set_layers +
forward), the iris golden vector with a float list input, and the VOC YOLOv2 model on the dog
photo through run_yolo2 (shared/models/README.md)."""
from __future__ import annotations

import numpy as np
import pytest

from host_tests.conftest import shared_model
from maixkpu.maixpy import image, kpu

VOC_ANCHORS = (1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52)
VOC_BICYCLE, VOC_CAR, VOC_DOG = 1, 6, 11


@pytest.fixture
def mnist():
    task = kpu.load(str(shared_model("sipeed_mnist_28x28.kmodel")))
    yield task
    kpu.deinit(task)


@pytest.fixture(scope="module")
def digit() -> image.Image:
    """A 28x28 gray '7' with pix_ai (one plane), as the demo's pix_to_ai gives it."""
    pixels = np.zeros((28, 28), np.uint8)
    pixels[5:8, 6:22] = 255
    for r in range(8, 24):
        c = 21 - (r - 8) // 2
        pixels[r, c - 1:c + 2] = 255
    img = image.Image.from_gray_bytes(28, 28, bytearray(pixels.tobytes()))
    img.pix_to_ai()
    return img


@pytest.mark.parametrize("layers, shape", [(1, (14, 14, 16)), (2, (7, 7, 32)),
                                           (8, (4, 4, 10))])
def test_mnist_maps_after_set_layers(mnist, digit, layers, shape):
    assert kpu.set_layers(mnist, layers) is True
    fmap = kpu.forward(mnist, digit)
    w, h, ch = shape
    assert (fmap.w(), fmap.h(), fmap.ch(), fmap.typecode()) == (w, h, ch, "B")
    assert fmap.size() == w * h * ch and fmap.index() == layers - 1
    maps = [kpu.fmap(fmap, i) for i in range(ch)]
    assert all((m.width(), m.height()) == (w, h) for m in maps)
    planes = np.frombuffer(bytes(fmap), np.uint8).reshape(ch, h, w)
    assert all(bytes(m) == planes[i].tobytes() for i, m in enumerate(maps))
    assert len({p.tobytes() for p in planes}) > 1  # real maps, not one repeated plane
    # the same map through get_output, and through forward's end layer
    assert bytes(kpu.get_output(mnist, 0)) == bytes(fmap)
    kpu.set_layers(mnist, 0)
    assert bytes(kpu.forward(mnist, digit, layers - 1)) == bytes(fmap)


def test_mnist_all_layers_give_ten_probabilities(mnist, digit):
    assert kpu.set_layers(mnist, 11) is True
    fmap = kpu.forward(mnist, digit)
    assert (fmap.typecode(), fmap.w(), fmap.h(), fmap.ch(), fmap.index()) == ("f", 10, 1, 1, 10)
    probs = fmap[:]
    assert isinstance(probs, tuple) and len(probs) == 10
    assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-5)
    # a float map: w is the element count (MaixPy reported the byte count, 40)
    deq = kpu.forward(mnist, digit, 2)
    assert (deq.typecode(), deq.w(), deq.h(), deq.ch()) == ("f", 7 * 7 * 32, 1, 1)


def test_iris_golden_vector_from_a_float_list():
    task = kpu.load(str(shared_model("nncase010rc5_iris_float.kmodel")))
    out = kpu.forward(task, [5.1, 3.8, 1.9, 0.4])
    assert (out.typecode(), out.w(), out.h(), out.ch()) == ("f", 3, 1, 1)
    assert np.allclose(out[:], (16.077795, 5.607656, -2.071745), atol=1e-5, rtol=0)
    with pytest.raises(TypeError) as exc:
        kpu.run_yolo2(task, [1.0])  # a list is not an image for run_yolo2
    assert str(exc.value) == "Can't convert list to Image"
    picture = image.Image(size=(4, 1))
    picture.pix_to_ai()
    with pytest.raises(ValueError) as exc:
        kpu.forward(task, picture)  # a float-input model takes no image
    assert str(exc.value) == "[MAIXPY]kpu: first layer not conv layer!\r\n"
    kpu.deinit(task)


def test_voc_yolo2_finds_bicycle_car_and_dog():
    task = kpu.load(str(shared_model("nncase010rc5_yolo2_voc20_320x240_chwise.kmodel")))
    img = image.Image(str(shared_model("nncase_dog_320x240.bmp")))
    img.pix_to_ai()
    assert kpu.init_yolo2(task, 0.5, 0.2, 5, VOC_ANCHORS) is True
    found = kpu.run_yolo2(task, img)
    assert found is not None
    assert {d.classid() for d in found} == {VOC_BICYCLE, VOC_CAR, VOC_DOG}
    for d in found:
        assert d.value() > 0.5 and d.w() > 0 and d.h() > 0
        assert 0 <= d.x() < 320 and 0 <= d.y() < 240
    kpu.deinit(task)


def test_iris_v4_runs_without_set_outputs(capsys):
    from maixkpu._core import lib
    from maixkpu.maixpy.flash import HostFlash

    if not lib.kpu_api_v4_build():
        pytest.skip("this build of the core has no kmodel V4 container")
    flash = HostFlash()
    flash.load_file(0x400000, shared_model("nncase020b4_iris_float.kmodel"))
    kpu.set_flash(flash)
    try:
        task = kpu.load(0x400000)  # size from the V4 header: the 720-byte file
    finally:
        kpu.set_flash(None)
    assert task.model_size() == 720
    golden = (16.077795, 5.607656, -2.071745)
    # no set_outputs: the shape comes from the graph (the last matmul: 3 columns x 1 row)
    out = kpu.forward(task, [5.1, 3.8, 1.9, 0.4])
    assert (out.typecode(), out.w(), out.h(), out.ch(), out.size()) == ("f", 3, 1, 1, 12)
    assert np.allclose(out[:], golden, atol=1e-5, rtol=0)
    assert out.index() == 3
    # set_outputs is still checked with MaixPy's messages, and refused shapes change nothing
    capsys.readouterr()
    assert kpu.set_outputs(task, 0, 3, 1, 2) is False  # 3*1*2 floats != the 12-byte output
    assert capsys.readouterr().out == (
        "w*h*ch!=12\n[MAIXPY]kpu: set_outputs arg value error: w,c,ch size not match output "
        "size\n")
    assert kpu.set_outputs(task, 1, 3, 1, 1) is False
    assert capsys.readouterr().out == ("[MAIXPY]kpu: set_outputs arg value error:kmodel output "
                                       "idx 1 out of range\n")
    assert (kpu.get_output(task, 0).w(), kpu.get_output(task, 0).h()) == (3, 1)
    # a shape set_outputs accepted is the one reported
    assert kpu.set_outputs(task, 0, 1, 3, 1) is True
    out = kpu.forward(task, [5.1, 3.8, 1.9, 0.4])
    assert (out.typecode(), out.w(), out.h(), out.ch(), out.size()) == ("f", 1, 3, 1, 12)
    assert np.allclose(out[:], golden, atol=1e-5, rtol=0)
    kpu.deinit(task)
