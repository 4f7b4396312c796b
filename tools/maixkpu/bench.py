"""`python -m maixkpu.bench` (make bench): time per inference and peak memory per model.

For every model found (the third-party ones in ../shared/models, the project's own in
maixkpu/data) it prints the median wall time of N runs on the software KPU (one thread) and the
allocators' high-water mark (model + software KPU), next to the project's targets. A benchmark,
not a test: it never fails on a slow figure.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from maixkpu import core

REPO = Path(__file__).resolve().parent.parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"
OWN_MODELS = Path(__file__).resolve().parent / "data"
DOG_IMAGE = "nncase_dog_320x240.bmp"


@dataclass(frozen=True)
class Target:
    first_ms: float  # what must be met
    goal_ms: float   # what we aim for


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    image: str | None = None        # input picture in ../shared/models, else zeros
    target: Target | None = None


SHARED_CASES = (
    Case("face 320x240", SHARED_MODELS / "sipeed_facedetect_320x240.kmodel", DOG_IMAGE,
         Target(30.0, 10.0)),
    Case("VOC yolo 320x240", SHARED_MODELS / "nncase010rc5_yolo2_voc20_320x240_chwise.kmodel",
         DOG_IMAGE, Target(300.0, 100.0)),
    Case("MNIST 28x28", SHARED_MODELS / "sipeed_mnist_28x28.kmodel"),
    Case("MNIST V5 (CPU)", SHARED_MODELS / "nncase_master_benchmark_cpu_mnist.kmodel"),
)


@dataclass
class Result:
    name: str
    file: str
    runs: int
    median_ms: float | None = None
    min_ms: float | None = None
    cpu_ms: float | None = None  # median CPU time of the running thread (less load-sensitive)
    load_ms: float | None = None
    peak_bytes: int | None = None
    model_peak_bytes: int | None = None
    kpu_peak_bytes: int | None = None
    file_bytes: int | None = None
    target_ms: float | None = None
    goal_ms: float | None = None
    note: str = ""


def _input_for(model: core.Model, case: Case) -> np.ndarray:
    info = model.input_info
    if case.image and info.dtype == np.uint8 and (SHARED_MODELS / case.image).is_file():
        from maixkpu.imageio import ImageInputError, load_planar
        try:
            return load_planar(SHARED_MODELS / case.image, info.w, info.h, info.c)
        except ImageInputError:
            pass
    return np.zeros(info.size // info.dtype.itemsize, dtype=info.dtype)


def bench_case(case: Case, runs: int) -> Result:
    result = Result(case.name, str(case.path), runs)
    if case.target:
        result.target_ms, result.goal_ms = case.target.first_ms, case.target.goal_ms
    if not case.path.is_file():
        result.note = "skipped: model file absent"
        return result
    data = case.path.read_bytes()
    result.file_bytes = len(data)
    try:
        t0 = time.perf_counter()
        model = core.Model.load(data, convert_big_endian=core.kmodel_version(data)[1])
        result.load_ms = (time.perf_counter() - t0) * 1e3
    except core.KpuError as exc:
        result.note = f"skipped: does not load: {exc}"
        return result
    with model, core.SoftKpu() as soft:
        inp = _input_for(model, case)
        try:
            model.run(inp, backend=soft)  # warm-up (first-touch page faults, caches)
            times, cpu = [], []
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.thread_time()
                model.run(inp, backend=soft)
                cpu.append((time.thread_time() - c0) * 1e3)
                times.append((time.perf_counter() - t0) * 1e3)
        except core.KpuError as exc:
            result.note = f"run failed: {exc}"
            return result
        result.median_ms = statistics.median(times)
        result.min_ms = min(times)
        result.cpu_ms = statistics.median(cpu)
        result.model_peak_bytes = model.memory_stats.peak
        result.kpu_peak_bytes = soft.memory_stats.peak
        result.peak_bytes = result.model_peak_bytes + result.kpu_peak_bytes
    return result


def discover_cases(extra: Sequence[Path]) -> list[Case]:
    cases = list(SHARED_CASES)
    if OWN_MODELS.is_dir():
        cases += [Case(f"own: {p.stem}", p) for p in sorted(OWN_MODELS.glob("*.kmodel"))]
    cases += [Case(p.name, p) for p in extra]
    return cases


def _verdict(r: Result) -> str:
    # judged on CPU time: on a shared host the wall time also counts other processes
    if r.cpu_ms is None or r.target_ms is None or r.goal_ms is None:
        return ""
    if r.cpu_ms <= r.goal_ms:
        return "goal met"
    if r.cpu_ms <= r.target_ms:
        return "target met"
    return "SLOWER than target"


def _kib(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.0f} KiB"


def format_results(results: Sequence[Result]) -> str:
    rows = [("model", "median ms", "min ms", "cpu ms", "peak mem", "(model + kpu)",
             "target/goal ms", "")]
    for r in results:
        target = f"<= {r.target_ms:g} / {r.goal_ms:g}" if r.target_ms is not None else "-"
        if r.median_ms is None:
            rows.append((r.name, "-", "-", "-", "-", "", target, r.note))
            continue
        rows.append((r.name, f"{r.median_ms:.2f}", f"{r.min_ms:.2f}", f"{r.cpu_ms:.2f}",
                     _kib(r.peak_bytes),
                     f"({_kib(r.model_peak_bytes)} + {_kib(r.kpu_peak_bytes)})", target,
                     _verdict(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maixkpu.bench", description=__doc__)
    parser.add_argument("models", nargs="*", type=Path, help="more kmodel files to time")
    parser.add_argument("-n", "--runs", type=int, default=10, help="timed runs per model")
    parser.add_argument("--json", action="store_true", help="print JSON results")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):  # one core, as the K210 firmware runs it
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = []
    for case in discover_cases(args.models):
        results.append(bench_case(case, max(1, args.runs)))
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        load = f"load average {os.getloadavg()[0]:.1f}, " if hasattr(os, "getloadavg") else ""
        print(f"software KPU, one thread, median of {args.runs} runs after one warm-up "
              f"({load}{os.cpu_count()} CPUs; targets judged on cpu ms)")
        print(format_results(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
