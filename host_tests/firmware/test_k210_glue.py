"""The K210 port's `lcd` and `sensor` MicroPython modules (ports/k210/mp) with their drivers,
built into MicroPython's unix port against the simulated registers (k210_sim/mpy), together with
modules/kpu and modules/image: argument handling, Images made from snapshots, what lcd.display
sends, and the exceptions of the status table.

Runs only when MICROPY_DIR names a MicroPython source tree (as test_micropython_module.py)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from host_tests.conftest import REPO
from host_tests.firmware import k210_sim_run as sim
from host_tests.firmware.test_micropython_module import MICROPY_DIR, UNIX_BUILD_FLAGS

SCRIPTS = sim.SIM_DIR / "scripts"
RB528 = [(255 * i + 15) // 31 for i in range(32)]  # spec 1.3
G628 = [(255 * i + 31) // 63 for i in range(64)]

pytestmark = pytest.mark.skipif(
    not (Path(MICROPY_DIR) / "ports" / "unix" / "Makefile").is_file(),
    reason="MICROPY_DIR does not point at a MicroPython source tree")


@pytest.fixture(scope="module")
def micropython(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("k210-glue")
    mods = root / "modules"
    mods.mkdir()
    for name, target in (("kpu", REPO / "modules" / "kpu"), ("image", REPO / "modules" / "image"),
                         ("k210_glue", sim.SIM_DIR / "mpy")):
        (mods / name).symlink_to(target)
    build = root / "build"
    cmd = ["make", "-C", str(Path(MICROPY_DIR) / "ports" / "unix"), "-j2", f"BUILD={build}",
           f"USER_C_MODULES={mods}", *UNIX_BUILD_FLAGS]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return build / "micropython"


def run(binary: Path, script: str, tmp_path: Path, knobs: str = "") -> tuple[list[str], sim.Trace]:
    trace_file = tmp_path / "trace.txt"
    env = dict(os.environ, K210_SIM_TRACE=str(trace_file), K210_SIM_KNOBS=knobs)
    done = subprocess.run([str(binary), str(SCRIPTS / script)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines(), sim.Trace(trace_file.read_text().splitlines())


def rgb_tuple(x: int, y: int) -> tuple[int, int, int]:
    """get_pixel of a simulated RGB565 snapshot: the DVP's 5/6/5 bits expanded (spec 1.3)."""
    r, g, b = sim.sim_pattern(x, y)
    return RB528[r >> 3], G628[g >> 2], RB528[b >> 3]


def test_lcd_and_sensor_modules(micropython: Path, tmp_path: Path) -> None:
    out, trace = run(micropython, "lcd_sensor.py", tmp_path)
    r, g, b = sim.sim_pattern(5, 3)
    raw53 = int.from_bytes(sim.raw565(r, g, b), "little")
    gray = [(77 * r + 150 * g + 29 * b) >> 8 for r, g, b in (sim.sim_pattern(0, 0),
                                                              sim.sim_pattern(7, 2))]
    assert out == [
        "320 240 0 0 15000000",
        "1 240 320",
        "ValueError value:[0,3]",
        "OSError Invalid ROI dimensions!",
        "0x2642",
        "True None",
        "320 240",
        '{"w":320, "h":240, "type"="rgb565", "size":153600}',
        f"{rgb_tuple(0, 0)} {rgb_tuple(5, 3)} {raw53}",
        "True",  # two snapshots share the frame buffer
        "True",
        '{"w":224, "h":224, "type"="rgb565", "size":100352} 320',
        '{"w":28, "h":28, "type"="grayscale", "size":784}',
        f'{{"w":224, "h":224, "type"="grayscale", "size":50176}} {gray[0]} {gray[1]}',
        "ValueError The selected window is too small",
        "ValueError value must be multiple of 8",
        "ValueError The tuple/list must either be (x, y, w, h) or (w, h)",
        "ValueError arg err",
    ]
    assert trace.errors() == []
    square = bytearray(224 * 224 * 2)
    for y in range(10):
        for x in range(10):
            square[(y * 224 + x) * 2] = 0xF8  # lcd.RED, raw 0x00F8
    snap, _ = sim.expected_frame(224, 224, (320, 240))
    ops = [op for op in sim.panel_ops(trace.lines) if op.cmd in (0x2A, 0x2B, 0x2C)]
    panel = (320, 240)
    assert sim.windows(ops) == [
        ((0, 0, 319, 239), bytes(320 * 240 * 2)),                            # init clear
        *sim.expected_display(panel, 224, 224, 2, None, None, bytes(square)),
        *sim.expected_display(panel, 224, 224, 2, None, (10, 20), bytes(square)),
        ((0, 0, 319, 239), b"\xf8\x00" * 320 * 240),                         # clear((255,0,0))
        *sim.expected_display(panel, 224, 224, 2, None, None, snap),         # the snapshot
    ]


@pytest.mark.parametrize("knob,finding", [
    ("absent", "camera not answering: no OV2640 chip id on SCCB"),
    ("wrong_id", "camera not answering: no OV2640 chip id on SCCB"),
    ("sccb_stuck", "camera not answering: SCCB transfer never finished"),
])
def test_no_camera(micropython: Path, tmp_path: Path, knob: str, finding: str) -> None:
    """MaixPy's exact exception (spec 6); the driver's finding is a line printed before it."""
    out, _ = run(micropython, "no_camera.py", tmp_path, knob)
    assert out == ["TypeError not found sensor ('not found sensor',)",
                   finding,
                   "OSError Reset Failed ('Reset Failed',)"]


NO_VSYNC = "no frame start (VSYNC) from the camera"


# With no_finish the simulated frame that never ends stays started, so skip_frames' capture
# sees no new frame start: its printed finding is NO_VSYNC.
@pytest.mark.parametrize("knob,finding,skip_finding", [
    ("no_vsync", NO_VSYNC, NO_VSYNC),
    ("no_finish", "frame started but the DVP never finished it", NO_VSYNC),
])
def test_camera_timeouts(micropython: Path, tmp_path: Path, knob: str, finding: str,
                         skip_finding: str) -> None:
    """MaixPy's two timeout texts (spec 6), each after the driver's finding."""
    out, _ = run(micropython, "camera_timeouts.py", tmp_path, knob)
    assert out == [finding, "RuntimeError Sensor timeout! ('Sensor timeout!',)",
                   skip_finding, "RuntimeError Sensor Timeout!! ('Sensor Timeout!!',)",
                   "frame size not supported by this driver", "OSError [Errno 5] EIO (5,)"]


def test_lcd_bus_failure(micropython: Path, tmp_path: Path) -> None:
    out, _ = run(micropython, "lcd_bus.py", tmp_path, "spi_stuck")
    assert out == ["SPI0 FIFO did not drain", "OSError [Errno 5] EIO (5,)", "None"]


def test_single_and_dual_frame_buffers(micropython: Path, tmp_path: Path) -> None:
    out, _ = run(micropython, "frame_buffers.py", tmp_path)
    q00 = int.from_bytes(sim.raw565(*sim.sim_pattern(0, 0)), "little")
    assert out == ["None", f"False {q00} {q00}", "True",
                   "None", f"True {0xFFFF} {q00}", "True"]


def test_lcd_rectangles_text_and_deinit(micropython: Path, tmp_path: Path) -> None:
    out, trace = run(micropython, "lcd_extras.py", tmp_path)
    assert out == ["ValueError arg error", "ValueError type error", "None",
                   "ValueError not init"]
    wins = sim.windows([op for op in sim.panel_ops(trace.lines) if op.cmd in (0x2A, 0x2B, 0x2C)])
    assert wins[:2] == [((0, 0, 319, 239), b"\xff\xff" * 320 * 240),  # init(color=WHITE)
                        ((10, 20, 39, 59), b"\x07\xe0" * 30 * 40)]     # GREEN, raw 0xE007
    (box, text), = wins[2:]  # "Hi": one 16 x 12 strip at (8, 16); nothing off the panel
    assert box == (8, 16, 23, 27)
    pixels = {text[i:i + 2] for i in range(0, len(text), 2)}
    assert pixels == {b"\xff\xff", b"\x00\x1f"}  # WHITE glyphs on BLUE (raw 0x1F00)
