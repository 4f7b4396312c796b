"""Synthetic detection images for the demo detector: bright circles, squares and triangles on
photo or noise backgrounds, with their bounding boxes.

Every image is a pure function of (seed, index), so training, the tests and the demo's virtual
camera all see reproducible pictures:

    image, boxes = make_sample(seed=7, index=0)     # (240, 320, 3) uint8 RGB, [Box, ...]

Photo backgrounds are random crops of scikit-image's bundled sample photos; without
scikit-image installed every background is procedural noise instead.
"""
from __future__ import annotations

import colorsys
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

CLASSES: tuple[str, ...] = ("circle", "square", "triangle")
INPUT_W = 320
INPUT_H = 240
MIN_SIZE = 26  # object size in pixels (circle diameter, square side, triangle circumradius x2)
MAX_SIZE = 84
MAX_OBJECTS = 3

# scikit-image sample photos used as backgrounds (bundled with the package, no download).
_PHOTO_NAMES = ("astronaut", "camera", "coffee", "chelsea", "rocket", "immunohistochemistry",
                "moon", "grass", "gravel", "brick", "coins", "clock", "page", "text",
                "hubble_deep_field")


@dataclass(frozen=True)
class Box:
    """An object's bounding box in image pixels (x, y = top-left) and its class index."""

    x: float
    y: float
    w: float
    h: float
    classid: int

    @property
    def name(self) -> str:
        return CLASSES[self.classid]

    def iou(self, other: Box) -> float:
        ix = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        iy = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        if ix <= 0 or iy <= 0:
            return 0.0
        inter = ix * iy
        return inter / (self.w * self.h + other.w * other.h - inter)


@functools.lru_cache(maxsize=1)
def _photos() -> tuple[np.ndarray, ...]:
    try:
        import skimage.data as skdata
    except ImportError:
        return ()
    photos = []
    for name in _PHOTO_NAMES:
        img = np.asarray(getattr(skdata, name)())
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        photos.append(np.ascontiguousarray(img[:, :, :3].astype(np.uint8)))
    return tuple(photos)


def photos_available() -> bool:
    """Whether photo backgrounds can be used (scikit-image is installed)."""
    return bool(_photos())


def _photo_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    photos = _photos()
    src = photos[int(rng.integers(len(photos)))]
    sh, sw = src.shape[:2]
    # a crop with the output's aspect ratio, between 40 % and 100 % of the photo's extent
    scale = rng.uniform(0.4, 1.0) * min(sw / width, sh / height)
    cw, ch = max(8, int(width * scale)), max(8, int(height * scale))
    x0, y0 = int(rng.integers(0, sw - cw + 1)), int(rng.integers(0, sh - ch + 1))
    crop = Image.fromarray(src[y0:y0 + ch, x0:x0 + cw]).resize((width, height),
                                                               Image.BILINEAR)
    img = np.asarray(crop, dtype=np.float32)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    # dim and desaturate a little so the shapes are the brightest, most colourful things
    gray = img.mean(axis=2, keepdims=True)
    img = gray + (img - gray) * rng.uniform(0.3, 0.9)
    return img * rng.uniform(0.35, 0.75)


def _noise_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    # smooth colour noise: a coarse random grid upscaled, plus fine grain
    gw, gh = int(rng.integers(3, 12)), int(rng.integers(3, 10))
    coarse = rng.uniform(0, 140, (gh, gw, 3)).astype(np.uint8)
    img = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BICUBIC),
                     dtype=np.float32)
    return img + rng.normal(0, rng.uniform(2, 14), (height, width, 3))


def _bright_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.55, 1.0), rng.uniform(0.85, 1.0))
    return (int(r * 255), int(g * 255), int(b * 255))


def _polygon(cx: float, cy: float, radius: float, corners: int,
             angle: float) -> list[tuple[float, float]]:
    return [(cx + radius * math.cos(angle + 2 * math.pi * i / corners),
             cy + radius * math.sin(angle + 2 * math.pi * i / corners)) for i in range(corners)]


def _draw_object(draw: ImageDraw.ImageDraw, rng: np.random.Generator, classid: int,
                 cx: float, cy: float, size: float) -> Box:
    colour = _bright_colour(rng)
    if CLASSES[classid] == "circle":
        r = size / 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        return Box(cx - r, cy - r, 2 * r, 2 * r, classid)
    if CLASSES[classid] == "square":
        # side `size`, tilted at most 20 degrees
        pts = _polygon(cx, cy, size / math.sqrt(2), 4,
                       math.pi / 4 + math.radians(rng.uniform(-20, 20)))
    else:
        # a triangle pointing roughly up, turned at most 30 degrees
        pts = _polygon(cx, cy, size / 2 * 1.15, 3,
                       -math.pi / 2 + math.radians(rng.uniform(-30, 30)))
    draw.polygon(pts, fill=colour)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), classid)


def _clear_of(box: Box, others: list[Box], margin: float) -> bool:
    grown = Box(box.x - margin, box.y - margin, box.w + 2 * margin, box.h + 2 * margin, 0)
    return all(grown.iou(o) == 0.0 for o in others)


def make_sample(seed: int, index: int, width: int = INPUT_W, height: int = INPUT_H,
                min_objects: int = 1,
                max_objects: int = MAX_OBJECTS) -> tuple[np.ndarray, list[Box]]:
    """Image `index` of the set `seed`: (height, width, 3) uint8 RGB and its boxes (1..3
    non-touching objects fully inside the image)."""
    rng = np.random.default_rng([seed, index])
    if photos_available() and rng.random() < 0.75:
        bg = _photo_background(rng, width, height)
    else:
        bg = _noise_background(rng, width, height)
    canvas = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    boxes: list[Box] = []
    wanted = int(rng.integers(min_objects, max_objects + 1))
    for _ in range(40 * wanted):  # placement attempts
        if len(boxes) == wanted:
            break
        classid = int(rng.integers(len(CLASSES)))
        size = float(rng.uniform(MIN_SIZE, MAX_SIZE))
        half = size * 0.62  # bounds every shape's extent around its centre
        cx = float(rng.uniform(half, width - half))
        cy = float(rng.uniform(half, height - half))
        probe = Box(cx - half, cy - half, 2 * half, 2 * half, classid)
        if _clear_of(probe, boxes, 4.0):
            boxes.append(_draw_object(draw, rng, classid, cx, cy, size))
    img = np.asarray(canvas, dtype=np.float32)
    # mild sensor-like noise over everything
    img = img + rng.normal(0, rng.uniform(0, 6), img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), boxes


def samples(seed: int, count: int, start: int = 0,
            **kwargs: int) -> Iterator[tuple[np.ndarray, list[Box]]]:
    """Images start .. start + count - 1 of the set `seed`."""
    for index in range(start, start + count):
        yield make_sample(seed, index, **kwargs)


def to_planar(image: np.ndarray) -> np.ndarray:
    """HWC RGB uint8 to the planar CHW layout the KPU input takes."""
    return np.ascontiguousarray(np.transpose(image, (2, 0, 1)))
