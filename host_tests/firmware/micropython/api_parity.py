# KPU functions, returned objects and error paths on the face model at 0x300000, printed so
# that the host KPU module and a MicroPython build with the KPU module can be compared line
# for line (no addresses, no heap figures).
import gc

import KPU as kpu


def attempt(label, fn, *args):
    try:
        print(label, 'ok', fn(*args))
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        print(label, type(e).__name__, repr(str(e)))


zeros = bytes(3 * 320 * 240)
t = kpu.load(0x300000)
print(t)
print(t.model_size(), t.model_addr(), t.model_path(), t.net_arg())
print(kpu.deinit(t), kpu.deinit(t))
attempt('forward after deinit', kpu.forward, t, zeros)
attempt('load missing file', kpu.load, '/nonexistent/x.kmodel')
attempt('load wrong suffix', kpu.load, '/x.bin')
attempt('load bool', kpu.load, True)
attempt('load float', kpu.load, 1.5)
attempt('load 0', kpu.load, 0)
attempt('load erased', kpu.load, 0x100000)
attempt('load_flash args', kpu.load_flash, 0x300000, 0, 0, 'x')
attempt('set_outputs 2 args', kpu.set_outputs, t, 1)
t = kpu.load(0x300000)
attempt('set_outputs v3', kpu.set_outputs, t, 0, 1, 1, 1)
attempt('set_outputs types', kpu.set_outputs, t, 0, 1, 1, 'x')
attempt('set_layers too many', kpu.set_layers, t, 1000)
attempt('set_layers type', kpu.set_layers, 5, 1)
fm = kpu.forward(t, zeros, 1)
print(fm.w(), fm.h(), fm.ch(), fm.typecode(), fm.size(), fm.index())
print(fm[0:3], fm[1], len(bytes(fm)), memoryview(fm)[5])
fm[0:2] = 7
print(fm[0:3])
fm[0:3] = [1, 2, 3]
print(fm[0:4], fm[-1])


def store_short():
    fm[0:2] = [1]


attempt('slice store length', store_short)
attempt('slice step', lambda: fm[0:8:2])
attempt('index', lambda: fm[307200])
attempt('len', len, fm)
attempt('fmap channel', kpu.fmap, fm, 16)
attempt('fmap negative', kpu.fmap, fm, -1)
attempt('fmap type', kpu.fmap, 5, 0)
print(kpu.fmap_free(fm))
attempt('fmap freed', kpu.fmap, fm, 0)
attempt('fmap_free type', kpu.fmap_free, 5)
info = kpu.netinfo(t)
print(len(info), info[0], info[-1])
print(info[0].wi(), info[0].hi(), info[0].cho(), info[0].kernel_type(), info[-1].para_size())
attempt('run_yolo2 before init', kpu.run_yolo2, t, zeros)
print(kpu.init_yolo2(t, 0.5, 0.3, 5, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)))
print(t)
args = t.net_arg()
print(args.threshold() == 0.5, args.anchor_number(), len(args.anchor()), args.anchor()[1])
attempt('init_yolo2 threshold', kpu.init_yolo2, t, 1.5, 0.3, 5, ())
attempt('init_yolo2 nms', kpu.init_yolo2, t, 0.5, -0.1, 5, ())
attempt('init_yolo2 count', kpu.init_yolo2, t, 0.5, 0.3, 0, ())
attempt('init_yolo2 anchors', kpu.init_yolo2, t, 0.5, 0.3, 2, (1, 2, 3))
attempt('init_yolo2 anchor type', kpu.init_yolo2, t, 0.5, 0.3, 1, 5)
attempt('init_yolo2 few', kpu.init_yolo2, t, 0.5)
attempt('init_yolo2 net', kpu.init_yolo2, 5, 0.5, 0.3, 1, (1, 2))
attempt('run_yolo2 int', kpu.run_yolo2, t, 5)
attempt('run_yolo2 net', kpu.run_yolo2, 5, zeros)
print(kpu.run_yolo2(t, zeros))
out = kpu.get_output(t, 0)
print(out.w(), out.h(), out.ch(), out.typecode(), out.size())
attempt('get_output -1', kpu.get_output, t, -1)
attempt('get_output 5', kpu.get_output, t, 5)
attempt('get_output type', kpu.get_output, t, 'x')
attempt('forward none', kpu.forward, t, None)
attempt('forward end -1', kpu.forward, t, zeros, -1)
attempt('forward end 99', kpu.forward, t, zeros, 99)
attempt('forward short', kpu.forward, t, bytes(10))
attempt('forward list', kpu.forward, t, [1.0, 2.0])
attempt('forward empty list', kpu.forward, t, [])
attempt('forward net', kpu.forward, 5, zeros)
f = kpu.face_encode([0.1, -0.3, 0.25, 0.0, 0.001])
print(list(f), f'{kpu.face_compare(f, f):.4f}')
print('{:.4f}'.format(kpu.face_compare(b'\x01\x02', b'\x02\x01')))
attempt('face_compare dims', kpu.face_compare, f, b'12')
attempt('face_compare list', kpu.face_compare, [1], b'1')
attempt('face_encode long', kpu.face_encode, [0.0] * 513)
attempt('face_encode type', kpu.face_encode, 5)
attempt('classifier', kpu.classifier, t, 1, 1)
attempt('classifier.load', kpu.classifier.load, t, '/x')
print(kpu.deinit(t))
t = None
gc.collect()
print('done')
