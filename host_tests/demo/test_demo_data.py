"""The synthetic shape images: reproducible from (seed, index), objects inside the image and
apart, and really drawn where their boxes say."""
from __future__ import annotations

import numpy as np

from maixkpu.demo_data import CLASSES, MAX_OBJECTS, Box, make_sample, samples, to_planar


def test_same_seed_and_index_give_the_same_image() -> None:
    a, boxes_a = make_sample(5, 3)
    b, boxes_b = make_sample(5, 3)
    assert np.array_equal(a, b) and boxes_a == boxes_b
    c, _ = make_sample(5, 4)
    d, _ = make_sample(6, 3)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)


def test_boxes_are_inside_and_apart() -> None:
    counts = set()
    for image, boxes in samples(11, 30):
        assert image.shape == (240, 320, 3) and image.dtype == np.uint8
        assert 1 <= len(boxes) <= MAX_OBJECTS
        counts.add(len(boxes))
        for i, box in enumerate(boxes):
            assert 0 <= box.x and box.x + box.w <= 320 and 0 <= box.y and box.y + box.h <= 240
            assert 0 <= box.classid < len(CLASSES)
            assert all(box.iou(other) == 0.0 for other in boxes[i + 1:])
    assert counts == {1, 2, 3}


def test_shapes_are_brighter_and_more_colourful_than_their_surroundings() -> None:
    for image, boxes in samples(12, 10):
        img = image.astype(np.float64)
        chroma = img.max(axis=2) - img.min(axis=2)
        for box in boxes:
            cx, cy = int(box.x + box.w / 2), int(box.y + box.h / 2)
            # the centre of every shape lies inside it; check a small patch there
            patch = img[cy - 2:cy + 3, cx - 2:cx + 3].reshape(-1, 3)
            assert patch.max(axis=1).mean() > 180
            assert chroma[cy - 2:cy + 3, cx - 2:cx + 3].mean() > chroma.mean()


def test_no_objects_when_asked_for_none() -> None:
    image, boxes = make_sample(13, 0, min_objects=0, max_objects=0)
    assert boxes == [] and image.shape == (240, 320, 3)


def test_box_iou() -> None:
    a = Box(0, 0, 10, 10, 0)
    assert a.iou(a) == 1.0
    assert a.iou(Box(5, 0, 10, 10, 0)) == 50 / 150
    assert a.iou(Box(10, 0, 10, 10, 0)) == 0.0


def test_planar_layout() -> None:
    image, _ = make_sample(14, 0)
    planar = to_planar(image)
    assert planar.shape == (3, 240, 320) and planar.flags.c_contiguous
    assert np.array_equal(planar[1], image[:, :, 1])
