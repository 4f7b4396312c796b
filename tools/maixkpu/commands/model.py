"""`maixkpu info MODEL` (header summary and MaixPy-netinfo layer table) and
`maixkpu run MODEL INPUT` (run on the software KPU and print the outputs)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from maixkpu.cli import UserError

if TYPE_CHECKING:  # the extension is imported late, so `maixkpu --help` works without it
    from maixkpu.core import LayerInfo, Model

TABLE_COLUMNS = ("index", "type_name", "wi", "hi", "wo", "ho", "chi", "cho", "dw",
                 "kernel_type", "pool_type", "para_size")
HEADINGS = {"type_name": "type", "kernel_type": "kernel", "pool_type": "pool"}
FIRST_VALUES = 8


def register(sub: argparse._SubParsersAction) -> None:
    info = sub.add_parser("info", help="describe a kmodel: header and layer table (netinfo)",
                          description="Print a kmodel's header summary and one line per layer "
                          "as MaixPy's KPU.netinfo() reports it.")
    info.add_argument("model", type=Path, help="kmodel file")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(func=cmd_info)

    run = sub.add_parser("run", help="run a kmodel on an image or raw input file",
                         description="Run a kmodel on the software KPU. The image must have the "
                         "model's input size (it is not resized); a .bin/.raw file is taken as "
                         "the raw input bytes.")
    run.add_argument("model", type=Path, help="kmodel file")
    run.add_argument("input", type=Path, nargs="?",
                     help="BMP/PNG/JPEG image of the input size, or a .bin of raw input bytes")
    run.add_argument("--values", metavar="X,Y,...",
                     help="input as comma-separated numbers (for float-input models)")
    run.add_argument("--layer", type=int, metavar="N",
                     help="stop after layer N and show its output (feature maps)")
    run.add_argument("--raw", action="store_true", help="print every value, not the first few")
    run.add_argument("--rgb565", action="store_true",
                     help="pass colours through RGB565 first, as a camera frame would")
    run.add_argument("--rounding", choices=("v0.2", "v0.1"), default="v0.2",
                     help="software KPU rounding (default v0.2)")
    run.set_defaults(func=cmd_run)


def _load(path: Path) -> Model:
    from maixkpu import core

    data = path.read_bytes()
    version, big_endian = core.kmodel_version(data)
    if big_endian:
        print(f"note: {path} is a word-swapped (big-endian) V3 file; converted on load",
              file=sys.stderr)
    return core.Model.load(data, convert_big_endian=big_endian)


def _dtype_name(dtype: np.dtype) -> str:
    return str(np.dtype(dtype))


def cmd_info(args: argparse.Namespace) -> int:
    with _load(args.model) as model:
        inp = model.input_info
        layers = model.layers()
        summary = {
            "file": str(args.model), "file_size": len(model.data), "version": model.version,
            "layers": model.layer_count, "outputs": model.output_count,
            "input": {"w": inp.w, "h": inp.h, "c": inp.c, "dtype": _dtype_name(inp.dtype),
                      "size": inp.size},
            "main_memory": model.main_memory, "memory": model.memory,
            "output_shapes": [_output_summary(model, i) for i in range(model.output_count)],
        }
        if args.json:
            summary["layer_table"] = [asdict(layer) for layer in layers]
            print(json.dumps(summary, indent=2))
            return 0
    print(f"{args.model}: kmodel V{summary['version']}, {summary['file_size']} bytes")
    print(f"  input: {inp.w}x{inp.h}x{inp.c} {_dtype_name(inp.dtype)} ({inp.size} bytes)")
    print(f"  outputs: {summary['outputs']}   layers: {summary['layers']}")
    for i, out in enumerate(summary["output_shapes"]):
        recorded = "x".join(map(str, out["dims"])) + " " if out["dims"] is not None else ""
        print(f"  output {i}: {recorded}{out['dtype']} (w {out['w']}, h {out['h']}, "
              f"c {out['c']}; {out['size']} bytes)")
    print(f"  main memory: {summary['main_memory']} bytes "
          f"(model holds {summary['memory']} bytes in all)")
    print(format_layer_table(layers))
    return 0


def _output_summary(model: Model, index: int) -> dict:
    """An output's w/h/c (V5: recorded, V4: from the graph, V3: flat) and the dims a V5 file
    records (None for V3/V4, which record none)."""
    info = model.output_info(index)
    dims = list(model.output_dims(index)) if model.version == 5 else None
    return {"dims": dims, "w": info.w, "h": info.h, "c": info.c,
            "dtype": _dtype_name(info.dtype), "size": info.size}


def format_layer_table(layers: Sequence[LayerInfo]) -> str:
    """netinfo as a fixed-width table, one row per layer."""
    rows = [[HEADINGS.get(c, c) for c in TABLE_COLUMNS]]
    rows += [[str(getattr(layer, c)) for c in TABLE_COLUMNS] for layer in layers]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_COLUMNS))]
    lines = []
    for row in rows:
        cells = [cell.ljust(w) if i == 1 else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _read_input(args: argparse.Namespace, model: Model) -> np.ndarray | bytes:
    from maixkpu import imageio

    info = model.input_info
    if args.values is not None:
        if args.input is not None:
            raise UserError("give an input file or --values, not both")
        try:
            numbers = np.array([float(v) for v in args.values.split(",")])
        except ValueError as exc:
            raise UserError(f"--values: {exc}") from None
        if info.dtype == np.uint8 and not (
                (numbers == np.round(numbers)).all() and (0 <= numbers).all()
                and (numbers <= 255).all()):
            raise UserError("--values: this model takes uint8 input (whole numbers 0..255)")
        values = numbers.astype(info.dtype)
        expected = info.size // info.dtype.itemsize
        if values.size != expected:
            raise UserError(f"--values: {values.size} numbers, but the model input takes "
                            f"{expected} ({info.w}x{info.h}x{info.c})")
        return values
    if args.input is None:
        raise UserError("an input file (image or .bin) or --values is required")
    try:
        if imageio.is_raw(args.input):
            return imageio.load_raw(args.input, info.size)
        if info.dtype != np.uint8:
            raise UserError(f"the model takes {_dtype_name(info.dtype)} input, not an image: "
                            "give a .bin file or --values")
        return imageio.load_planar(args.input, info.w, info.h, info.c, rgb565=args.rgb565)
    except imageio.ImageInputError as exc:
        raise UserError(str(exc)) from None


def describe_array(name: str, arr: np.ndarray, *, full: bool = False) -> str:
    """One block of text per array: shape, dtype, values, argmax for vectors."""
    flat = arr.reshape(-1)
    head = f"{name}: shape {tuple(arr.shape)}, {arr.dtype}"
    if flat.size:
        head += f", min {flat.min():g}, max {flat.max():g}"
    lines = [head]
    if full:
        with np.printoptions(threshold=sys.maxsize, linewidth=100):
            lines.append("  " + np.array2string(arr, separator=", ").replace("\n", "\n  "))
    else:
        shown = ", ".join(f"{v:g}" for v in flat[:FIRST_VALUES])
        more = f", ... ({flat.size} values)" if flat.size > FIRST_VALUES else ""
        lines.append(f"  values: [{shown}{more}]")
    if arr.ndim == 1 and flat.size > 1:
        i = int(np.argmax(flat))
        lines.append(f"  argmax: {i} ({flat[i]:g})")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from maixkpu import core

    with _load(args.model) as model, core.SoftKpu(args.rounding) as soft:
        data = _read_input(args, model)
        outputs = model.run(data, last_layer=args.layer, backend=soft)
        if args.layer is not None and args.layer != model.layer_count - 1:
            names = [f"layer {args.layer} output"]
        else:
            names = [f"output {i}" for i in range(len(outputs))]
        for name, arr in zip(names, outputs):
            print(describe_array(name, arr, full=args.raw))
    return 0
