"""ONNX -> kmodel V5 for the K210 with nncase 1.9, and nncase's own simulator as a reference.

nncase runs in a Python 3.10 environment of its own (maixkpu.compile.env) through the small
driver script next to this file; this package prepares the calibration data, runs the driver
and explains nncase's known failures.

    from maixkpu.compile import CompileOptions, compile_onnx
    kmodel = compile_onnx("net.onnx", calib_images, CompileOptions(input_shape=[1, 3, 32, 32]))
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from maixkpu.compile.env import NncaseEnvError, ensure_env

DRIVER = Path(__file__).resolve().parent / "driver.py"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff")

__all__ = ["CompileError", "CompileOptions", "NncaseEnvError", "compile_onnx",
           "load_calibration", "simulate"]


class CompileError(RuntimeError):
    """nncase refused the model; the message includes a workaround when one is known."""


@dataclass
class CompileOptions:
    """How the model is fed on the K210.

    input_type "uint8": the kmodel takes planar 0..255 pixels, mapped to input_range, then
    (x - mean) / std per channel before the network; "float32": it takes the network's float
    input as it is (mean/std/input_range still apply when given).
    """

    input_shape: list[int]
    input_type: str = "uint8"
    mean: list[float] = field(default_factory=lambda: [0.0])
    std: list[float] = field(default_factory=lambda: [1.0])
    input_range: tuple[float, float] | None = None  # default (0, 255) for uint8 input
    output_type: str = "float32"  # "uint8": the quantized outputs as they leave the KPU
    strip_final_sigmoid: bool = False
    dump_dir: str | None = None

    def resolved_range(self) -> tuple[float, float]:
        if self.input_range is not None:
            return (float(self.input_range[0]), float(self.input_range[1]))
        return (0.0, 255.0) if self.input_type == "uint8" else (0.0, 1.0)

    def request(self) -> dict:
        channels = self.input_shape[1] if len(self.input_shape) > 1 else 1
        mean = list(self.mean) * channels if len(self.mean) == 1 else list(self.mean)
        std = list(self.std) * channels if len(self.std) == 1 else list(self.std)
        if self.input_type not in ("uint8", "float32"):
            raise ValueError(f"input_type must be uint8 or float32, not {self.input_type!r}")
        if self.output_type not in ("uint8", "float32"):
            raise ValueError(f"output_type must be uint8 or float32, not {self.output_type!r}")
        if len(mean) != channels or len(std) != channels:
            raise ValueError(f"mean/std need 1 or {channels} values")
        preprocess = self.input_type == "uint8" or any(mean) or any(s != 1 for s in std) \
            or self.input_range is not None
        return {"input_type": self.input_type, "input_shape": list(self.input_shape),
                "mean": [float(v) for v in mean], "std": [float(v) for v in std],
                "input_range": list(self.resolved_range()), "preprocess": preprocess,
                "output_type": self.output_type,
                "strip_final_sigmoid": self.strip_final_sigmoid, "dump_dir": self.dump_dir}


def load_calibration(folder: str | Path, opts: CompileOptions, limit: int = 100) -> np.ndarray:
    """Calibration samples from a folder: images (resized to the input, planar RGB or gray) or
    .npy arrays of the input shape. Returns N x input_shape in the kmodel's input type
    (uint8 pixels, or float32 scaled to input_range for float input)."""
    from PIL import Image

    folder = Path(folder)
    if not folder.is_dir():
        raise CompileError(f"calibration folder {folder} does not exist")
    shape = tuple(opts.input_shape)
    if len(shape) != 4:
        raise CompileError(f"input shape {list(shape)} is not N,C,H,W")
    _, c, h, w = shape
    samples = []
    for path in sorted(folder.iterdir())[:limit]:
        suffix = path.suffix.lower()
        if suffix == ".npy":
            arr = np.load(path)
            if arr.size != int(np.prod(shape)):
                raise CompileError(f"{path}: {arr.shape} does not match the input {list(shape)}")
            samples.append(arr.reshape(shape).astype(np.float32 if opts.input_type == "float32"
                                                      else np.uint8))
            continue
        if suffix not in IMAGE_SUFFIXES:
            continue
        with Image.open(path) as img:
            img = img.convert("RGB" if c == 3 else "L").resize((w, h), Image.BILINEAR)
            hwc = np.asarray(img, dtype=np.uint8).reshape(h, w, -1)
        if hwc.shape[2] != c:
            raise CompileError(f"{path}: images give 1 or 3 channels, the model takes {c}")
        chw = hwc.transpose(2, 0, 1)[np.newaxis]
        if opts.input_type == "float32":
            lo, hi = opts.resolved_range()
            chw = chw.astype(np.float32) / np.float32(255) * np.float32(hi - lo) + np.float32(lo)
        samples.append(np.ascontiguousarray(chw))
    if not samples:
        raise CompileError(f"no calibration images (or .npy samples) in {folder}")
    return np.stack(samples)


# nncase error text -> what to do about it
KNOWN_FAILURES = (
    (("sigmoid",), "nncase 1.9 cannot compile a Sigmoid on a float output for the K210 (a "
     "fused activation on the last layer has no stackvm emitter). Remove the final Sigmoid "
     "and apply it while decoding the output (yolo2 post-processing already does), or pass "
     "--strip-final-sigmoid to have it removed here."),
    (("fused_unary",), "nncase 1.9 cannot compile a fused activation on a float output for "
     "the K210 (a final Sigmoid, for example). Remove it from the ONNX graph and apply it in "
     "the decoding, or pass --strip-final-sigmoid if it is a Sigmoid."),
    (("value info",), "the ONNX graph lacks shapes nncase needs: export it with a fixed input "
     "shape (no dynamic axes)."),
)


def _explain(log: str) -> str:
    last = [line for line in log.splitlines() if line.startswith("DRIVER-ERROR:")]
    message = last[-1][len("DRIVER-ERROR:"):].strip() if last else log.strip()[-500:]
    low = log.lower()
    for keys, advice in KNOWN_FAILURES:
        if all(k in low for k in keys):
            return f"nncase 1.9 failed: {message}\n{advice}"
    return f"nncase 1.9 failed: {message}"


# what the caller's process may carry that must not reach nncase's own Python 3.10
_PRIVATE_ENV = ("LD_PRELOAD", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")


def _run_driver(request: dict, timeout: float) -> dict:
    python = ensure_env()
    env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
    with tempfile.TemporaryDirectory(prefix="maixkpu-nncase-") as tmp:
        req = Path(tmp) / "request.json"
        req.write_text(json.dumps(request))
        try:
            done = subprocess.run([str(python), str(DRIVER), str(req)], capture_output=True,
                                  text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise CompileError(f"nncase 1.9 did not finish in {timeout:.0f} s") from exc
    if done.returncode < 0:
        raise CompileError(f"nncase 1.9 crashed (signal {-done.returncode}); "
                           + _explain(done.stderr + done.stdout))
    if done.returncode != 0:
        raise CompileError(_explain(done.stderr + done.stdout))
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def compile_onnx(onnx_path: str | Path, calib: np.ndarray, opts: CompileOptions,
                 timeout: float = 1800.0) -> bytes:
    """Compiles an ONNX file for the K210 with post-training quantisation on calib (samples
    in the kmodel's input type, see load_calibration) and returns the kmodel V5 bytes."""
    with tempfile.TemporaryDirectory(prefix="maixkpu-compile-") as tmp:
        calib_path = Path(tmp) / "calib.npy"
        dtype = np.uint8 if opts.input_type == "uint8" else np.float32
        np.save(calib_path, np.ascontiguousarray(calib, dtype=dtype))
        out = Path(tmp) / "model.kmodel"
        request = {"op": "compile", "onnx": str(Path(onnx_path).resolve()),
                   "calib": str(calib_path), "out": str(out), **opts.request()}
        _run_driver(request, timeout)
        return out.read_bytes()


def simulate(kmodel: bytes, inputs: Sequence[np.ndarray], timeout: float = 600.0
             ) -> list[list[np.ndarray]]:
    """Runs nncase 1.9's Simulator on each input; returns the outputs of every run."""
    with tempfile.TemporaryDirectory(prefix="maixkpu-sim-") as tmp:
        model = Path(tmp) / "model.kmodel"
        model.write_bytes(kmodel)
        paths = []
        for k, arr in enumerate(inputs):
            paths.append(str(Path(tmp) / f"in{k}.npy"))
            np.save(paths[-1], np.ascontiguousarray(arr))
        out = Path(tmp) / "out.npz"
        _run_driver({"op": "simulate", "kmodel": str(model), "inputs": paths, "out": str(out)},
                    timeout)
        with np.load(out) as z:
            runs: list[list[np.ndarray]] = [[] for _ in inputs]
            for k in range(len(inputs)):
                i = 0
                while f"run{k}_out{i}" in z:
                    runs[k].append(z[f"run{k}_out{i}"])
                    i += 1
        return runs

