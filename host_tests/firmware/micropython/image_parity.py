# The image module's constructors, accessors, indexing, drawing, conversions, geometry, files
# and error paths, printed so that the host image module (tools/maixkpu/maixpy/image.py) and a
# MicroPython build with modules/image can be compared line for line. Argument: a writable
# folder for the files it saves and loads.
import sys

import image

try:
    import uhashlib as hashlib
except ImportError:
    import hashlib
try:
    import ubinascii as binascii
except ImportError:
    import binascii

folder = sys.argv[1] if len(sys.argv) > 1 else '/tmp'
KINDS = (IndexError, MemoryError, TypeError, ValueError, OSError, AttributeError)


def attempt(label, fn, *args, **kwargs):
    try:
        print(label, 'ok', fn(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - the kind and text are what is compared
        kind = [k.__name__ for k in KINDS if isinstance(e, k)]
        print(label, kind[0] if kind else type(e).__name__, repr(str(e)))


def digest(img):
    data = bytes(img.to_bytes())
    return str(len(data)) + ':' + binascii.hexlify(hashlib.sha256(data).digest()).decode()[:16]


def show(label, img):
    print(label, img, digest(img))


def pattern(w, h):
    img = image.Image(size=(w, h))
    for y in range(h):
        for x in range(w):
            img.set_pixel(x, y, ((x * 37 + y * 11) & 255, (x * 5 + y * 29) & 255,
                                 (x * y * 7) & 255))
    return img


# ----- construction and accessors
print(image.Image())
print(image.Image(size=(8, 6)), image.Image(size=(0, 5)), image.Image(size=[3, -1]))
print(image.Image(None, copy_to_fb=False))
attempt('bad keyword', image.Image, size=(2, 2), colour=1)
attempt('not a source', image.Image, 5)
img = image.Image(size=(16, 12))
print(img.width(), img.height(), img.format(), img.size(), len(bytes(img.to_bytes())))

# ----- pixels and colours
img.set_pixel(0, 0, (255, 0, 0))
img.set_pixel((1, 0), 0x1234)
img.set_pixel(2, 0)
img.set_pixel(3, 0, color=(300, -5, 128))
img.set_pixel(99, 0, (1, 2, 3))
print(img.get_pixel(0, 0), img.get_pixel(1, 0, False), img.get_pixel((2, 0)),
      img.get_pixel(3, 0, rgbtuple=False), img.get_pixel(99, 0), img.get_pixel(-1, 0))
print(img.set_pixel(4.7, 0.2, (9, 9, 9)).get_pixel(4, 0))
attempt('get_pixel one int', img.get_pixel, 1)
attempt('set_pixel one int', img.set_pixel, 1)
attempt('colour of 2', img.set_pixel, 0, 0, (1, 2))
print(img[0], img[-1], img[1:4])
img[5] = (0, 255, 0)
img[6:8] = (0, 0, 255)
img[8:10] = [(1, 2, 3), (4, 5, 6)]
print(img[4:11])


def store_short():
    img[0:2] = [(1, 1, 1)]


def store_int():
    img[3] = 5


attempt('slice step', lambda: img[0:4:2])
attempt('slice grow', store_short)
attempt('index out', lambda: img[16 * 12])
attempt('int into rgb565', store_int)
show('pixels', img)

# ----- drawing
img.draw_rectangle(2, 2, 8, 6, color=(0, 255, 255), thickness=2)
img.draw_rectangle((1, 1, 3, 3), 0xF800, 1, True)
img.draw_line(0, 0, 15, 11, (255, 255, 0))
img.draw_circle(8, 6, 4, (255, 0, 255))
img.draw_circle((8, 6, 2), color=(0, 0, 255), fill=True)
img.draw_cross(5, 5, color=(10, 200, 30), size=3)
print(img.draw_rectangle(-5, -5, 40, 40, thickness=3) is img)
show('drawn', img)
text = image.Image(size=(64, 32))
text.draw_string(2, 2, 'MaixKPU 2\nok', color=(255, 128, 0))
text.draw_string((1, 20, 'x!'), (0, 255, 0), 1.5, mono_space=True)
text.draw_string(30, 20, 42, scale=2)
show('text', text)
attempt('scale 0', text.draw_string, 0, 0, 'x', scale=0)
attempt('string args', text.draw_string, 0, 0)
attempt('rectangle args', text.draw_rectangle, 1, 2, 3)

# ----- conversions
src = pattern(32, 24)
show('pattern', src)
gcopy = src.to_grayscale(copy=True)
show('gray copy', gcopy)
print(gcopy.get_pixel(3, 4), gcopy.get_pixel(3, 4, True), gcopy[7])
back = gcopy.to_rgb565(copy=True)
show('to_rgb565', back)
attempt('rgb565 in place', gcopy.to_rgb565)
print(gcopy.to_grayscale() is gcopy, src.to_rgb565() is src)
inv = pattern(8, 4).invert()
show('invert', inv)
gray = pattern(32, 24)
shared = gray.to_grayscale()
print(gray, shared, gray.format(), shared.format())
show('gray in place', shared)
show('box 8x6 (reads the leftover RGB565 bytes)', shared.resize(8, 6))
show('bilinear 48x36', shared.resize(48, 36))
show('bilinear 40x12', shared.resize(40, 12))
show('rgb nearest 20x10', src.resize(20, 10))
show('rgb bilinear 40x30', src.resize(40, 30))
show('rgb same', src.resize(32, 24))

# ----- geometry
show('cut', src.cut(20, 16, 16, 12))
show('cut negative', src.cut(-3, -2, 8, 8))
show('copy', src.copy())
show('copy roi', src.copy((4, 4, 10, 8)))
show('copy scaled', src.copy(roi=(0, 0, 32, 24), x_scale=0.5, y_scale=1.5))
attempt('copy roi 0', src.copy, (0, 0, 0, 4))
attempt('copy roi outside', src.copy, (40, 40, 4, 4))
attempt('copy scale', src.copy, None, -1.0)
attempt('copy width 0', src.copy, None, 0.01)
attempt('copy roi of 3', src.copy, (1, 2, 3))
c1 = pattern(16, 12)
print(c1.crop((2, 2, 6, 4)) is c1, c1)
show('crop in place', c1)
c2 = src.crop((0, 0, 8, 8), 2.0, 1.0, True)
show('crop copy', c2)
target = image.Image(size=(2, 2))
print(src.crop((1, 1, 5, 5), copy=target) is target, target)
show('crop into', target)

# ----- gray contrast
st = shared.copy()
print(st.stretch(64, 255), st)
show('stretch', st)
sc = shared.copy()
print(sc.strech_char(1))
show('strech_char', sc)
print(src.stretch(0, 255), src.strech_char(0))

# ----- draw_image
canvas = image.Image(size=(40, 30))
canvas.draw_image(src, 2, 3)
canvas.draw_image(shared.copy((0, 0, 8, 8)), (30, 1))
canvas.draw_image(src, 20, 20, 0.5, 0.25)
canvas.draw_image(pattern(10, 10), 5, 15, alpha=128)
mask = image.Image(size=(10, 10)).to_grayscale(copy=True)
mask.draw_rectangle(2, 2, 5, 5, color=255, fill=True)
canvas.draw_image(pattern(10, 10).invert(), 28, 18, mask=mask)
canvas.draw_image(canvas, 1, 1)
show('draw_image', canvas)
gcanvas = image.Image(size=(20, 20)).to_grayscale(copy=True)
gcanvas.draw_image(src, 0, 0, x_scale=2.0, y_scale=2.0)
show('draw_image to gray', gcanvas)
attempt('draw_image type', canvas.draw_image, 5, 0, 0)
attempt('draw_image x_scale', canvas.draw_image, src, 0, 0, -1.0)
attempt('draw_image y_scale', canvas.draw_image, src, 0, 0, 1.0, -2.0)
attempt('draw_image alpha', canvas.draw_image, src, 0, 0, alpha=300)
attempt('draw_image mask type', canvas.draw_image, src, 0, 0, mask='m')
attempt('draw_image no args', canvas.draw_image)

# ----- KPU planes
ai = pattern(12, 8)
print(ai.ai_to_pix())
ai.pix_to_ai()
before = digest(ai)
ai.clear()
show('cleared', ai)
ai.ai_to_pix()
print('ai round trip', digest(ai) == before)
gai = ai.to_grayscale(copy=True)
gai.pix_to_ai()
gai.invert()
gai.ai_to_pix()
show('gray ai', gai)

# ----- files
rgb_path = folder + '/rgb.bmp'
gray_path = folder + '/gray.BMP'
print(src.save(rgb_path) is src)
shared.save(gray_path)
src.save(folder + '/roi.bmp', roi=(30, 20, 8, 8))
for path in (rgb_path, gray_path, folder + '/roi.bmp'):
    show('loaded', image.Image(path))
show('loaded, positional size ignored', image.Image(rgb_path, (4, 4)))
print(image.Image(rgb_path, size=(4, 4)))
attempt('save quality', src.save, folder + '/q.bmp', quality=0)
attempt('save roi', src.save, folder + '/r.bmp', (0, 0, 0, 1))
attempt('save ppm of gray', shared.save, folder + '/x.ppm')
attempt('save pgm of rgb', src.save, folder + '/x.pgm')
print(src.save(folder + '/nothing.txt') is src)
attempt('load missing', image.Image, folder + '/missing.bmp')
attempt('load text', image.Image, folder + '/nothing.txt')
with open(folder + '/notes.txt', 'w') as f:
    f.write('not an image')
attempt('load unknown', image.Image, folder + '/notes.txt')
attempt('bmp as ppm', image.Image, folder + '/gray.ppm')
with open(rgb_path, 'rb') as f:
    raw = f.read()
with open(folder + '/gray.ppm', 'wb') as f:
    f.write(raw)
attempt('rgb bmp named ppm', image.Image, folder + '/gray.ppm')
attempt('bmp from bytes', image.Image, raw, from_bytes=True)
with open(rgb_path, 'rb') as f:
    attempt('bmp from a file', image.Image, f)
broken = raw[:60]
with open(folder + '/short.bmp', 'wb') as f:
    f.write(broken)
attempt('short bmp', image.Image, folder + '/short.bmp')
empty = image.Image(b'\x00\x01garbage', from_bytes=True)
print(empty, empty.width(), empty.format(), empty.size())
attempt('empty get_pixel', empty.get_pixel, 0, 0)
attempt('empty to_grayscale', empty.to_grayscale)
print(empty.resize(2, 2), empty.cut(0, 0, 1, 1), empty.pix_to_ai())
print('done')
