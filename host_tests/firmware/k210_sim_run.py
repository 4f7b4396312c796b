"""Builds host_tests/firmware/k210_sim/drivers_prog (the K210 LCD and camera drivers of
ports/k210 compiled against the simulated register file) and parses its bus trace."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from host_tests.conftest import REPO

SIM_DIR = Path(__file__).resolve().parent / "k210_sim"
PORT = REPO / "ports" / "k210"
DRIVER_SOURCES = [PORT / "hal" / f"k210_{name}.c"
                  for name in ("sysctl", "time", "fpioa", "gpiohs", "spi0", "dvp", "sccb")]


def build(out_dir: Path) -> Path:
    """Compile the scenario program with gcc (-Werror); the caller skips without gcc."""
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc is not None
    exe = out_dir / "drivers_prog"
    cmd = [cc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-DK210_MMIO_SIM",
           f"-I{PORT / 'hal'}", f"-I{PORT / 'drivers'}", f"-I{SIM_DIR}",
           *map(str, sorted(SIM_DIR.glob("*.c"))), *map(str, DRIVER_SOURCES),
           *map(str, sorted((PORT / "drivers").glob("*.c"))), "-o", str(exe)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return exe


@dataclass
class Trace:
    """One run: bus events before and after the MARK line, and the program's own lines."""
    lines: list[str]
    status: list[tuple[int, str]] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)

    def after_mark(self) -> list[str]:
        return self.lines[self.lines.index("MARK") + 1:] if "MARK" in self.lines else self.lines

    def errors(self) -> list[str]:
        return [ln for ln in self.lines if ln.startswith("ERR ")]


def run(exe: Path, *args: str) -> Trace:
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    trace = Trace(done.stdout.splitlines())
    for line in trace.lines:
        tag, _, rest = line.partition(" ")
        if tag == "STATUS":
            code, _, text = rest.partition(" ")
            trace.status.append((int(code), text))
        elif tag in ("ID", "XCLK", "FREQ", "SIZE", "PIX", "AI"):
            trace.values[tag] = rest.split()
    return trace


@dataclass
class PanelOp:
    """A command with its parameter/data bytes (DC high bytes up to the next command)."""
    cmd: int
    data: bytes
    t_us: int


def panel_ops(lines: list[str]) -> list[PanelOp]:
    ops: list[PanelOp] = []
    for line in lines:
        if line.startswith("C "):
            _, cmd, t = line.split()
            ops.append(PanelOp(int(cmd, 16), b"", int(t)))
        elif line.startswith("D ") and ops:
            ops[-1].data += bytes.fromhex(line[2:])
    return ops


def windows(ops: list[PanelOp]) -> list[tuple[tuple[int, int, int, int], bytes]]:
    """CASET/RASET/RAMWR groups as ((x0, y0, x1, y1), pixel bytes); other commands fail."""
    out = []
    i = 0
    while i < len(ops):
        caset, raset, ramwr = ops[i:i + 3]
        assert (caset.cmd, raset.cmd, ramwr.cmd) == (0x2A, 0x2B, 0x2C), ops[i:i + 3]
        x0, x1 = int.from_bytes(caset.data[:2], "big"), int.from_bytes(caset.data[2:], "big")
        y0, y1 = int.from_bytes(raset.data[:2], "big"), int.from_bytes(raset.data[2:], "big")
        out.append(((x0, y0, x1, y1), ramwr.data))
        i += 3
    return out


def sccb_registers(lines: list[str]) -> dict[int, dict[int, int]]:
    """The camera's register values the SCCB writes leave, per bank (0 = DSP, 1 = sensor)."""
    banks: dict[int, dict[int, int]] = {0: {}, 1: {}}
    for line in lines:
        if line.startswith("SCCB W "):
            _, _, bank, reg, val = line.split()
            banks[int(bank)][int(reg, 16)] = int(val, 16)
    return banks


def sim_pattern(x: int, y: int) -> tuple[int, int, int]:
    """The fake camera's RGB888 at sensor pixel (x, y): k210_sim_pattern in k210_sim.c."""
    return (x * 3 + y) & 255, (x + y * 5 + 17) & 255, ((x ^ y) * 7) & 255


def raw565(r: int, g: int, b: int) -> bytes:
    """The DVP's RGB565 of the simulated frame (truncating, the model's choice) in the raw
    layout of spec 1.2: the standard value high byte first."""
    return ((r >> 3) << 11 | (g >> 2) << 5 | b >> 3).to_bytes(2, "big")


def expected_frame(w: int, h: int, sensor: tuple[int, int], hmirror: bool = False,
                   vflip: bool = False) -> tuple[bytes, bytes]:
    """Pixels and R/G/B planes of the top-left w x h of the sensor's frame."""
    sw, sh = sensor
    pix = bytearray()
    planes = [bytearray(), bytearray(), bytearray()]
    for y in range(h):
        for x in range(w):
            rgb = sim_pattern(sw - 1 - x if hmirror else x, sh - 1 - y if vflip else y)
            pix += raw565(*rgb)
            for plane, v in zip(planes, rgb):
                plane.append(v)
    return bytes(pix), bytes(planes[0] + planes[1] + planes[2])


def panel_pixels(img: bytes, w: int, bpp: int, x: int, y: int, rw: int, rh: int) -> bytes:
    """Panel bytes of an image region: RGB565 raw bytes as they are; gray g as the standard
    RGB565 ((g>>3)<<11)|((g>>2)<<5)|(g>>3), high byte first."""
    out = bytearray()
    for row in range(y, y + rh):
        if bpp == 2:
            out += img[(row * w + x) * 2:(row * w + x + rw) * 2]
            continue
        for g in img[row * w + x:row * w + x + rw]:
            out += (((g >> 3) << 11) | ((g >> 2) << 5) | (g >> 3)).to_bytes(2, "big")
    return bytes(out)


def expected_display(panel: tuple[int, int], w: int, h: int, bpp: int,
                     roi: tuple[int, int, int, int] | None, oft: tuple[int, int] | None,
                     img: bytes) -> list[tuple[tuple[int, int, int, int], bytes]]:
    """lcd.display of img (w x h, bpp) on a panel of the given size: spec 4.2 (and 2.8 for
    the roi) as the list of panel windows with their bytes."""
    pw, ph = panel
    rx, ry, rw, rh = roi or (0, 0, w, h)
    x0, y0 = max(rx, 0), max(ry, 0)
    x1, y1 = min(rx + rw, w), min(ry + rh, h)
    rx, ry, rw, rh = x0, y0, x1 - x0, y1 - y0
    out = []
    if oft is None or oft[0] < 0 or oft[1] < 0:
        left = top = right = bottom = 0
        if rw > pw:
            rx, rw = rx + (rw - pw) // 2, pw
        else:
            left, right = (pw - rw) // 2, pw - rw - (pw - rw) // 2
        if rh > ph:
            ry, rh = ry + (rh - ph) // 2, ph
        else:
            top, bottom = (ph - rh) // 2, ph - rh - (ph - rh) // 2
        for bx, by, bw, bh in ((0, 0, pw, top), (0, ph - bottom, pw, bottom),
                               (0, top, left, ph - top - bottom),
                               (pw - right, top, right, ph - top - bottom)):
            if bw > 0 and bh > 0:
                out.append(((bx, by, bx + bw - 1, by + bh - 1), bytes(bw * bh * 2)))
        px, py = left, top
    else:
        px, py = oft
        rw, rh = min(rw, pw - px), min(rh, ph - py)
    out.append(((px, py, px + rw - 1, py + rh - 1), panel_pixels(img, w, bpp, rx, ry, rw, rh)))
    return out
