"""Whole jobs on a board, each checked against the host: detection on photos, feature maps.

The CLI commands (`maixkpu detect/fmap/check`) and `make demo` are thin layers over these.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Union

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from maixkpu.board.board import Board
from maixkpu.board.golden import HostModel
from maixkpu.board.models import DetectorConfig, FlashedModel
from maixkpu.board.profiles import DEFAULT_BOARD, board_type
from maixkpu.board.remote_kpu import RemoteKpu
from maixkpu.board.transfer import push_image

PathLike = Union[str, "os.PathLike[str]"]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".tif", ".tiff")
BOX_COLOURS = ((255, 64, 64), (64, 200, 64), (64, 128, 255), (255, 200, 0), (200, 64, 255))


@contextmanager
def open_board(port: str | None, board: str = DEFAULT_BOARD, baud: int | None = None,
               kfpkgs: Iterable[PathLike] = (), timeout: float = 60.0,
               camera_dir: PathLike | None = None) -> Iterator[Board]:
    """A connected board: the one on `port`, or (port None) a fresh virtual board that has the
    kfpkgs in its flash (as kflash would have written them) and is stopped afterwards."""
    if port:
        with Board(port, board=board, baud=baud, timeout=timeout) as connected:
            yield connected
        return
    from maixkpu.board.virtual import start_virtual_board

    # a named board type keeps its wiring; "generic" gets a wired virtual board (goE)
    kind = board if board != DEFAULT_BOARD else "maix_go"
    url, vboard = start_virtual_board(kfpkgs=kfpkgs, camera_dir=camera_dir,
                                      profile=board_type(kind).vboard_profile)
    try:
        with Board(url, board=kind, timeout=timeout) as connected:
            yield connected
    finally:
        vboard.stop()


def list_images(folder: PathLike) -> list[Path]:
    """Image files of `folder` in name order."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass
class ImageResult:
    name: str
    board: list[list[Any]]
    host: list[list[Any]]
    seconds: float = 0.0  # board time for this image (push + run)
    fmap_mismatches: list[int] = field(default_factory=list)  # layers whose maps differ

    @property
    def match(self) -> bool:
        return self.board == self.host and not self.fmap_mismatches


class Detector:
    """A YOLOv2 model loaded on the board and on the host, ready to compare."""

    def __init__(self, board: Board, model: FlashedModel, config: DetectorConfig,
                 yolo: bool = True) -> None:
        """yolo=False: only feature maps (no init_yolo2, any RGB-input model)."""
        self.board = board
        self.model = model
        self.host = HostModel(model.kmodel)
        w, h, _ = self.host.input_size
        self.config = replace(config, width=w, height=h)  # the model decides its input size
        self.kpu = RemoteKpu(board)
        self.kpu.load(model.address)
        if yolo:
            self.kpu.init_yolo2(self.config)

    def close(self) -> None:
        self.host.close()

    def run(self, picture: Any, name: str, fmap_layers: Iterable[int] = (),
            method: str = "auto") -> ImageResult:
        import time

        start = time.monotonic()
        pushed = push_image(self.board, picture, self.config.width, self.config.height,
                            method=method)
        rows = self.kpu.detect(pushed.name)
        seconds = time.monotonic() - start
        result = ImageResult(name, rows, self.host.detect(pushed.ai, self.config), seconds)
        for layer in fmap_layers:
            if self.kpu.fmap_hashes(pushed.name, layer) != self.host.fmap_hashes(pushed.ai,
                                                                                 layer):
                result.fmap_mismatches.append(layer)
        return result

    def fmap(self, picture: Any, layer: int) -> tuple[np.ndarray, bool]:
        """Layer `layer`'s map from the board (c, h, w) and whether it equals the host's."""
        pushed = push_image(self.board, picture, self.config.width, self.config.height)
        tensor = self.kpu.fmap_tensor(pushed.name, layer)
        return tensor, bool(np.array_equal(tensor, self.host.layer_map(pushed.ai, layer)))


def _label_font(size: int) -> Any:
    """Pillow's built-in font at `size` pixels (Pillow 10.1+), else its small bitmap font."""
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1: no size argument
        return ImageFont.load_default()


def draw_detections(picture: PILImage.Image, rows: list[list[Any]], config: DetectorConfig
                    ) -> PILImage.Image:
    """The photo with the boxes (model-input pixels scaled to the photo) and labels: dark text
    on a tag in the box's colour, above the box when it fits, else inside its top edge."""
    out = picture.convert("RGB").copy()
    sx, sy = out.width / config.width, out.height / config.height
    draw = ImageDraw.Draw(out)
    font = _label_font(max(12, out.height // 24))
    for x, y, w, h, classid, value in rows:
        colour = BOX_COLOURS[classid % len(BOX_COLOURS)]
        box = (x * sx, y * sy, (x + w) * sx, (y + h) * sy)
        draw.rectangle(box, outline=colour, width=max(2, out.width // 200))
        text = f"{config.label(classid)} {value:.2f}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tag_w, tag_h = right - left + 4, bottom - top + 4
        tag_x = min(max(box[0], 0), max(out.width - tag_w, 0))
        tag_y = box[1] - tag_h if box[1] >= tag_h else max(box[1], 0)
        draw.rectangle((tag_x, tag_y, tag_x + tag_w - 1, tag_y + tag_h - 1), fill=colour)
        draw.text((tag_x + 2 - left, tag_y + 2 - top), text, fill=(0, 0, 0), font=font)
    return out


def contact_sheet(pictures: list[PILImage.Image], height: int = 240, cols: int | None = None
                  ) -> PILImage.Image:
    """Pictures scaled to one height, in rows of `cols` (default: one row up to three
    pictures, else a near-square grid, so four make 2 x 2 with no empty cells)."""
    if cols is None:
        n = len(pictures)
        cols = n if n <= 3 else math.ceil(math.sqrt(n))
    cols = max(cols, 1)
    scaled = [p.resize((max(1, round(p.width * height / p.height)), height)) for p in pictures]
    rows = [scaled[i:i + cols] for i in range(0, len(scaled), cols)] or [[]]
    width = max((sum(p.width for p in row) + 4 * (len(row) - 1) for row in rows), default=1)
    sheet = PILImage.new("RGB", (max(width, 1), len(rows) * (height + 4) - 4), (24, 24, 24))
    for r, row in enumerate(rows):
        x = 0
        for p in row:
            sheet.paste(p, (x, r * (height + 4)))
            x += p.width + 4
    return sheet


def fmap_image(tensor: np.ndarray, scale: int = 2) -> PILImage.Image:
    """All channels of a (c, h, w) map as one grayscale mosaic (the C core's layout)."""
    from maixkpu.postprocess import fmap_mosaic

    mosaic = PILImage.fromarray(fmap_mosaic(tensor))
    if scale > 1:
        mosaic = mosaic.resize((mosaic.width * scale, mosaic.height * scale), PILImage.NEAREST)
    return mosaic


def format_rows(rows: list[list[Any]], config: DetectorConfig) -> str:
    if not rows:
        return "nothing found"
    return "; ".join(f"{config.label(c)} {v:.3f} at ({x}, {y}) {w}x{h}"
                     for x, y, w, h, c, v in rows)
