"""Compiled V5 test models and nncase Simulator outputs, cached under build/v5-models keyed by
a hash of everything that determines them, so reruns do not start nncase at all. Tests that
need nncase skip with a reason when no Python 3.10 is available to run it."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from host_tests.v5.onnx_models import Case
from maixkpu.compile import CompileOptions, compile_onnx, simulate
from maixkpu.compile import env as nncase_env

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("MAIXKPU_V5_CACHE", REPO / "build" / "v5-models"))
CALIB_SAMPLES = 4
RUNS = 3


def require_nncase() -> None:
    if nncase_env.is_ready() or nncase_env.find_python310() is not None:
        return
    pytest.skip("nncase 1.9 needs Python 3.10 and none was found (pyenv 3.10, python3.10 on "
                "PATH or $MAIXKPU_PYTHON310): the V5 models cannot be compiled here")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def options(case: Case) -> CompileOptions:
    return CompileOptions(input_shape=case.shape, input_type=case.input_type, **case.options)


def _random_inputs(case: Case, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if case.input_type == "uint8":
        return [rng.integers(0, 256, case.shape, dtype=np.uint8) for _ in range(n)]
    lo, hi = options(case).resolved_range()
    return [rng.uniform(lo, hi, case.shape).astype(np.float32) for _ in range(n)]


def calibration(case: Case) -> np.ndarray:
    return np.stack(_random_inputs(case, CALIB_SAMPLES, seed=1))


def inputs(case: Case) -> list[np.ndarray]:
    """RUNS inputs: random ones and a smooth gradient image (realistic neighbouring pixels)."""
    runs = _random_inputs(case, RUNS - 1, seed=2)
    n, c, h, w = case.shape
    yy, xx = np.mgrid[0:h, 0:w]
    grad = np.stack([(xx * 255 // max(w - 1, 1) + ch * 40 + yy * 3) % 256 for ch in range(c)])
    grad = grad[np.newaxis].astype(np.uint8)
    if case.input_type == "float32":
        lo, hi = options(case).resolved_range()
        grad = (grad.astype(np.float32) / np.float32(255) * np.float32(hi - lo)
                + np.float32(lo)).astype(np.float32)
    return runs + [grad]


def _key(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()[:16]


def kmodel(case: Case) -> bytes:
    """The case compiled by nncase 1.9 (cached)."""
    onnx_bytes = case.onnx_bytes()
    opts = options(case)
    calib = calibration(case)
    key = _key(onnx_bytes, json.dumps(opts.request(), sort_keys=True).encode(), calib.tobytes(),
               nncase_env.NNCASE_VERSION.encode())
    path = CACHE / f"{case.name}-{key}.kmodel"
    if path.is_file():
        return path.read_bytes()
    require_nncase()
    onnx_path = CACHE / f"{case.name}-{key}.onnx"
    _atomic_write(onnx_path, onnx_bytes)
    data = compile_onnx(onnx_path, calib, opts)
    _atomic_write(path, data)
    return data


def reference(case: Case, model: bytes) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """(inputs, nncase Simulator outputs of each input) for a compiled case (cached)."""
    xs = inputs(case)
    key = _key(model, *(x.tobytes() for x in xs))
    path = CACHE / f"{case.name}-{key}.sim.npz"
    if path.is_file():
        with np.load(path) as z:
            runs = [[z[f"r{k}o{i}"] for i in range(int(z["outputs"]))] for k in range(len(xs))]
        return xs, runs
    require_nncase()
    runs = simulate(model, xs)
    arrays = {f"r{k}o{i}": out for k, outs in enumerate(runs) for i, out in enumerate(outs)}
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, outputs=np.array(len(runs[0])), **arrays)
    tmp.replace(path)
    return xs, runs
