"""Builds the job image the bare-metal core test (firmware/qemu-test) reads at JOB_ADDR, runs
it under qemu-system-riscv64 and parses its PASS/FAIL lines. Layout: firmware/qemu-test/job.h."""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QEMU_TEST_DIR = REPO / "firmware" / "qemu-test"
ELF = REPO / "build" / "qemu-test" / "core_test.elf"
JOB_ADDR = 0x84000000
JOB_MAGIC = 0x3154514B
JOB_LAYER_HASHES = 1
JOB_FLOAT_OUTPUT = 2
FINAL_OUTPUT = -1
HEADER = struct.Struct("<8I32s")


def missing_tools() -> str | None:
    """Why the QEMU test cannot run here, or None."""
    for tool in ("riscv64-unknown-elf-gcc", "qemu-system-riscv64"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install gcc-riscv64-unknown-elf " \
                   "picolibc-riscv64-unknown-elf qemu-system-misc)"
    return None


def build_elf() -> Path:
    subprocess.run(["make", "-s", "-C", str(QEMU_TEST_DIR)], check=True, capture_output=True)
    return ELF


def _align(n: int, a: int = 16) -> int:
    return (n + a - 1) // a * a


def hash_job(name: str, model: bytes, inp: bytes, hashes: list[tuple[int, str, int]]) -> bytes:
    """hashes: (layer or FINAL_OUTPUT, 16-hex-digit SHA-256 prefix, byte sum)."""
    expect = b"".join(struct.pack("<iI8sQ", layer, 0, bytes.fromhex(sha), total)
                      for layer, sha, total in hashes)
    return _job(name, JOB_LAYER_HASHES, model, inp, expect, len(hashes))


def float_job(name: str, model: bytes, inp: bytes, values: list[float], tol: float) -> bytes:
    expect = b"".join(struct.pack("<ff", v, tol) for v in values)
    return _job(name, JOB_FLOAT_OUTPUT, model, inp, expect, len(values))


def _job(name: str, kind: int, model: bytes, inp: bytes, expect: bytes, count: int) -> bytes:
    model_off = _align(HEADER.size, 256)        # the model sits 256-aligned, as on the K210
    input_off = _align(model_off + len(model), 256)
    expect_off = _align(input_off + len(inp))
    head = HEADER.pack(JOB_MAGIC, kind, model_off, len(model), input_off, len(inp), expect_off,
                       count, name.encode()[:31])
    out = bytearray(expect_off + len(expect))
    out[: len(head)] = head
    out[model_off: model_off + len(model)] = model
    out[input_off: input_off + len(inp)] = inp
    out[expect_off:] = expect
    return bytes(out)


@dataclass
class QemuResult:
    returncode: int
    output: str
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run_job(job: bytes, workdir: Path, timeout: float = 600) -> QemuResult:
    path = workdir / "job.bin"
    path.write_bytes(job)
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-m", "256M", "-nographic", "-bios", "none",
           "-kernel", str(ELF), "-device", f"loader,file={path},addr={JOB_ADDR:#x},force-raw=on"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    res = QemuResult(proc.returncode, proc.stdout)
    for line in proc.stdout.splitlines():
        if m := re.match(r"(PASS|FAIL) (.*)", line.strip()):
            (res.passed if m.group(1) == "PASS" else res.failed).append(m.group(2))
    return res
