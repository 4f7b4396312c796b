# YOLOv2 decoding of the face model on a synthetic input at a low threshold.
import KPU as kpu
from kpu_input import make_input

anchor = (1.889, 2.5245, 2.9465, 3.94056, 3.99987, 5.3658, 5.155437, 6.92275, 6.718375,
          9.01025)
task = kpu.load(0x300000)
print(kpu.init_yolo2(task, 0.05, 0.3, 5, anchor))
inp = make_input()
found = kpu.run_yolo2(task, inp)
if not found:
    print('no boxes')
else:
    print(len(found), 'boxes')
    for o in found:
        # str.format: the MicroPython of MaixPy v0.6 has no f-strings
        print(o.rect(), o.classid(), '{:.2f}'.format(o.value()))  # noqa: UP032
for threshold in (0.5, 0.9):
    kpu.init_yolo2(task, threshold, 0.3, 5, anchor)
    found = kpu.run_yolo2(task, inp)
    print(threshold, len(found) if found else 0)
print(kpu.deinit(task))
