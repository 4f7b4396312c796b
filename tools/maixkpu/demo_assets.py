"""The project's own demo detector and pictures for the virtual camera.

    path = demo_model_path()            # tools/maixkpu/data/demo_detector.kmodel
    cfg = demo_config()                 # input size, classes, anchors, threshold, nms, ...
    make_demo_images(Path("cam"), 4)    # PNG photos with shapes for the virtual board's camera

The model and its JSON are made by tools/train_demo_detector.py and committed.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from PIL import Image

from maixkpu.demo_data import Box, make_sample

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_NAME = "demo_detector.kmodel"
CONFIG_NAME = "demo_detector.json"
DEMO_IMAGE_SEED = 1002  # apart from training (1) and validation (2); the first seed from 1000
# whose first four pictures show all three shapes


def demo_model_path() -> Path:
    """Path of the committed demo kmodel."""
    return DATA_DIR / MODEL_NAME


def demo_config_path() -> Path:
    return DATA_DIR / CONFIG_NAME


@functools.lru_cache(maxsize=1)
def _load_config() -> str:
    return demo_config_path().read_text()


def demo_config() -> dict[str, Any]:
    """The model's JSON description (a fresh dict on every call)."""
    config: dict[str, Any] = json.loads(_load_config())
    return config


def demo_anchors() -> list[float]:
    """Anchors as flat (w, h) pairs in grid cells, as MaixPy's init_yolo2 takes them."""
    return [float(a) for a in demo_config()["anchors"]]


def demo_classes() -> list[str]:
    return [str(c) for c in demo_config()["classes"]]


def demo_input_size() -> tuple[int, int]:
    """(width, height) of the model input."""
    cfg = demo_config()["input"]
    return int(cfg["width"]), int(cfg["height"])


def make_demo_images(directory: Path, n: int = 4, seed: int = DEMO_IMAGE_SEED,
                     fmt: str = "png") -> list[tuple[Path, list[Box]]]:
    """Writes n generated photos with shapes (model input size) as demo_000.png, ... into
    directory (created if needed). Returns each file with the boxes drawn in it."""
    if fmt not in ("png", "bmp"):
        raise ValueError(f"unsupported image format {fmt!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    width, height = demo_input_size()
    written = []
    for i in range(n):
        image, boxes = make_sample(seed, i, width, height)
        path = directory / f"demo_{i:03d}.{fmt}"
        Image.fromarray(image).save(path)
        written.append((path, boxes))
    return written
