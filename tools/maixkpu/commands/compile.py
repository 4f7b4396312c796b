"""`maixkpu compile model.onnx --calib DIR --out model.kmodel`: ONNX -> kmodel V5 for the K210
with nncase 1.9 (in its own Python 3.10 environment, created on first use), then a check of
the result with our loader and its netinfo."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from maixkpu.cli import UserError


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text}") from None


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.replace("x", ",").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a shape like 1,3,224,224: {text}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compile", help="compile an ONNX model to a K210 kmodel V5 with nncase 1.9",
        description="Compile an ONNX model for the K210 KPU with nncase 1.9 (post-training "
        "quantisation on a folder of calibration images), then load the result with this "
        "project's runtime and print its layer table. nncase 1.9 needs Python 3.10: a "
        "virtual environment is created on first use in ~/.cache/maixkpu/nncase-1.9 (or "
        "$MAIXKPU_NNCASE_VENV).")
    p.add_argument("model", type=Path, help="ONNX file (fixed input shape, NCHW)")
    p.add_argument("--calib", type=Path, required=True, metavar="DIR",
                   help="folder of calibration images (resized to the input) or .npy samples")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="kmodel to write")
    p.add_argument("--input-type", choices=("uint8", "float32"), default="uint8",
                   help="what the kmodel takes: planar 0..255 pixels (default) or floats")
    p.add_argument("--output-type", choices=("float32", "uint8"), default="float32",
                   help="outputs dequantized to float (default) or the KPU's uint8 values")
    p.add_argument("--input-shape", type=_ints, metavar="N,C,H,W",
                   help="input shape (default: from the ONNX file)")
    p.add_argument("--mean", type=_floats, default=[0.0], metavar="M[,M,M]",
                   help="per-channel mean subtracted before the network, in input-range units")
    p.add_argument("--std", type=_floats, default=[1.0], metavar="S[,S,S]",
                   help="per-channel divisor after the mean")
    p.add_argument("--input-range", type=_floats, metavar="LO,HI",
                   help="float range the 0..255 input maps to (default 0,255)")
    p.add_argument("--strip-final-sigmoid", action="store_true",
                   help="remove a Sigmoid on a graph output (nncase 1.9 cannot compile it for "
                        "the K210); apply it while decoding instead")
    p.add_argument("--samples", type=int, default=100, metavar="N",
                   help="use at most N calibration samples (default 100)")
    p.set_defaults(func=cmd_compile)


def _onnx_input_shape(path: Path) -> list[int]:
    try:
        import onnx
    except ImportError:
        raise UserError("--input-shape is required (the onnx package is not installed here "
                        "to read it from the file)") from None
    graph = onnx.load(str(path)).graph
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise UserError(f"the model has {len(inputs)} inputs; the K210 runtime takes one")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if not dims or any(d <= 0 for d in dims):
        raise UserError(f"input shape {dims} is not fixed: give --input-shape N,C,H,W")
    return dims


def cmd_compile(args: argparse.Namespace) -> int:
    from maixkpu import compile as nnc
    from maixkpu.commands.model import cmd_info

    if not args.model.is_file():
        raise UserError(f"{args.model}: no such ONNX file")
    shape = args.input_shape or _onnx_input_shape(args.model)
    if args.input_range is not None and len(args.input_range) != 2:
        raise UserError("--input-range takes two numbers: LO,HI")
    opts = nnc.CompileOptions(input_shape=shape, input_type=args.input_type,
                              output_type=args.output_type, mean=args.mean,
                              std=args.std, strip_final_sigmoid=args.strip_final_sigmoid,
                              input_range=tuple(args.input_range) if args.input_range else None)
    try:
        opts.request()
        calib = nnc.load_calibration(args.calib, opts, limit=args.samples)
        start = time.monotonic()
        kmodel = nnc.compile_onnx(args.model, calib, opts)
    except (ValueError, nnc.CompileError, nnc.NncaseEnvError) as exc:
        raise UserError(str(exc)) from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(kmodel)
    print(f"{args.out}: {len(kmodel)} bytes from nncase 1.9 in {time.monotonic() - start:.1f} s "
          f"({len(calib)} calibration samples)", file=sys.stderr)
    return cmd_info(argparse.Namespace(model=args.out, json=False))
