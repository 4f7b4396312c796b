"""The emulated ``sensor`` (file camera) and ``lcd`` (PNG panel) modules
(shared/spec/maixpy-image-subset.md sections 3 and 4)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from host_tests.conftest import shared_model
from maixkpu.maixpy import image, lcd, sensor

RB528 = [(255 * i + 15) // 31 for i in range(32)]
G628 = [(255 * i + 31) // 63 for i in range(64)]


def rb825(v: int) -> int:
    return (31 * v + 127) // 255


def g826(v: int) -> int:
    return (63 * v + 127) // 255


def raw_of(r: int, g: int, b: int) -> int:
    r5, g6, b5 = rb825(r), g826(g), rb825(b)
    return ((r5 << 3) | (g6 >> 3) | ((g6 & 7) << 13) | (b5 << 8)) & 0xFFFF


@pytest.fixture(autouse=True)
def fresh_modules(monkeypatch):
    monkeypatch.delenv("MAIXKPU_CAMERA", raising=False)
    monkeypatch.delenv("MAIXKPU_LCD_OUT", raising=False)
    sensor.host_reset()
    lcd.host_reset()
    yield
    sensor.host_reset()
    lcd.host_reset()


def solid(path, colour, size=(320, 240)) -> None:
    PILImage.new("RGB", size, colour).save(path)


def coordinate_picture(path, w=320, h=240) -> np.ndarray:
    """R = x (low 8 bits), G = y, B = x >> 8: every pixel says where it came from."""
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx & 0xFF, yy & 0xFF, xx >> 8], axis=-1).astype(np.uint8)
    PILImage.fromarray(rgb).save(path)
    return rgb


def start(fmt=sensor.RGB565, size=sensor.QVGA) -> None:
    sensor.reset()
    sensor.set_pixformat(fmt)
    sensor.set_framesize(size)


# ----- sensor ---------------------------------------------------------------------------------


def test_snapshot_errors_and_sizes():
    with pytest.raises(TypeError, match=r"^not found sensor$"):
        sensor.snapshot()
    sensor.reset()
    assert sensor.width() == 0
    with pytest.raises(RuntimeError, match=r"^Not init!$"):
        sensor.snapshot()
    with pytest.raises(ValueError, match=r"^arg err$"):
        sensor.set_pixformat()
    with pytest.raises(OSError, match=r"^Pixel format is not supported!$"):
        sensor.set_pixformat(sensor.JPEG)
    assert sensor.set_pixformat(sensor.RGB565) is True
    assert sensor.set_framesize(sensor.QVGA) is None
    assert (sensor.width(), sensor.height()) == (320, 240)
    img = sensor.snapshot()  # the built-in colour bars
    assert repr(img) == '{"w":320, "h":240, "type"="rgb565", "size":153600}'
    assert img.get_pixel(0, 0) == (255, 255, 255)


def test_set_windowing_checks():
    start()
    tuple_text = r"^The tuple/list must either be \(x, y, w, h\) or \(w, h\)$"
    with pytest.raises(ValueError, match=tuple_text):
        sensor.set_windowing((1, 2, 3))
    with pytest.raises(ValueError, match=r"^The selected window is too small$"):
        sensor.set_windowing((4, 64))
    outside = r"^The selected window is outside the bounds of the frame$"
    with pytest.raises(ValueError, match=outside):
        sensor.set_windowing((328, 64))
    with pytest.raises(ValueError, match=r"^value must be multiple of 8$"):
        sensor.set_windowing((100, 64))
    assert sensor.set_windowing((224, 224)) is True
    assert (sensor.width(), sensor.height()) == (320, 240)
    assert sensor.snapshot().width() == 224


def test_folder_is_cycled_by_name_with_ai_planes(tmp_path):
    colours = {"b.png": (10, 200, 30), "a.png": (250, 5, 128), "c.bmp": (0, 0, 255)}
    for name, colour in colours.items():
        solid(tmp_path / name, colour)
    sensor.configure_source(tmp_path)
    start()
    order = ["a.png", "b.png", "c.bmp", "a.png"]
    for name in order:
        img = sensor.snapshot()
        r, g, b = colours[name]
        assert img.get_pixel(5, 7, False) == raw_of(r, g, b)
        planes = img.ai_planes()
        assert planes.shape == (3, 240, 320)
        assert [int(planes[c].min()) for c in range(3)] == [r, g, b]
        assert [int(planes[c].max()) for c in range(3)] == [r, g, b]


def test_ai_source_pix_to_ai(tmp_path):
    solid(tmp_path / "x.png", (250, 5, 128))
    sensor.configure_source(tmp_path / "x.png")
    sensor.set_ai_source("pix_to_ai")
    start()
    planes = sensor.snapshot().ai_planes()
    expected = [RB528[rb825(250)], G628[g826(5)], RB528[rb825(128)]]
    assert [int(planes[c, 3, 3]) for c in range(3)] == expected


def test_windowing_top_left_and_centre(tmp_path):
    rgb = coordinate_picture(tmp_path / "xy.png")
    sensor.configure_source(tmp_path / "xy.png")
    start()
    sensor.set_windowing((224, 224))
    planes = sensor.snapshot().ai_planes()
    np.testing.assert_array_equal(planes.transpose(1, 2, 0), rgb[:224, :224])
    sensor.set_window_mode("center")
    planes = sensor.snapshot().ai_planes()
    np.testing.assert_array_equal(planes.transpose(1, 2, 0), rgb[8:232, 48:272])


def test_mirror_and_flip_before_window(tmp_path):
    rgb = coordinate_picture(tmp_path / "xy.png")
    sensor.configure_source(tmp_path / "xy.png")
    start()
    sensor.set_hmirror(1)
    sensor.set_vflip(1)
    sensor.set_windowing((64, 32))
    planes = sensor.snapshot().ai_planes()
    np.testing.assert_array_equal(planes.transpose(1, 2, 0), rgb[::-1, ::-1][:32, :64])


def test_wider_source_is_centre_cropped(tmp_path):
    rgb = coordinate_picture(tmp_path / "wide.png", w=400, h=240)
    sensor.configure_source(tmp_path / "wide.png")
    start()
    planes = sensor.snapshot().ai_planes()
    np.testing.assert_array_equal(planes.transpose(1, 2, 0), rgb[:, 40:360])


def test_larger_source_is_resized(tmp_path):
    solid(tmp_path / "big.png", (90, 180, 45), size=(640, 480))
    sensor.configure_source(tmp_path / "big.png")
    start(size=sensor.QQVGA)
    img = sensor.snapshot()
    assert (img.width(), img.height()) == (160, 120)
    assert img.get_pixel(80, 60, False) == raw_of(90, 180, 45)


def test_snapshots_share_the_frame_buffer(tmp_path):
    solid(tmp_path / "1.png", (255, 0, 0))
    solid(tmp_path / "2.png", (0, 0, 255))
    sensor.configure_source(tmp_path)
    start()
    first = sensor.snapshot()
    second = sensor.snapshot()
    assert first.get_pixel(0, 0) == second.get_pixel(0, 0) == (0, 0, 255)
    sensor.reset(dual_buff=True)
    sensor.set_pixformat(sensor.RGB565)
    sensor.set_framesize(sensor.QVGA)
    first = sensor.snapshot()
    second = sensor.snapshot()
    assert first.get_pixel(0, 0) == (255, 0, 0) and second.get_pixel(0, 0) == (0, 0, 255)


def test_grayscale_pixels_are_the_ai_plane(tmp_path, monkeypatch):
    solid(tmp_path / "g.png", (100, 150, 200))
    monkeypatch.setenv("MAIXKPU_CAMERA", str(tmp_path / "g.png"))
    start(fmt=sensor.GRAYSCALE)
    img = sensor.snapshot()
    assert img.format() == 4 and len(img.pix_ai) == 320 * 240
    luma = (100 * 299 + 150 * 587 + 200 * 114 + 500) // 1000  # Pillow's rounded ITU-R 601
    assert img.get_pixel(0, 0) == luma and img.pix_ai[0] == luma
    img.set_pixel(0, 0, 3)
    assert img.pix_ai[0] == 3


def test_dog_bmp_as_camera_feeds_exact_planes():
    path = shared_model("nncase_dog_320x240.bmp")
    sensor.configure_source(path)
    start()
    img = sensor.snapshot()
    rgb = np.asarray(PILImage.open(path).convert("RGB"))
    np.testing.assert_array_equal(img.ai_planes(), rgb.transpose(2, 0, 1))
    np.testing.assert_array_equal(img.to_bytes(), image.Image(str(path)).to_bytes())


# ----- lcd --------------------------------------------------------------------------------------


def png(path) -> np.ndarray:
    return np.asarray(PILImage.open(path).convert("RGB"))


def test_lcd_before_init():
    assert lcd.width() is None
    assert lcd.display(image.Image()) is None
    with pytest.raises(ValueError, match=r"^not init$"):
        lcd.draw_string(0, 0, "x")
    with pytest.raises(ValueError, match=r"^type error$"):
        lcd.init(type=9)
    with pytest.raises(ValueError, match=r"^True or False$"):
        lcd.bgr_to_rgb()


def test_display_centres_gray_with_black_pads(tmp_path):
    lcd.configure_output(tmp_path)
    lcd.init(color=lcd.WHITE)
    assert (lcd.width(), lcd.height()) == (320, 240)
    values = np.random.default_rng(1).integers(0, 256, (224, 224), dtype=np.uint8)
    gray = image.Image.from_gray_bytes(224, 224, bytearray(values.tobytes()))
    lcd.display(gray)
    shown = png(tmp_path / "lcd_last.png")
    assert shown.shape == (240, 320, 3)
    g = values.astype(np.int64)
    expected = np.stack([np.array(RB528)[g >> 3], np.array(G628)[g >> 2],
                         np.array(RB528)[g >> 3]], axis=-1)  # fmt: skip
    np.testing.assert_array_equal(shown[8:232, 48:272], expected)
    assert not shown[:8].any() and not shown[:, :48].any() and not shown[232:].any()
    np.testing.assert_array_equal(lcd.panel_rgb888(), shown)


def test_display_crops_large_rgb565_and_oft(tmp_path):
    lcd.configure_output(tmp_path)
    lcd.init()
    big = image.Image(size=(640, 480))
    big.draw_rectangle(160, 120, 320, 240, (255, 0, 0), fill=True)
    lcd.display(big)
    assert (png(tmp_path / "lcd_last.png") == [255, 0, 0]).all()
    small = image.Image(size=(10, 10))
    small.draw_rectangle(0, 0, 10, 10, (0, 0, 255), fill=True)
    lcd.display(small, oft=(315, 0))
    shown = png(tmp_path / "lcd_last.png")
    assert (shown[:10, 315:] == [0, 0, 255]).all() and (shown[10:, 315:] == [255, 0, 0]).all()
    with pytest.raises(TypeError):
        lcd.display(3)


def test_numbered_frames_every_n(tmp_path):
    lcd.configure_output(tmp_path / "out", every=2)
    lcd.init()
    for _ in range(5):
        lcd.display(image.Image())
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["lcd_00001.png", "lcd_00003.png", "lcd_00005.png", "lcd_last.png"]
    assert lcd.frame_count() == 5


def test_clear_rotation_and_draw_string(tmp_path):
    lcd.configure_output(tmp_path)
    lcd.init()
    lcd.clear(lcd.RED)
    assert (png(tmp_path / "lcd_last.png") == [255, 0, 0]).all()
    with pytest.raises(ValueError, match=r"^value:\[0,3\]$"):
        lcd.rotation(4)
    assert lcd.rotation(1) == 1
    assert (lcd.width(), lcd.height()) == (240, 320)
    lcd.rotation(0)
    lcd.draw_string(0, 0, "Hi", lcd.WHITE, lcd.BLUE)
    cell = png(tmp_path / "lcd_last.png")[:12, :16]
    colours = {tuple(c) for c in cell.reshape(-1, 3)}
    assert colours == {(255, 255, 255), (0, 0, 255)}
    with pytest.raises(ValueError, match=r"^arg error$"):
        lcd.fill_rectangle(300, 0, 40, 10, lcd.GREEN)


# ----- virtual-board hooks ----------------------------------------------------------------------


class FakeFs:
    def __init__(self, root):
        self.root = root

    def host_path(self, path: str):
        assert path.startswith("/sd/")
        return self.root / path[len("/sd/") :]


class FakeBoard:
    def __init__(self, root, camera_dir=None, lcd_out_dir=None):
        self.fs = FakeFs(root)
        self.camera_dir = camera_dir
        self.lcd_out_dir = lcd_out_dir


def test_board_hooks_resolve_paths_and_bind_folders(tmp_path):
    cam = tmp_path / "cam"
    cam.mkdir()
    solid(cam / "f.png", (0, 255, 0))
    board = FakeBoard(tmp_path, camera_dir=cam, lcd_out_dir=tmp_path / "lcd")
    board_image = image.board_module(board)
    board_sensor = sensor.board_module(board)
    board_lcd = lcd.board_module(board)
    board_sensor.reset()
    board_sensor.set_pixformat(sensor.RGB565)
    board_sensor.set_framesize(sensor.QQVGA)
    frame = board_sensor.snapshot()
    assert isinstance(frame, board_image.Image) and frame.get_pixel(0, 0) == (0, 255, 0)
    frame.save("/sd/frame.bmp")
    small = frame.resize(8, 8)
    small.save("/sd/small.bmp")
    assert (tmp_path / "frame.bmp").is_file() and (tmp_path / "small.bmp").is_file()
    assert board_image.Image("/sd/small.bmp").width() == 8
    assert image.board_module(board).Image is board_image.Image
    board_lcd.init()
    board_lcd.display(frame)
    assert (tmp_path / "lcd" / "lcd_last.png").is_file()
    # Host code in the same process still uses host paths.
    image.Image(size=(2, 2)).save(str(tmp_path / "host.bmp"))
    assert (tmp_path / "host.bmp").is_file()
