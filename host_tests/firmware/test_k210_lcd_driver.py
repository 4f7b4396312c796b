"""The K210 LCD driver stack (ports/k210 hal/k210_spi0, drivers/st7789, drivers/maix_lcd) on the
simulated SPI0/GPIOHS/FPIOA registers: what reaches the panel bus, byte for byte, against the
ST7789 datasheet (init) and MaixPy's lcd rules (spec maixpy-image-subset.md section 4)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from host_tests.firmware import k210_sim_run as sim

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None,
                                reason="no host C compiler")

MADCTL = {(0, 0): 0xA0, (1, 0): 0x00, (2, 0): 0x60, (3, 0): 0xC0,  # spec 4.4 directions
          (0, 1): 0x20, (1, 1): 0x40, (2, 1): 0xE0, (3, 1): 0x80}  # MaixPy's mirror helper


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sim.build(tmp_path_factory.mktemp("k210-lcd"))


def image_bytes(n: int) -> bytes:
    return bytes((i * 31 + 7) & 255 for i in range(n))


def test_init_resets_wakes_and_clears_the_panel(prog: Path) -> None:
    trace = sim.run(prog, "lcd_init", "0x00F8", "0")  # lcd.RED
    assert trace.status == [(0, "ok")] and trace.errors() == []
    rst = [ln.split() for ln in trace.lines if ln.startswith("RST ")]
    levels = [int(r[1]) for r in rst]
    assert levels[-2:] == [0, 1], rst
    low_us = int(rst[-1][2]) - int(rst[-2][2])
    assert low_us >= 10  # ST7789: RESX low pulse >= 10 us
    released = int(rst[-1][2])
    ops = sim.panel_ops(trace.lines)
    head = [(op.cmd, op.data) for op in ops[:7]]
    assert head == [(0x01, b""), (0x11, b""), (0x3A, b"\x55"), (0x36, b"\xa0"), (0x20, b""),
                    (0x13, b""), (0x29, b"")]
    swreset, slpout, colmod = ops[0].t_us, ops[1].t_us, ops[2].t_us
    assert swreset - released >= 120_000  # reset done before the first command
    assert slpout - swreset >= 120_000    # sleep-in after SWRESET: 120 ms before SLPOUT
    assert colmod - slpout >= 5_000        # 5 ms after SLPOUT before the next command
    # clear(lcd.RED): the whole 320x240 landscape panel in raw layout bytes F8 00
    assert sim.windows(ops[7:]) == [((0, 0, 319, 239), b"\xf8\x00" * 320 * 240)]
    assert 14_000_000 <= int(trace.values["FREQ"][0]) <= 15_000_000


def test_init_with_invert_sends_invon(prog: Path) -> None:
    ops = sim.panel_ops(sim.run(prog, "lcd_init", "0", "1").lines)
    assert [op.cmd for op in ops[:7]] == [0x01, 0x11, 0x3A, 0x36, 0x21, 0x13, 0x29]


@pytest.mark.parametrize("rotation,mirror", sorted(MADCTL))
def test_rotation_and_mirror_set_madctl(prog: Path, rotation: int, mirror: int) -> None:
    trace = sim.run(prog, "lcd_rotation", str(rotation), str(mirror))
    assert trace.status[-2:] == [(0, "ok"), (0, "ok")]
    ops = sim.panel_ops(trace.after_mark())
    assert [(op.cmd, op.data) for op in ops] == [
        (0x36, bytes([MADCTL[(rotation, 0)]])), (0x36, bytes([MADCTL[(rotation, mirror)]]))]
    size = (240, 320) if rotation % 2 else (320, 240)
    assert tuple(map(int, trace.values["SIZE"])) == size


def test_rotation_out_of_range_is_an_error_without_bus_traffic(prog: Path) -> None:
    trace = sim.run(prog, "lcd_rotation", "4", "0")
    assert trace.status[-2][1] == "value:[0,3]"
    assert [op.cmd for op in sim.panel_ops(trace.after_mark())] == [0x36]  # only mirror's


def test_clear_fills_the_panel_with_the_raw_colour(prog: Path) -> None:
    trace = sim.run(prog, "lcd_clear", "0x1FF8")  # lcd.MAGENTA: bytes F8 1F
    assert sim.windows(sim.panel_ops(trace.after_mark())) == [
        ((0, 0, 319, 239), b"\xf8\x1f" * 76800)]


DISPLAY_CASES = [
    # w, h, bpp, roi, oft, rotation
    (224, 224, 2, None, None, 0),               # centred at (48, 8) with black bars
    (640, 480, 1, None, None, 0),               # gray, centre crop to 320x240
    (320, 240, 2, (10, 20, 100, 50), (5, 7), 0),  # roi drawn at oft, no bars
    (100, 80, 2, None, (300, 200), 0),          # at oft, clipped by the panel edge
    (64, 48, 2, (-10, -10, 50, 50), None, 0),   # roi clipped to the image, then centred
    (50, 30, 1, None, (-1, 5), 0),              # a negative oft means centred
    (224, 224, 2, None, None, 1),               # portrait 240x320: bars left/right 8, top 48
    (330, 100, 2, (0, 0, 330, 100), None, 0),   # wider than the panel: centre crop in x only
]


@pytest.mark.parametrize("w,h,bpp,roi,oft,rotation", DISPLAY_CASES)
def test_display_sends_windows_and_pixels_of_spec_4_2(prog: Path, w, h, bpp, roi, oft,
                                                     rotation) -> None:
    args = [str(w), str(h), str(bpp), ",".join(map(str, roi)) if roi else "-",
            ",".join(map(str, oft)) if oft else "-", str(rotation)]
    trace = sim.run(prog, "lcd_display", *args)
    assert trace.status[-1] == (0, "ok") and trace.errors() == []
    ops = [op for op in sim.panel_ops(trace.after_mark()) if op.cmd != 0x36]
    panel = (240, 320) if rotation % 2 else (320, 240)
    assert sim.windows(ops) == sim.expected_display(panel, w, h, bpp, roi, oft,
                                                    image_bytes(w * h * bpp))


@pytest.mark.parametrize("bpp,roi,text", [
    (2, "0,0,0,10", "Invalid ROI dimensions!"),
    (2, "400,0,10,10", "ROI does not overlap on the image!"),
    (3, "-", "Image format is not supported."),
])
def test_display_errors_send_nothing(prog: Path, bpp: int, roi: str, text: str) -> None:
    trace = sim.run(prog, "lcd_display", "320", "240", str(bpp), roi, "-")
    assert trace.status[-1][1] == text
    assert sim.panel_ops(trace.after_mark()) == []


def test_a_fifo_that_never_drains_is_the_bus_status(prog: Path) -> None:
    """The glue prints the finding and raises MaixPy's OSError(EIO) for it (test_k210_glue)."""
    trace = sim.run(prog, "spi_stuck", "lcd_init", "0", "0")
    assert trace.status == [(1, "EIO | SPI0 FIFO did not drain")]
