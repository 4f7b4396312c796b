# The face model at 0x300000 on a synthetic input: feature-map sizes and per-channel hashes.
import KPU as kpu
from kpu_input import make_input

try:
    import uhashlib as hashlib
except ImportError:
    import hashlib
try:
    import ubinascii as binascii
except ImportError:
    import binascii


def plane(m):
    if hasattr(m, 'to_bytes'):
        return bytes(m.to_bytes())
    return bytes(m)


task = kpu.load(0x300000)
inp = make_input()
for layer in (0, 1, 2, 5, 8, 16, 22):
    fm = kpu.forward(task, inp, layer)
    h = hashlib.sha256()
    for c in range(fm.ch()):
        h.update(plane(kpu.fmap(fm, c)))
    print('layer', layer, fm.w(), fm.h(), fm.ch(),
          binascii.hexlify(h.digest()).decode()[:16])
    kpu.fmap_free(fm)
print(kpu.deinit(task))
