"""The K210 camera driver stack (ports/k210 hal/k210_dvp, hal/k210_sccb, drivers/ov2640,
drivers/maix_camera) on the simulated DVP: the chip id probe over SCCB, the OV2640 registers the
frame sizes leave, snapshots byte for byte (spec maixpy-image-subset.md 3.4 and 3.6: DVP words
byte-reversed, AI planes, top-left window) and the errors when the camera does not answer."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from host_tests.firmware import k210_sim_run as sim

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None,
                                reason="no host C compiler")
RGB565, GRAYSCALE, YUV422 = 2, 4, 3
QVGA, VGA, HQQQVGA, SXGA = 10, 11, 12, 25


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sim.build(tmp_path_factory.mktemp("k210-camera"))


def test_reset_probes_the_chip_id_over_sccb(prog: Path) -> None:
    trace = sim.run(prog, "cam_reset")
    assert trace.status == [(0, "ok")] and trace.errors() == []
    assert trace.values["ID"] == ["2642"]
    reads = [ln for ln in trace.lines if ln.startswith("SCCB R")]
    assert reads == ["SCCB R 1 0a 26", "SCCB R 1 0b 42"]  # PIDH, PIDL in the sensor bank
    regs = sim.sccb_registers(trace.lines)
    assert regs[1][0x12] == 0x40                # COM7: SVGA readout after the soft reset
    assert regs[0][0x05] == 0x00                # DSP not bypassed
    assert regs[0][0xDA] & 0x0C == 0            # YUV422 to the DVP
    assert int(trace.values["XCLK"][0]) <= 24_000_000


@pytest.mark.parametrize("knob,code,text", [
    ("absent", 10, "Reset Failed | camera not answering: no OV2640 chip id on SCCB"),
    ("wrong_id", 10, "Reset Failed | camera not answering: no OV2640 chip id on SCCB"),
    ("sccb_stuck", 9, "Reset Failed | camera not answering: SCCB transfer never finished"),
])
def test_reset_errors_when_the_camera_does_not_answer(prog: Path, knob: str, code: int,
                                                      text: str) -> None:
    trace = sim.run(prog, knob, "cam_reset")
    assert trace.status == [(code, text)]
    assert trace.values["ID"] == (["7742"] if knob == "wrong_id" else
                                  ["ffff"] if knob == "absent" else ["0000"])


@pytest.mark.parametrize("framesize,size", [(QVGA, (320, 240)), (VGA, (640, 480))])
def test_framesize_programs_the_zoom_output(prog: Path, framesize: int, size) -> None:
    trace = sim.run(prog, "cam_snapshot", str(RGB565), str(framesize))
    assert trace.status[-1] == (0, "ok")
    dsp = sim.sccb_registers(trace.after_mark())[0]
    w4, h4 = size[0] // 4, size[1] // 4
    assert (dsp[0x5A], dsp[0x5B], dsp[0x5C]) == (w4 & 255, h4 & 255,
                                                 (w4 >> 8) | ((h4 >> 8) << 2))
    assert dsp[0xE0] == 0  # DVP output released after the change
    assert f"FRAME {size[0]} {size[1]} YUV" in trace.lines


def test_rgb565_snapshot_is_byte_reversed_words_and_planes(prog: Path) -> None:
    trace = sim.run(prog, "cam_snapshot", str(RGB565), str(QVGA))
    assert trace.status[-1] == (0, "ok") and trace.errors() == []
    pix, ai = sim.expected_frame(320, 240, (320, 240))
    assert bytes.fromhex(trace.values["PIX"][0]) == pix
    assert bytes.fromhex(trace.values["AI"][0]) == ai


def test_window_is_a_top_left_crop(prog: Path) -> None:
    trace = sim.run(prog, "cam_snapshot", str(RGB565), str(QVGA), "224,224")
    assert trace.values["SIZE"] == ["224", "224"]
    pix, ai = sim.expected_frame(224, 224, (320, 240))
    assert bytes.fromhex(trace.values["PIX"][0]) == pix
    assert bytes.fromhex(trace.values["AI"][0]) == ai


def test_grayscale_pixels_are_the_first_ai_plane(prog: Path) -> None:
    trace = sim.run(prog, "cam_snapshot", str(GRAYSCALE), str(QVGA), "-")
    assert "FRAME 320 240 Y" in trace.lines
    ys = bytes((77 * r + 150 * g + 29 * b) >> 8
               for y in range(240) for x in range(320) for r, g, b in [sim.sim_pattern(x, y)])
    assert bytes.fromhex(trace.values["PIX"][0]) == ys
    assert bytes.fromhex(trace.values["AI"][0])[:320 * 240] == ys


@pytest.mark.parametrize("hmirror,vflip", [(1, 0), (0, 1), (1, 1)])
def test_mirror_and_flip_reach_reg04(prog: Path, hmirror: int, vflip: int) -> None:
    trace = sim.run(prog, "cam_snapshot", str(RGB565), str(QVGA), "-", str(hmirror), str(vflip))
    assert sim.sccb_registers(trace.lines)[1][0x04] == 0x28 | hmirror << 7 | vflip << 6
    pix, _ = sim.expected_frame(320, 240, (320, 240), bool(hmirror), bool(vflip))
    assert bytes.fromhex(trace.values["PIX"][0]) == pix


@pytest.mark.parametrize("window,text", [
    ("4,4", "The selected window is too small"),
    ("328,8", "The selected window is outside the bounds of the frame"),
    ("100,96", "value must be multiple of 8"),
    ("1,2,3", "The tuple/list must either be (x, y, w, h) or (w, h)"),
    ("300,0,32,32", "The selected window is outside the bounds of the frame"),
])
def test_windowing_errors(prog: Path, window: str, text: str) -> None:
    trace = sim.run(prog, "cam_snapshot", str(RGB565), str(QVGA), window)
    assert trace.status[-1][1] == text
    assert "PIX" not in trace.values


@pytest.mark.parametrize("fmt,framesize,text", [
    (YUV422, QVGA, "Pixel format is not supported!"),
    (RGB565, HQQQVGA, "EIO | frame size not supported by this driver"),  # 60 px: not 8k
    (RGB565, SXGA, "EIO | frame size not supported by this driver"),     # beyond SVGA
])
def test_unsupported_formats_and_sizes(prog: Path, fmt: int, framesize: int, text: str) -> None:
    assert sim.run(prog, "cam_snapshot", str(fmt), str(framesize)).status[-1][1] == text


@pytest.mark.parametrize("knob,text", [
    ("no_vsync", "Sensor timeout! | no frame start (VSYNC) from the camera"),
    ("no_finish", "Sensor timeout! | frame started but the DVP never finished it"),
])
def test_snapshot_timeouts(prog: Path, knob: str, text: str) -> None:
    trace = sim.run(prog, knob, "cam_snapshot", str(RGB565), str(QVGA))
    assert trace.status[-1][1] == text
    assert not any(ln.startswith("FRAME") for ln in trace.lines)
