# A synthetic 320x240 model input that is the same on every build: solid blocks whose colours
# survive RGB565 exactly. With `image` (MaixPy) it is an Image with pix_to_ai(); without it
# (KPU-only MicroPython builds) the same planar R, G, B bytes in a bytearray.
# Imported by the other scripts; the runner pushes it to the board first.
try:
    import image
except ImportError:
    image = None

W, H = 320, 240
BLOCKS = (
    (40, 30, 120, 150, (255, 255, 255)),
    (200, 60, 90, 90, (255, 0, 255)),
    (150, 180, 160, 40, (0, 255, 0)),
    (10, 200, 60, 30, (0, 0, 255)),
)


def make_input():
    if image is not None:
        img = image.Image(size=(W, H))
        for x, y, w, h, c in BLOCKS:
            img.draw_rectangle(x, y, w, h, color=c, fill=True)
        img.pix_to_ai()
        return img
    buf = bytearray(3 * W * H)
    for x, y, w, h, c in BLOCKS:
        for p in range(3):
            row = bytes([c[p]]) * w
            for yy in range(y, y + h):
                o = p * W * H + yy * W + x
                buf[o:o + w] = row
    return buf
