"""The two KPU examples of MaixPy's documentation (host_tests/api/scripts), run unchanged with
``maixkpu script`` on the face-detection kfpkg, scikit-image's astronaut portrait as the camera:
one face found on the face, and the layer-3 feature-map mosaic as the spec predicts it."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from host_tests.conftest import shared_model
from maixkpu.cli import main as cli_main
from maixkpu.core import Model
from maixkpu.maixpy import image, lcd, sensor
from maixkpu.maixpy.runner import ScriptOptions, run_script

SCRIPTS = Path(__file__).resolve().parent / "scripts"
RB528 = [(255 * i + 15) // 31 for i in range(32)]  # spec maixpy-image-subset.md 1.3
G628 = [(255 * i + 31) // 63 for i in range(64)]
# Where the astronaut's face is in the 512x512 photo (x 160..260, y 30..160)
FACE_BOX_512 = (160, 30, 260, 160)
DETECTION = re.compile(r'\{"x":(\d+), "y":(\d+), "w":(\d+), "h":(\d+), "value":([0-9.]+), '
                       r'"classid":0, "index":0, "objnum":1\}')


@pytest.fixture
def astronaut() -> Path:
    skimage_data = pytest.importorskip("skimage.data")
    return Path(skimage_data.__file__).parent / "astronaut.png"


@pytest.fixture(autouse=True)
def fresh_modules():
    yield
    sensor.host_reset()
    lcd.host_reset()


def qvga_point(x: float, y: float) -> tuple[float, float]:
    """A 512x512 photo point in the QVGA frame: the camera centre-crops the photo to 4:3
    (512x384 from y = 64) and scales it by 320/512 (sensor module docstring)."""
    scale = 320 / 512
    return x * scale, (y - 64) * scale


def test_face_detection_script_finds_the_face(tmp_path, astronaut, capsys):
    kfpkg = shared_model("sipeed_face_model_at_0x300000.kfpkg")
    code = cli_main(["script", str(SCRIPTS / "face_detect.py"), "--kfpkg", str(kfpkg),
                     "--camera", str(astronaut), "--frames", "2", "--lcd-out",
                     str(tmp_path / "lcd")])
    assert code == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2  # one detection printed per frame, two frames
    assert "stopped after the frame budget: 2 snapshots, 2 LCD frames" in captured.err
    x0, y0 = qvga_point(FACE_BOX_512[0], FACE_BOX_512[1])
    x1, y1 = qvga_point(FACE_BOX_512[2], FACE_BOX_512[3])
    for line in lines:
        match = DETECTION.fullmatch(line)
        assert match, line
        x, y, w, h = (int(v) for v in match.groups()[:4])
        assert float(match.group(5)) > 0.5
        cx, cy = x + w / 2, y + h / 2
        assert max(x0, 0) <= cx <= x1 and max(y0, 0) <= cy <= y1
        assert 20 <= w <= 120 and 20 <= h <= 120  # a face, not the whole frame
    # the LCD shows the frame with the white box drawn on it
    shown = np.asarray(PILImage.open(tmp_path / "lcd" / "lcd_last.png").convert("RGB"))
    x, y, w, h = (int(v) for v in DETECTION.fullmatch(lines[-1]).groups()[:4])
    assert (shown[y + h // 2, x] == 255).all() and (shown[y + h // 2, x + w - 1] == 255).all()


def _frame_planes(source: Path) -> np.ndarray:
    """The planar RGB the camera gives for source (QVGA RGB565), as the script's snapshot."""
    sensor.host_reset()
    sensor.configure_source(source)
    sensor.reset()
    sensor.set_pixformat(sensor.RGB565)
    sensor.set_framesize(sensor.QVGA)
    planes = sensor.snapshot().ai_planes().copy()
    sensor.host_reset()
    return planes


def test_fmap_mosaic_script_shows_sixteen_layer3_maps(tmp_path, astronaut, capsys):
    options = ScriptOptions(kfpkgs=[shared_model("sipeed_face_model_at_0x300000.kfpkg")],
                            camera=astronaut, frames=1, lcd_out=tmp_path / "lcd")
    result = run_script(SCRIPTS / "fmap_mosaic.py", options)
    assert (result.snapshots, result.displayed, result.stopped) == (1, 1, True)
    found = result.variables
    assert (found["w"], found["h"], found["num"], found["x_step"]) == (80, 60, 16, 4)
    assert found["layer"].wo() == 80 and found["layer"].ho() == 60
    printed = capsys.readouterr().out.splitlines()
    assert printed[3] == "layer[3]: KL_K210_CONV, 1024 bytes"  # netinfo's console lines
    mosaic = np.asarray(PILImage.open(tmp_path / "lcd" / "lcd_last.png").convert("RGB"))
    assert mosaic.shape == (240, 320, 3)
    # netinfo(task)[3] is 80x60, so 320*240/80/60 = 16 tiles in a 4x4 grid
    tiles = [mosaic[(i // 4) * 60:(i // 4 + 1) * 60, (i % 4) * 80:(i % 4 + 1) * 80]
             for i in range(16)]
    assert len({t.tobytes() for t in tiles}) > 8  # not all the same
    assert sum(len(np.unique(t.reshape(-1, 3), axis=0)) > 1 for t in tiles) >= 8  # not blank
    # prediction: layer 3's channel i from the core, stretch(64, 255) on its gray image, then
    # draw_image onto RGB565 writes raw word g: shown as (rb528[g >> 3], g628[(g & 7) << 3], 0)
    with Model.load(shared_model("sipeed_facedetect_320x240.kmodel")) as model:
        maps = model.run(_frame_planes(astronaut), last_layer=3)[0]
    assert maps.shape == (32, 60, 80)
    for i, tile in enumerate(tiles):
        gray = image.Image.from_gray_bytes(80, 60, bytearray(maps[i:].tobytes()))
        gray.stretch(64, 255)
        g = np.frombuffer(bytes(gray), np.uint8).reshape(60, 80).astype(int)
        expected = np.stack([np.take(RB528, g >> 3), np.take(G628, (g & 7) << 3),
                             np.zeros_like(g)], axis=-1)
        assert np.array_equal(tile, expected), f"tile {i}"


def test_script_errors_exit_1_and_missing_files_are_user_errors(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("import KPU as kpu\nkpu.load(0x300000)\n")
    assert cli_main(["script", str(bad)]) == 1
    assert "no model at flash address 0x300000" in capsys.readouterr().err
    assert cli_main(["script", str(tmp_path / "none.py")]) == 2
    assert cli_main(["script", str(bad), "--kfpkg", str(tmp_path / "x.kfpkg")]) == 2


def test_runner_shims_and_frame_budget(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(
        "import sensor, time, gc\n"
        "clock = time.clock()\n"
        "sensor.reset(); sensor.set_pixformat(sensor.RGB565); sensor.set_framesize(sensor.QQVGA)\n"
        "n = 0\n"
        "while True:\n"
        "    clock.tick()\n"
        "    try:\n"
        "        img = sensor.snapshot()\n"
        "    except Exception:\n"
        "        pass\n"
        "    n += 1\n"
        "    assert time.ticks_ms() >= 0 and gc.mem_free() > 0\n")
    result = run_script(script, ScriptOptions(frames=3))
    # the budget ends the loop even through the script's own `except Exception`
    assert (result.snapshots, result.stopped) == (3, True)
    import time as host_time

    assert not hasattr(host_time, "ticks_ms")  # the host module is untouched
