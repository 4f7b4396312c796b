"""Which model a HIL run uses: the kmodel inside a kfpkg, its flash address and YOLOv2 settings.

`DetectorConfig` is what `kpu.init_yolo2` needs plus the input size; the face defaults are the
MaixPy face demo's. A sidecar JSON next to a kfpkg (`x.kfpkg` -> `x.json`) may override them:
{"anchors": [...], "threshold": 0.5, "nms": 0.3, "classes": ["face"]}.
"""
from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Union

PathLike = Union[str, "os.PathLike[str]"]

FACE_ANCHORS = (1.889, 2.5245, 2.9465, 3.94056, 3.99987, 5.3658, 5.155437, 6.92275, 6.718375,
                9.01025)


@dataclass(frozen=True)
class DetectorConfig:
    width: int = 320
    height: int = 240
    anchors: tuple[float, ...] = FACE_ANCHORS
    threshold: float = 0.5
    nms: float = 0.3
    classes: tuple[str, ...] = ("face",)

    @property
    def anchor_num(self) -> int:
        return len(self.anchors) // 2

    def label(self, classid: int) -> str:
        return self.classes[classid] if 0 <= classid < len(self.classes) else str(classid)

    def with_overrides(self, anchors: Sequence[float] | None = None,
                       threshold: float | None = None, nms: float | None = None) -> DetectorConfig:
        changes: dict[str, Any] = {}
        if anchors:
            changes["anchors"] = tuple(float(a) for a in anchors)
        if threshold is not None:
            changes["threshold"] = float(threshold)
        if nms is not None:
            changes["nms"] = float(nms)
        return replace(self, **changes)


FACE_CONFIG = DetectorConfig()


def config_from_mapping(values: dict[str, Any], base: DetectorConfig = FACE_CONFIG
                        ) -> DetectorConfig:
    """A config from a dict with any of width, height (or input_size [w, h], or input
    {"width", "height"}), anchors, threshold, nms, classes (names or a count)."""
    changes: dict[str, Any] = {}
    shape = values.get("input")
    if isinstance(shape, dict):
        changes["width"], changes["height"] = int(shape["width"]), int(shape["height"])
    size = values.get("input_size")
    if size is not None:
        changes["width"], changes["height"] = int(size[0]), int(size[1])
    for key in ("width", "height"):
        if key in values:
            changes[key] = int(values[key])
    if "anchors" in values:
        changes["anchors"] = tuple(float(a) for a in values["anchors"])
    for key in ("threshold", "nms"):
        if key in values:
            changes[key] = float(values[key])
    classes = values.get("classes")
    if isinstance(classes, int):
        changes["classes"] = tuple(str(i) for i in range(classes))
    elif classes:
        changes["classes"] = tuple(str(c) for c in classes)
    return replace(base, **changes)


def sidecar_config(kfpkg: PathLike, base: DetectorConfig = FACE_CONFIG) -> DetectorConfig:
    """The config in `kfpkg`'s sidecar JSON (same name, .json), else `base`."""
    path = Path(kfpkg).with_suffix(".json")
    if not path.is_file():
        return base
    return config_from_mapping(json.loads(path.read_text(encoding="utf-8")), base)


def _is_kmodel(data: bytes) -> bool:
    if len(data) < 8:
        return False
    return data[:4] in (b"KMDL", b"LDMK") or struct.unpack_from("<I", data)[0] == 3


@dataclass
class FlashedModel:
    """A kmodel from a kfpkg: where it sits in flash and its bytes (as the board reads them)."""

    package: Path
    address: int
    kmodel: bytes
    regions: list[tuple[int, bytes]] = field(default_factory=list)


def model_from_kfpkg(path: PathLike) -> FlashedModel:
    """The (first) kmodel entry of a kfpkg; ValueError when it holds none."""
    from maixkpu.kfpkg import read_kfpkg

    regions = read_kfpkg(path).regions()
    for address, data in regions:
        if _is_kmodel(data):
            return FlashedModel(Path(path), address, data, regions)
    raise ValueError(f"{path} holds no kmodel entry")
