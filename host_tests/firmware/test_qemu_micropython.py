"""The KPU and image user C modules built into MicroPython's ports/qemu, board VIRT_RV64, run
under qemu-system-riscv64 and driven by mpremote (modules/kpu/README.md, "ports/qemu").

Runs only when MICROPY_DIR names a MicroPython tree whose ports/qemu VIRT_RV64 board has a
ROMFS partition (after v1.28: the v1.29 preview; the board itself is in v1.27 without one) and the
RISC-V tools are installed (riscv64-unknown-elf-gcc, picolibc, qemu-system-riscv64, mpremote).
The firmware is built exactly as the README says into a temporary folder; the face model, the
astronaut input and the device scripts' helper reach the board through ROMFS, the face kfpkg
through the emulated flash. The device scripts must print their .py.exp files, and the face
detection on the astronaut must print exactly what the host module prints.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_tests.conftest import REPO, shared_model
from host_tests.firmware.test_micropython_module import (
    FACE_KFPKG,
    FACE_KMODEL,
    MICROPY_DIR,
    PARITY_SCRIPTS,
    device_scripts,
    run_host,
)

QEMU_PORT = Path(MICROPY_DIR) / "ports" / "qemu"
PICOLIBC = Path("/usr/lib/picolibc/riscv64-unknown-elf/lib/rv64imac/lp64")
FLASH_ADDR = 0x81000000   # MAIXKPU_QEMU_FLASH_BASE
HEAP_SIZE = 1572864       # the README's GC heap (1.5 MiB of the board's 2 MiB)


def romfs_address() -> int | None:
    """VIRT_RV64's MICROPY_HW_ROMFS_PART0_START, None without the board or its ROMFS."""
    mk = QEMU_PORT / "boards" / "VIRT_RV64" / "mpconfigboard.mk"
    if not MICROPY_DIR or not mk.is_file():
        return None
    for line in mk.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "MICROPY_HW_ROMFS_PART0_START":
            return int(value.strip(), 0)
    return None


ROMFS_ADDR = romfs_address()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ROMFS_ADDR is None,
                       reason="MICROPY_DIR does not point at a MicroPython tree whose ports/qemu "
                              "VIRT_RV64 board has ROMFS (v1.29 preview or newer)"),
]


def missing_tools() -> str | None:
    for tool in ("riscv64-unknown-elf-gcc", "qemu-system-riscv64"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not (PICOLIBC / "libc.a").is_file():
        return f"picolibc for rv64imac/lp64 is not installed ({PICOLIBC})"
    if importlib.util.find_spec("mpremote") is None:
        return "mpremote is not installed"
    return None


def mpremote(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mpremote", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """(serial device, ROMFS source folder, flash image) of a running emulated board."""
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    np = pytest.importorskip("numpy")
    pil = pytest.importorskip("PIL.Image")
    skimage_data = pytest.importorskip("skimage.data")
    from maixkpu.maixpy.flash import HostFlash

    root = tmp_path_factory.mktemp("mpy-qemu")
    libgcc = subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv64imac", "-mabi=lp64",
                             "-print-libgcc-file-name"], capture_output=True, text=True,
                            check=True).stdout.strip()
    build = root / "build"
    cmd = ["make", "-C", str(QEMU_PORT), "-j2", "BOARD=VIRT_RV64", f"BUILD={build}",
           f"USER_C_MODULES={REPO / 'modules'}", "FROZEN_MANIFEST=",
           f"MICROPY_HEAP_SIZE={HEAP_SIZE}",
           f"LIBS={PICOLIBC / 'libm.a'} {PICOLIBC / 'libc.a'} {libgcc}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    romsrc = root / "romsrc"
    romsrc.mkdir()
    shutil.copy(shared_model(FACE_KMODEL), romsrc / "face.kmodel")
    shutil.copy(REPO / "host_tests" / "device" / "kpu_input.py", romsrc)
    photo = Path(skimage_data.__file__).parent / "astronaut.png"
    img = pil.open(photo).convert("RGB").crop((0, 64, 512, 448)).resize((320, 240),
                                                                         pil.BILINEAR)
    (romsrc / "astronaut.bin").write_bytes(
        np.ascontiguousarray(np.asarray(img).transpose(2, 0, 1)).tobytes())
    rom = root / "rom.img"
    done = mpremote("romfs", "-o", str(rom), "build", str(romsrc))
    assert done.returncode == 0, done.stdout + done.stderr
    flash = HostFlash()
    flash.load_kfpkg(shared_model(FACE_KFPKG))
    flash_bin = root / "flash.bin"
    flash_bin.write_bytes(flash.read(0, flash.size))

    log = root / "qemu.log"
    with log.open("w") as out:
        qemu = subprocess.Popen(
            ["qemu-system-riscv64", "-machine", "virt", "-nographic", "-monitor", "null",
             "-bios", "none", "-semihosting", "-serial", "pty",
             "-kernel", str(build / "firmware.elf"),
             "-device", f"loader,file={rom},addr={ROMFS_ADDR:#x},force-raw=on",
             "-device", f"loader,file={flash_bin},addr={FLASH_ADDR:#x},force-raw=on"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        port = ""
        for _ in range(100):
            words = log.read_text().split()
            port = next((w for w in words if w.startswith("/dev/pts/")), "")
            if port or qemu.poll() is not None:
                break
            time.sleep(0.1)
        assert port, log.read_text()
        for _ in range(10):  # until the firmware answers on its raw REPL
            if mpremote("connect", port, "exec", "print(1)", timeout=60).stdout.strip() == "1":
                break
            time.sleep(0.5)
        else:
            pytest.fail("the emulated board does not answer: " + log.read_text())
        yield port, romsrc, flash_bin
    finally:
        qemu.terminate()
        qemu.wait(timeout=30)


def run_on_board(port: str, script: Path) -> str:
    done = mpremote("connect", port, "run", str(script))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.replace("\r\n", "\n")


@pytest.mark.parametrize("script", device_scripts(), ids=lambda p: p.name)
def test_device_script_output_under_qemu(board: tuple[str, Path, Path], script: Path) -> None:
    port, _, _ = board
    assert run_on_board(port, script) == script.with_suffix(".py.exp").read_text()


def test_face_detection_on_the_astronaut_under_qemu_matches_the_host(
        board: tuple[str, Path, Path]) -> None:
    port, romsrc, flash_bin = board
    script = PARITY_SCRIPTS / "face_astronaut.py"
    device = run_on_board(port, script)  # the script's defaults: /rom/face.kmodel, ...
    host = run_host(script, flash_bin, str(romsrc / "face.kmodel"), str(romsrc / "astronaut.bin"))
    assert device == host
    assert "1 faces" in device.splitlines()  # the astronaut's face, once
