"""The committed demo detector: a valid, small V3 kmodel that really finds the generated shapes
when run through the C runtime and the region-layer decoder."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from maixkpu.core import Model, validate
from maixkpu.demo_assets import (
    DEMO_IMAGE_SEED,
    demo_anchors,
    demo_classes,
    demo_config,
    demo_input_size,
    demo_model_path,
    make_demo_images,
)
from maixkpu.demo_data import CLASSES, make_sample
from maixkpu.demo_eval import Score, detect, evaluate, match

HELD_OUT_SEED = 3  # neither the training (1) nor the validation (2) set
HELD_OUT_IMAGES = 20


@pytest.fixture(scope="module")
def model() -> Iterator[Model]:
    with Model.load(demo_model_path()) as m:
        yield m


def test_model_file_is_valid_and_small() -> None:
    path = demo_model_path()
    validate(path)
    assert path.stat().st_size < 100 * 1024


def test_config_matches_the_generator_and_the_model(model: Model) -> None:
    cfg = demo_config()
    assert demo_classes() == list(CLASSES)
    assert demo_input_size() == (320, 240)
    anchors = demo_anchors()
    assert len(anchors) == 10 and all(a > 0 for a in anchors)
    assert 0 < cfg["threshold"] < 1 and 0 < cfg["nms"] < 1
    (out,) = model.run(np.zeros((3, 240, 320), np.uint8))
    assert out.dtype == np.float32
    assert out.shape == (len(anchors) // 2 * (5 + len(CLASSES)), cfg["output"]["height"],
                         cfg["output"]["width"])


def test_netinfo(model: Model) -> None:
    info = model.input_info
    assert (info.c, info.h, info.w, info.dtype) == (3, 240, 320, np.dtype(np.uint8))
    layers = model.layers()
    names = [layer.type_name for layer in layers]
    assert names[:-1] == ["K210_CONV"] * (len(layers) - 1)
    assert names[-1] == "CHANNELWISE_DEQUANTIZE"
    convs = layers[:-1]
    assert (convs[0].wi, convs[0].hi, convs[0].chi) == (320, 240, 3)
    assert [c.pool_type for c in convs] == [1, 1, 1, 1, 0, 0, 0]
    assert [(c.wo, c.ho) for c in convs][-1] == (20, 15)
    assert convs[-1].kernel_type == 0 and convs[-1].cho == 40
    assert all(c.cho <= 64 for c in convs)


def test_detects_held_out_shapes(model: Model) -> None:
    cfg = demo_config()
    score = evaluate(model, (make_sample(HELD_OUT_SEED, i) for i in range(HELD_OUT_IMAGES)),
                     cfg)
    assert score.true_pos + score.missed >= HELD_OUT_IMAGES  # 1..3 objects per image
    assert score.recall >= 0.85, score
    assert score.precision >= 0.85, score


def test_images_without_shapes_give_few_detections(model: Model) -> None:
    cfg = demo_config()
    false = sum(len(detect(model, make_sample(HELD_OUT_SEED, i, min_objects=0,
                                              max_objects=0)[0], cfg))
                for i in range(10))
    assert false <= 1


def test_a_moved_shape_is_found_where_it_is(model: Model) -> None:
    # the same picture shifted right by 48 pixels: the detection moves with it
    image, boxes = make_sample(HELD_OUT_SEED, 100, max_objects=1)
    (box,) = boxes
    if box.x + box.w + 48 > 320:
        image, box = image[:, ::-1], type(box)(320 - box.x - box.w, box.y, box.w, box.h,
                                              box.classid)
    shifted = np.zeros_like(image)
    shifted[:, 48:] = image[:, :-48]
    moved = type(box)(box.x + 48, box.y, box.w, box.h, box.classid)
    cfg = demo_config()
    assert match(detect(model, np.ascontiguousarray(image), cfg), [box]).true_pos == 1
    assert match(detect(model, shifted, cfg), [moved]).true_pos == 1


def test_demo_images_are_written_and_detected(model: Model, tmp_path: Path) -> None:
    written = make_demo_images(tmp_path / "camera", 3)
    assert [p.name for p, _ in written] == ["demo_000.png", "demo_001.png", "demo_002.png"]
    total = Score()
    for i, (path, boxes) in enumerate(written):
        image = np.asarray(Image.open(path).convert("RGB"))
        expected, expected_boxes = make_sample(DEMO_IMAGE_SEED, i)
        assert np.array_equal(image, expected) and boxes == expected_boxes
        total = total + match(detect(model, image, demo_config()), boxes)
    assert total.recall >= 0.75 and total.precision >= 0.75, total
    ((bmp, _),) = make_demo_images(tmp_path / "bmp", 1, seed=5, fmt="bmp")
    assert bmp.suffix == ".bmp"
    assert np.array_equal(np.asarray(Image.open(bmp)), make_sample(5, 0)[0])
    with pytest.raises(ValueError):
        make_demo_images(tmp_path, 1, fmt="jpg")


def test_inference_is_fast(model: Model) -> None:
    image = np.ascontiguousarray(make_sample(HELD_OUT_SEED, 0)[0].transpose(2, 0, 1))
    model.run(image)
    start = time.perf_counter()
    for _ in range(5):
        model.run(image)
    assert (time.perf_counter() - start) / 5 < 0.5  # generous: shared CI machines
