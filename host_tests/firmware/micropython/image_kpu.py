# KPU with Images: face detection on a photo loaded with image.Image(path), MaixPy's pix_ai
# checks, and feature maps as grayscale Images, printed so that the host modules (KPU and image)
# and a MicroPython build with modules/kpu and modules/image can be compared line for line.
# Arguments: a writable folder, the face model (.kmodel), a 320x240 24-bit BMP photo, the
# 28x28 MNIST model (.kmodel; MaixPy's fmap.py pipeline on a gray Image).
import gc
import sys

import image
import KPU as kpu

try:
    import uhashlib as hashlib
except ImportError:
    import hashlib
try:
    import ubinascii as binascii
except ImportError:
    import binascii

folder, model, photo, mnist = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
anchor = (1.889, 2.5245, 2.9465, 3.94056, 3.99987, 5.3658, 5.155437, 6.92275, 6.718375,
          9.01025)
KINDS = (IndexError, MemoryError, TypeError, ValueError, OSError, AttributeError)


def attempt(label, fn, *args):
    try:
        print(label, 'ok', fn(*args))
    except Exception as e:  # noqa: BLE001 - the kind and text are what is compared
        kind = [k.__name__ for k in KINDS if isinstance(e, k)]
        print(label, kind[0] if kind else type(e).__name__, repr(str(e)))


def digest(img):
    data = bytes(img.to_bytes())
    return str(len(data)) + ':' + binascii.hexlify(hashlib.sha256(data).digest()).decode()[:16]


task = kpu.load(model)
print(kpu.init_yolo2(task, 0.5, 0.3, 5, anchor))
img = image.Image(photo)
print(img, digest(img))
attempt('run_yolo2 before pix_to_ai', kpu.run_yolo2, task, img)
attempt('forward before pix_to_ai', kpu.forward, task, img)
img.pix_to_ai()
found = kpu.run_yolo2(task, img)
print(len(found) if found else 0, 'faces')
for o in found or ():
    print(o.rect(), o.classid(), o.index(), o.objnum(), '{:.3f}'.format(o.value()))  # noqa: UP032
    img.draw_rectangle(o.rect(), color=(255, 0, 0), thickness=2)
    img.draw_string(o.x(), o.y() - 14, 'face', color=(255, 255, 0))
print('boxes drawn', digest(img))
print('drawing leaves pix_ai', len(kpu.run_yolo2(task, img) or ()))
img.pix_to_ai()
print('after pix_to_ai again', len(kpu.run_yolo2(task, img) or ()))

# the checks MaixPy makes on an Image input
small = img.resize(160, 120)
small.pix_to_ai()
attempt('wrong size', kpu.run_yolo2, task, small)
gray = img.to_grayscale(copy=True)
attempt('gray image on an RGB model', kpu.forward, task, gray)
attempt('blank image', kpu.forward, task, image.Image())
del small
gc.collect()  # a board's heap is small and fragments: free what is done before the next big input
print('buffers still work', kpu.forward(task, bytes(3 * 320 * 240), 0).w())

# feature maps as grayscale Images
fm = kpu.forward(task, img, 2)
print(fm.w(), fm.h(), fm.ch(), fm.typecode())
m = kpu.fmap(fm, 3)
print(m, m.format(), m.get_pixel(10, 10), m[5], digest(m))
print('fmap bytes', bytes(m.to_bytes()) == bytes(fm)[3 * fm.w() * fm.h():4 * fm.w() * fm.h()])
print('box resize', digest(m.resize(20, 15)))
last = kpu.fmap(fm, fm.ch() - 1)
print('box resize of the last channel', digest(last.resize(20, 15)))
print('bilinear', digest(m.resize(160, 120)))
mosaic = image.Image()
for c in range(4):
    mosaic.draw_image(kpu.fmap(fm, c), (c % 2) * 80, (c // 2) * 60)
print('mosaic', digest(mosaic))
# an fmap Image views the map (MaixPy): an in-place op on it shows in the map and in the next
# fmap of that channel, and a write to the map shows in the Images
plane = fm.w() * fm.h()
before = bytes(fm)
m.stretch(64, 255)
print('stretched', digest(m))
again = kpu.fmap(fm, 3)
print('fmap after stretch', digest(again), bytes(again.to_bytes()) == bytes(m.to_bytes()))
print('map after stretch',
      bytes(fm) == before[:3 * plane] + bytes(m.to_bytes()) + before[4 * plane:])
again.set_pixel(1, 1, 200)
fm[3 * plane + 2] = 17
print('shared', m.get_pixel(1, 1), fm[3 * plane + fm.w() + 1], m.get_pixel(2, 0), again[2])
m.draw_rectangle(0, 0, 4, 3, color=33, fill=True)
print('drawn', fm[3 * plane], fm[3 * plane + 2 * fm.w() + 3], fm[3 * plane + 4], fm[2 * plane])
print('fmap after drawing', digest(kpu.fmap(fm, 3)), digest(m))
kept = kpu.forward(task, img, 1)
print('next run leaves the map', bytes(fm)[3 * plane:4 * plane] == bytes(m.to_bytes()))
kept_img = kpu.fmap(kept, 0)
attempt('fmap channel', kpu.fmap, fm, fm.ch())
attempt('fmap of an image', kpu.fmap, img, 0)
kpu.fmap_free(fm)
attempt('fmap after fmap_free', kpu.fmap, fm, 0)
print('Image after fmap_free', digest(m), m.get_pixel(1, 1))
m.stretch(64, 255)
print('stretched after fmap_free', digest(m), fm[3 * plane + 4])
attempt('run_yolo2 on an int', kpu.run_yolo2, task, 5)
print(kpu.deinit(task))
attempt('forward after deinit', kpu.forward, task, img)
attempt('fmap after deinit', kpu.fmap, kept, 0)
print('Image after deinit', digest(kept_img), digest(m))
kept_img.stretch(64, 255)
print('stretched after deinit', digest(kept_img), kept[0], kept[kept.w() * kept.h()])

# MNIST as fmap.py does it: a 224x224 window turned gray in place, box-resized to 28x28 (which
# reads the leftover RGB565 bytes), inverted, one gray plane
del gray, mosaic, m, again, last, kept_img, kept, fm
gc.collect()  # the face part's Images go before a second photo is loaded (2 MiB heaps)
digits = kpu.load(mnist)
window = image.Image(photo).copy((48, 8, 224, 224))
small = window.to_grayscale().resize(28, 28)
small.invert()
attempt('gray before pix_to_ai', kpu.forward, digits, small)
small.pix_to_ai()
print(small, digest(small))
out = kpu.forward(digits, small)
scores = [out[i] for i in range(out.w())]
print(out.w(), out.typecode(), ['{:.4f}'.format(v) for v in scores])  # noqa: UP032
print('digit', scores.index(max(scores)))
attempt('rgb image on a gray model', kpu.forward, digits, img)
print(kpu.deinit(digits))
print('done')
