"""The PNGs the board commands and `make demo` write: detection pictures and their sheet."""
from __future__ import annotations

from PIL import Image

from maixkpu.board.jobs import BOX_COLOURS, contact_sheet, draw_detections
from maixkpu.board.models import DetectorConfig

GREY = (90, 90, 90)


def dark(pixel: tuple[int, int, int]) -> bool:
    return sum(pixel) < 150  # text (antialiased), not the tag, box or background


def pictures(n: int) -> list[Image.Image]:
    return [Image.new("RGB", (320, 240), (10 * i, 40, 40)) for i in range(n)]


def test_sheet_has_no_empty_cells_for_four_pictures() -> None:
    sheet = contact_sheet(pictures(4))
    assert sheet.size == (2 * 320 + 4, 2 * 240 + 4)  # 2 x 2
    assert sheet.getpixel((320 + 4 + 5, 240 + 4 + 5)) == (30, 40, 40)  # the 4th, bottom right


def test_sheet_rows_for_few_and_many_pictures() -> None:
    assert contact_sheet(pictures(3)).size == (3 * 320 + 8, 240)  # one row
    assert contact_sheet(pictures(5)).size == (3 * 320 + 8, 2 * 240 + 4)  # 3 + 2
    assert contact_sheet(pictures(4), cols=4).size == (4 * 320 + 12, 240)  # asked for


def test_label_is_dark_text_on_a_tag_in_the_box_colour() -> None:
    config = DetectorConfig(classes=("circle", "square"))
    photo = Image.new("RGB", (640, 480), GREY)  # twice the model input: boxes scale by 2
    out = draw_detections(photo, [[100, 100, 50, 40, 1, 0.87]], config)
    colour = BOX_COLOURS[1]
    assert out.getpixel((200, 240)) == colour and out.getpixel((299, 279)) == colour  # corners
    assert out.getpixel((250, 260)) == GREY  # inside the box: untouched
    tag = [out.getpixel((x, y)) for x in range(200, 300) for y in range(170, 200)]
    assert tag.count(colour) > 300  # a filled tag just above the box ...
    assert sum(dark(p) for p in tag) > 30  # ... with dark text on it
    assert GREY in tag  # the tag is only as wide as the text, not the whole strip


def test_label_of_a_box_at_the_top_edge_stays_inside_the_picture() -> None:
    config = DetectorConfig(classes=("face",))
    photo = Image.new("RGB", (320, 240), GREY)
    out = draw_detections(photo, [[300, 0, 20, 30, 0, 0.5]], config)
    colour = BOX_COLOURS[0]
    strip = [out.getpixel((x, y)) for x in range(240, 320) for y in range(0, 14)]
    assert strip.count(colour) > 200  # drawn inside the picture, shifted left ...
    assert sum(dark(p) for p in strip) > 10  # ... text included
