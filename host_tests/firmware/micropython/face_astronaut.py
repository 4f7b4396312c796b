# Face detection on the astronaut photo, printed so that the host KPU module and a MicroPython
# build with the KPU module can be compared line for line. Arguments: model path, input path
# (planar 320x240 R, G, B bytes); defaults are the QEMU ROMFS paths.
import sys

import KPU as kpu

model = sys.argv[1] if len(sys.argv) > 2 else '/rom/face.kmodel'
source = sys.argv[2] if len(sys.argv) > 2 else '/rom/astronaut.bin'
anchor = (1.889, 2.5245, 2.9465, 3.94056, 3.99987, 5.3658, 5.155437, 6.92275, 6.718375,
          9.01025)

with open(source, 'rb') as f:
    planar = f.read()
task = kpu.load(model)
print(task.model_size(), task.model_addr(), task.model_path().split('/')[-1])
print(kpu.init_yolo2(task, 0.5, 0.3, 5, anchor))
print(task.net_arg())
found = kpu.run_yolo2(task, planar)
print(len(found) if found else 0, 'faces')
for o in found or ():
    print(o)
    print(o.rect(), o.classid(), o.index(), o.objnum())
fm = kpu.get_output(task, 0)
print(fm.w(), fm.h(), fm.ch(), fm.typecode(), fm.size(), fm.index())
print([f'{v:.4f}' for v in fm[:4]])
print(kpu.deinit(task))
