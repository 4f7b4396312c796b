"""Messages of KPU misuse paths whose exception type alone was asserted elsewhere (issue 3: every
error path has a test asserting the exception type and message): set_outputs with the wrong
arity, a negative forward end layer, and releasing twice."""
from __future__ import annotations

import contextlib
import io

import pytest

from host_tests.conftest import shared_model
from maixkpu.maixpy import image
from maixkpu.maixpy import kpu as KPU


@pytest.fixture
def net():
    with contextlib.redirect_stdout(io.StringIO()):
        task = KPU.load(str(shared_model("sipeed_facedetect_320x240.kmodel")))
    yield task
    KPU.deinit(task)


@pytest.mark.parametrize("args", [(0, 20, 15), (0, 20, 15, 30, 1), ()])
def test_set_outputs_arity_names_the_signature(net, args):
    with pytest.raises(TypeError) as exc:
        KPU.set_outputs(net, *args)
    assert str(exc.value) == (f"set_outputs takes 5 positional arguments ({len(args) + 1} given):"
                              " set_outputs(task, int idx, int w, int h, int ch)")


def test_negative_end_layer_is_out_of_range(net):
    img = image.Image()
    img.pix_to_ai()
    with pytest.raises(OSError) as exc:
        KPU.forward(net, img, -1)
    assert str(exc.value) == "[MAIXPY]kpu: end layer -1 out of range: layers count from 0"
    assert KPU.forward(net, img, 0).index() == 0  # the net is still usable


def test_releasing_twice_is_harmless(net):
    img = image.Image()
    img.pix_to_ai()
    fm = KPU.forward(net, img, 1)
    assert KPU.fmap_free(fm) is None and KPU.fmap_free(fm) is None
    with pytest.raises(OSError) as exc:
        KPU.fmap(fm, 0)
    assert str(exc.value) == "[MAIXPY]kpu: this kpu_fmap was released by kpu.fmap_free()"
    assert KPU.deinit(net) is True and KPU.deinit(net) is True
    with pytest.raises(OSError) as exc:
        KPU.forward(net, img, 1)
    assert str(exc.value) == ("[MAIXPY]kpu: this kpu_net was released by kpu.deinit(): load the "
                              "model again")
