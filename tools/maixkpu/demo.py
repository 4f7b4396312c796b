"""`make demo` (`python -m maixkpu.demo`): the whole job on a (virtual) Maix board.

1. a virtual board starts (or PORT names a real one; BOARD its type);
2. a kfpkg with the project's demo detector at 0x300000 is built (KFPKG: the user's package,
   YOLOv2 settings from its sidecar JSON or the face defaults; without the demo model the
   MaixPy face kfpkg from ../shared/models is used when present) and flashed over the ISP;
3. detection runs on the board through the REPL: camera frames on the virtual board (the demo
   pictures, or IMAGES), pushed pictures on a real board; the feature-map script follows;
4. every result is checked against the host (the same C core on the same input bytes);
5. out/detections.png and out/fmap.png are written and a summary printed.
Exit status 0 when the board matched the host everywhere.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maixkpu.board.models import FACE_CONFIG, DetectorConfig

REPO = Path(__file__).resolve().parents[2]
FACE_KFPKG = REPO.parent / "shared" / "models" / "sipeed_face_model_at_0x300000.kfpkg"
MODEL_ADDRESS = 0x300000
DEMO_IMAGES = 4
QVGA = (320, 240)  # camera frame size of the virtual board in this demo


class DemoError(Exception):
    """Nothing to run (no model), or the board could not be used; the message says why."""


@dataclass
class Plan:
    kfpkg: Path
    config: DetectorConfig
    what: str  # for the summary
    images: list[Path] = field(default_factory=list)


def _demo_kfpkg(work: Path) -> Plan | None:
    """The project's demo detector packed at 0x300000, or None when it is not there yet."""
    try:
        from maixkpu import demo_assets
    except ImportError:
        return None
    model = demo_assets.demo_model_path()
    if not model.is_file():
        return None
    from maixkpu.board.models import config_from_mapping
    from maixkpu.kfpkg import Entry, Kfpkg, write_kfpkg

    package = work / "demo_detector.kfpkg"
    write_kfpkg(package, Kfpkg([Entry(MODEL_ADDRESS, model.name, model.read_bytes(), False)]))
    config = config_from_mapping(demo_assets.demo_config())
    images = [p for p, _ in demo_assets.make_demo_images(work / "pictures", DEMO_IMAGES)]
    return Plan(package, config, f"the demo detector ({model.name})", images)


def _face_pictures(folder: Path) -> list[Path]:
    from PIL import Image, ImageOps
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    astronaut = Image.fromarray(data.astronaut())
    pictures = {"astronaut": astronaut, "astronaut_mirrored": ImageOps.mirror(astronaut),
                "cameraman": Image.fromarray(data.camera()).convert("RGB"),
                "coffee": Image.fromarray(data.coffee())}
    paths = []
    for name, picture in pictures.items():
        path = folder / f"{name}.png"
        picture.save(path)
        paths.append(path)
    return paths


def make_plan(work: Path, kfpkg: str | None, images: str | None) -> Plan:
    from maixkpu.board.jobs import list_images
    from maixkpu.board.models import sidecar_config

    if kfpkg:
        path = Path(kfpkg)
        if not path.is_file():
            raise DemoError(f"KFPKG={kfpkg}: no such file")
        plan = Plan(path, sidecar_config(path), path.name)
    else:
        found = _demo_kfpkg(work)
        if found is None and FACE_KFPKG.is_file():
            print("maixkpu demo: the demo detector (tools/maixkpu/data/demo_detector.kmodel) is "
                  f"not there yet; using the MaixPy face model from {FACE_KFPKG.parent}",
                  file=sys.stderr)
            found = Plan(FACE_KFPKG, FACE_CONFIG, "the MaixPy face model (face_model_at_"
                         "0x300000.kfpkg)", _face_pictures(work / "pictures"))
        if found is None:
            raise DemoError("no model to run: the demo detector tools/maixkpu/data/"
                            "demo_detector.kmodel is missing (make it with tools/"
                            f"train_demo_detector.py) and {FACE_KFPKG} is absent; or run "
                            "your own: KFPKG=model.kfpkg IMAGES=dir make demo")
        plan = found
    if images:
        plan.images = list_images(images)
        if not plan.images:
            raise DemoError(f"IMAGES={images}: no pictures there")
    elif not plan.images:
        plan.images = _face_pictures(work / "pictures")
    return plan


def camera_frames(plan: Plan, folder: Path) -> list[tuple[Any, bytes]]:
    """Write the pictures as QVGA camera frames; per frame the window the model sees (the
    sensor crops it top-left) and its input bytes (pix_ai comes from the RGB888 frame)."""
    from maixkpu.board.transfer import fit_image, planar

    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for i, path in enumerate(plan.images):
        frame = fit_image(path, *QVGA)
        frame.save(folder / f"frame_{i:03d}.png")
        window = frame.crop((0, 0, plan.config.width, plan.config.height))
        frames.append((window, planar(window)))
    return frames


def _snapshot_code(config: DetectorConfig) -> str:
    window = "" if (config.width, config.height) == QVGA else \
        f"sensor.set_windowing(({config.width}, {config.height}))\n"
    return ("import sensor\nsensor.reset()\nsensor.set_pixformat(sensor.RGB565)\n"
            f"sensor.set_framesize(sensor.QVGA)\n{window}")


@dataclass
class Outcome:
    rows: list[tuple[str, list[list[Any]], bool]] = field(default_factory=list)
    fmap_layer: int = 0
    fmap_shape: tuple[int, ...] = ()
    fmap_match: bool = False
    flash_text: str = ""
    files: list[Path] = field(default_factory=list)

    @property
    def match(self) -> bool:
        return all(ok for _, _, ok in self.rows) and self.fmap_match


def run_on_board(board: Any, plan: Plan, frames: list[tuple[Any, bytes]] | None, out: Path,
                 outcome: Outcome) -> None:
    """Detection on every picture (camera frames when `frames` is given), then the feature-map
    job on the first; results and host checks go into `outcome`."""
    from PIL import Image

    from maixkpu.board.jobs import (
        Detector,
        contact_sheet,
        draw_detections,
        fmap_image,
    )
    from maixkpu.board.models import model_from_kfpkg

    detector = Detector(board, model_from_kfpkg(plan.kfpkg), plan.config)
    config = detector.config
    try:
        drawn = []
        if frames is not None:
            board.exec(_snapshot_code(config))
        for i, path in enumerate(plan.images):
            if frames is not None:  # the board's camera sees the picture
                picture, ai = frames[i]
                board.exec("img = sensor.snapshot()")
                rows = detector.kpu.detect("img")
                ok = rows == detector.host.detect(ai, config)
            else:
                picture = Image.open(path).convert("RGB")
                result = detector.run(picture, path.name)
                rows, ok = result.board, result.match
            outcome.rows.append((path.name, rows, ok))
            drawn.append(draw_detections(picture, rows, config))
        sheet = out / "detections.png"
        contact_sheet(drawn).save(sheet)
        layers = detector.host.model.layer_count
        outcome.fmap_layer = min(2, max(layers - 2, 0))
        tensor, outcome.fmap_match = detector.fmap(plan.images[0], outcome.fmap_layer)
        outcome.fmap_shape = tuple(tensor.shape)
        fmap_png = out / "fmap.png"
        fmap_image(tensor).save(fmap_png)
        outcome.files += [sheet, fmap_png]
    finally:
        detector.close()


def summary(plan: Plan, outcome: Outcome, target: str) -> str:
    from maixkpu.board.jobs import format_rows

    lines = [f"MaixKPU demo on {target}", f"  flashed: {plan.kfpkg.name}, {plan.what}; "
                                          f"{outcome.flash_text}"]
    for name, rows, ok in outcome.rows:
        lines.append(f"  {name}: {len(rows)} detection(s): {format_rows(rows, plan.config)}"
                     f"{'' if ok else '  [BOARD != HOST]'}")
    c, h, w = outcome.fmap_shape or (0, 0, 0)
    lines.append(f"  feature maps: layer {outcome.fmap_layer}, {c} maps of {w}x{h}"
                 f"{'' if outcome.fmap_match else '  [BOARD != HOST]'}")
    verdict = "board == host: every detection and feature map matches" if outcome.match else \
        "board != host: MISMATCH (see above)"
    lines.append(f"  check: {verdict}")
    lines.append("  wrote: " + ", ".join(str(p) for p in outcome.files))
    return "\n".join(lines)


def _flash(url: str, plan: Plan, board: str, quiet: bool) -> str:
    from maixkpu.board.flashing import flash_kfpkg
    from maixkpu.isp.progress import FlashProgress

    report = flash_kfpkg(url, plan.kfpkg, board=board, progress=FlashProgress(quiet=quiet))
    rate = report.bytes_written / report.elapsed / 1024 if report.elapsed else 0.0
    return (f"{report.bytes_total} bytes over ISP in {report.elapsed:.1f} s ({rate:.0f} KiB/s"
            f" written, {report.bytes_skipped} bytes already there)")


def _flash_real(port: str, plan: Plan, board: str, quiet: bool) -> str:
    """Flash a real board unless its firmware can show the package is already there."""
    from maixkpu.board import Board, BoardError
    from maixkpu.board.flashing import flash_holds, kfpkg_regions

    try:
        with Board(port, board=board) as probe:
            holds = flash_holds(probe, kfpkg_regions(plan.kfpkg))
    except BoardError:
        holds = None  # no firmware answering: flash
    if holds:
        return "already in the board's flash (checked by SHA-256 on the board), not rewritten"
    return _flash(port, plan, board, quiet)


def run(out: Path, kfpkg: str | None, images: str | None, port: str | None,
        board_name: str, quiet: bool = False) -> int:
    from maixkpu.board import Board
    from maixkpu.board.profiles import board_type
    from maixkpu.board.virtual import start_virtual_board

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="maixkpu-demo-") as tmp:
        work = Path(tmp)
        plan = make_plan(work, kfpkg, images)
        outcome = Outcome()
        if port:
            kind = board_name
            outcome.flash_text = _flash_real(port, plan, kind, quiet)
            with Board(port, board=kind, timeout=120) as board:
                run_on_board(board, plan, None, out, outcome)
            target = f"the board on {port}"
        else:
            kind = board_name if board_name != "generic" else "maix_go"
            frames_dir = work / "camera"
            frames = camera_frames(plan, frames_dir)
            url, vboard = start_virtual_board(camera_dir=frames_dir,
                                              profile=board_type(kind).vboard_profile)
            try:
                outcome.flash_text = _flash(url, plan, kind, quiet)
                with Board(url, board=kind, timeout=120) as board:
                    run_on_board(board, plan, frames, out, outcome)
            finally:
                vboard.stop()
            target = f"a virtual {kind} board ({url})"
    print(summary(plan, outcome, target))
    return 0 if outcome.match else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maixkpu.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (out)")
    parser.add_argument("--kfpkg", default=os.environ.get("KFPKG") or None,
                        help="your model package (env KFPKG)")
    parser.add_argument("--images", default=os.environ.get("IMAGES") or None,
                        help="folder of pictures (env IMAGES)")
    parser.add_argument("--port", default=os.environ.get("PORT") or None,
                        help="a real board's serial port (env PORT); default: virtual board")
    parser.add_argument("--board", default=os.environ.get("BOARD") or "generic",
                        help="board type (env BOARD): maix_bit, maix_dock, maix_go, "
                             "maixduino, amigo, cube, kd233, generic")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    from maixkpu.board import BoardError
    from maixkpu.isp.flasher import FlashError

    try:
        return run(args.out, args.kfpkg, args.images, args.port, args.board, args.quiet)
    except (DemoError, BoardError, FlashError, ValueError) as exc:
        print(f"maixkpu demo: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
