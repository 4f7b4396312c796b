"""Running the demo detector on the software KPU and scoring its detections against ground truth.

    with Model.load(demo_model_path()) as model:
        dets = detect(model, image, demo_config())
    score = match(dets, boxes)          # true positives, false positives, missed objects
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from maixkpu.core import Model
from maixkpu.demo_data import Box, to_planar
from maixkpu.postprocess import Detection, yolo2_decode


@dataclass(frozen=True)
class Score:
    """Counts of a detection-vs-ground-truth comparison (IoU and class both must match)."""

    true_pos: int = 0
    false_pos: int = 0
    missed: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.true_pos + other.true_pos, self.false_pos + other.false_pos,
                     self.missed + other.missed)

    @property
    def recall(self) -> float:
        total = self.true_pos + self.missed
        return self.true_pos / total if total else 1.0

    @property
    def precision(self) -> float:
        total = self.true_pos + self.false_pos
        return self.true_pos / total if total else 1.0


def decode(output: np.ndarray, config: dict[str, Any], threshold: float | None = None,
           nms: float | None = None) -> list[Detection]:
    """The region layer (C core) on a float (A*(5+C), GH, GW) output with the config's anchors."""
    out_c, out_h, out_w = output.shape
    return yolo2_decode(output, out_w, out_h, out_c, config["input"]["width"],
                        config["input"]["height"], config["anchors"],
                        config["threshold"] if threshold is None else threshold,
                        config["nms"] if nms is None else nms)


def detect(model: Model, image: np.ndarray, config: dict[str, Any],
           threshold: float | None = None) -> list[Detection]:
    """Detections of the kmodel on one (H, W, 3) RGB uint8 image."""
    (output,) = model.run(to_planar(image))
    return decode(output, config, threshold)


def detection_box(det: Detection) -> Box:
    return Box(float(det.x), float(det.y), float(det.w), float(det.h), det.classid)


def match(detections: Sequence[Detection], truth: Sequence[Box], iou: float = 0.5) -> Score:
    """Greedy matching, most confident detection first: a detection is a true positive when it
    overlaps a not yet matched object of its class by at least `iou`."""
    free = list(truth)
    tp = fp = 0
    for det in sorted(detections, key=lambda d: -d.value):
        box = detection_box(det)
        best, best_iou = None, iou
        for t in free:
            overlap = box.iou(t)
            if t.classid == box.classid and overlap >= best_iou:
                best, best_iou = t, overlap
        if best is None:
            fp += 1
        else:
            tp += 1
            free.remove(best)
    return Score(tp, fp, len(free))


def evaluate(model: Model, samples: Iterable[tuple[np.ndarray, list[Box]]],
             config: dict[str, Any], iou: float = 0.5) -> Score:
    """Summed score of the kmodel over (image, boxes) samples."""
    total = Score()
    for image, boxes in samples:
        total = total + match(detect(model, image, config), boxes, iou)
    return total
