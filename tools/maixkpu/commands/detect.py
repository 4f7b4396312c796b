"""`maixkpu detect`, `maixkpu fmap`, `maixkpu check`: a kfpkg's model on a board, against the host.

The model must be in the board's flash at its kfpkg address (`maixkpu flash PKG --port P`, or
--flash here). Without --port a virtual board with the kfpkg in its flash is used. YOLOv2
settings: --anchors/--threshold/--nms, else a sidecar JSON next to the kfpkg, else the MaixPy
face demo's.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from maixkpu.commands.board import EXIT_FAILED, add_board_options

EXIT_USAGE = 2


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.replace(",", " ").split()]


def _model_options(parser: argparse.ArgumentParser, yolo: bool = True) -> None:
    add_board_options(parser)
    parser.add_argument("--kfpkg", "-k", required=True, type=Path,
                        help="package holding the kmodel (its address is where the board "
                             "loads it from)")
    parser.add_argument("--flash", action="store_true",
                        help="flash the kfpkg first (skipped for chunks already there)")
    parser.add_argument("--input", choices=("auto", "file", "buffer"), default="auto",
                        help="how the picture reaches the KPU: image.Image from a BMP on "
                             "/flash + pix_to_ai (file), planar bytes (buffer), or auto")
    if yolo:
        parser.add_argument("--anchors", type=_floats, help="anchor w,h pairs (grid cells)")
        parser.add_argument("--threshold", type=float, help="probability threshold")
        parser.add_argument("--nms", type=float, help="NMS IoU threshold")


def _config(args: argparse.Namespace) -> Any:
    from maixkpu.board.models import sidecar_config

    config = sidecar_config(args.kfpkg)
    return config.with_overrides(getattr(args, "anchors", None), getattr(args, "threshold", None),
                                 getattr(args, "nms", None))


def _flash_first(args: argparse.Namespace) -> None:
    if not (args.flash and args.port):
        return
    from maixkpu.board.flashing import flash_kfpkg

    print(flash_kfpkg(args.port, args.kfpkg, board=args.board).summary(), file=sys.stderr)


def _detector(args: argparse.Namespace, board: Any, yolo: bool = True) -> Any:
    from maixkpu.board.jobs import Detector
    from maixkpu.board.models import model_from_kfpkg

    return Detector(board, model_from_kfpkg(args.kfpkg), _config(args), yolo=yolo)


def cmd_detect(args: argparse.Namespace) -> int:
    from PIL import Image

    from maixkpu.board import BoardError
    from maixkpu.board.jobs import draw_detections, format_rows, open_board

    photo = Image.open(args.image).convert("RGB")
    try:
        _flash_first(args)
        with open_board(args.port, args.board, args.baud, [args.kfpkg], args.timeout) as board:
            detector = _detector(args, board)
            try:
                result = detector.run(photo, args.image.name, method=args.input)
            finally:
                detector.close()
    except BoardError as exc:
        print(f"maixkpu detect: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    config = detector.config
    for x, y, w, h, classid, value in result.board:
        print(f"{config.label(classid)}\t{value:.4f}\tx={x} y={y} w={w} h={h}")
    out = args.out or Path(f"{args.image.stem}_detections.png")
    draw_detections(photo, result.board, config).save(out)
    verdict = "board == host" if result.match else "BOARD != HOST (host: " + format_rows(
        result.host, config) + ")"
    print(f"{len(result.board)} detection(s) in {result.seconds:.2f} s; {verdict}; wrote {out}",
          file=sys.stderr)
    return 0 if result.match else EXIT_FAILED


def cmd_fmap(args: argparse.Namespace) -> int:
    from PIL import Image

    from maixkpu.board import BoardError
    from maixkpu.board.jobs import fmap_image, open_board

    photo = Image.open(args.image).convert("RGB")
    try:
        _flash_first(args)
        with open_board(args.port, args.board, args.baud, [args.kfpkg], args.timeout) as board:
            detector = _detector(args, board, yolo=False)
            try:
                tensor, same = detector.fmap(photo, args.layer)
            finally:
                detector.close()
    except BoardError as exc:
        print(f"maixkpu fmap: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    out = args.out or Path(f"{args.image.stem}_fmap{args.layer}.png")
    fmap_image(tensor).save(out)
    c, h, w = tensor.shape
    print(f"layer {args.layer}: {c} maps of {w}x{h}; "
          f"{'board == host' if same else 'BOARD != HOST'}; wrote {out}")
    return 0 if same else EXIT_FAILED


def cmd_check(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from maixkpu.board import BoardError
    from maixkpu.board.jobs import format_rows, list_images, open_board

    images = list_images(args.images)
    if not images:
        print(f"maixkpu check: no images in {args.images}", file=sys.stderr)
        return EXIT_USAGE
    layers = [int(v) for v in args.layers.split(",") if v.strip()] if args.layers else []
    results = []
    try:
        _flash_first(args)
        with open_board(args.port, args.board, args.baud, [args.kfpkg], args.timeout) as board:
            detector = _detector(args, board)
            try:
                for path in images:
                    results.append(detector.run(path, path.name, layers, method=args.input))
            finally:
                detector.close()
    except BoardError as exc:
        print(f"maixkpu check: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    table = Table(title=f"board vs host: {args.kfpkg.name}")
    for column in ("image", "board", "host", "fmap layers", "result"):
        table.add_column(column)
    for r in results:
        fm = "-" if not layers else ("same" if not r.fmap_mismatches else
                                     "differ: " + ",".join(map(str, r.fmap_mismatches)))
        table.add_row(r.name, format_rows(r.board, detector.config),
                      "same" if r.board == r.host else format_rows(r.host, detector.config),
                      fm, "ok" if r.match else "MISMATCH")
    Console(width=160).print(table)
    bad = sum(not r.match for r in results)
    print(f"{len(results) - bad}/{len(results)} image(s) match")
    return EXIT_FAILED if bad else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="YOLOv2 detection on a board; boxes drawn into a PNG",
                       description=__doc__)
    p.add_argument("--image", "-i", required=True, type=Path, help="photo (any size)")
    p.add_argument("--out", "-o", type=Path, help="PNG to write (default IMAGE_detections.png)")
    _model_options(p)
    p.set_defaults(func=cmd_detect)

    p = sub.add_parser("fmap", help="one layer's feature maps from a board as a PNG mosaic",
                       description=__doc__)
    p.add_argument("--image", "-i", required=True, type=Path)
    p.add_argument("--layer", "-l", required=True, type=int, help="layer index (from 0)")
    p.add_argument("--out", "-o", type=Path, help="PNG to write (default IMAGE_fmapN.png)")
    _model_options(p, yolo=False)
    p.set_defaults(func=cmd_fmap)

    p = sub.add_parser("check", help="board vs host on a folder of images; exit 1 on mismatch",
                       description=__doc__)
    p.add_argument("--images", required=True, type=Path, help="folder of photos")
    p.add_argument("--layers", default="",
                   help="also compare these layers' feature maps, e.g. 1,8,16")
    _model_options(p)
    p.set_defaults(func=cmd_check)
