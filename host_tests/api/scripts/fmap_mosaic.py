# ruff: noqa (a MaixPy example kept as its documentation writes it)
# The feature-map example of MaixPy's KPU documentation (kpu.md): the maps of layer `index` of
# the face model, stretched and tiled on the LCD.
import sensor
import image
import lcd
import KPU as kpu

index = 3
lcd.init()
sensor.reset()
sensor.set_pixformat(sensor.RGB565)
sensor.set_framesize(sensor.QVGA)
sensor.run(1)
img_lcd = image.Image()
task = kpu.load(0x300000)
info = kpu.netinfo(task)
layer = info[index]
w = layer.wo()
h = layer.ho()
num = int(320 * 240 / w / h)
list = [None] * num
x_step = int(320 / w)
y_step = int(240 / h)
img_lcd = image.Image()
while True:
    img = sensor.snapshot()
    fmap = kpu.forward(task, img, index)
    for i in range(0, num):
        list[i] = kpu.fmap(fmap, i)
    for i in range(0, num):
        list[i].stretch(64, 255)
    for i in range(0, num):
        a = img_lcd.draw_image(list[i], ((i % x_step) * w, (int(i / x_step)) * h))
    lcd.display(img_lcd)
    kpu.fmap_free(fmap)
