# The K210 lcd/sensor modules on the simulated registers (test_k210_glue.py checks the output).
import image
import lcd
import sensor

lcd.init()
print(lcd.width(), lcd.height(), lcd.rotation(), lcd.mirror(), lcd.freq())
print(lcd.rotation(1), lcd.width(), lcd.height())
try:
    lcd.rotation(4)
except ValueError as e:
    print('ValueError', e)
lcd.rotation(0)
img = image.Image(size=(224, 224))
img.draw_rectangle(0, 0, 10, 10, color=lcd.RED, fill=True)
lcd.display(img)
lcd.display(img, oft=(10, 20))
try:
    lcd.display(img, roi=(0, 0, 0, 5))
except OSError as e:
    print('OSError', e)
lcd.clear((255, 0, 0))
sensor.reset()
print(hex(sensor.get_id()))
print(sensor.set_pixformat(sensor.RGB565), sensor.set_framesize(sensor.QVGA))
print(sensor.width(), sensor.height())
sensor.skip_frames(2)
a = sensor.snapshot()
print(a)
print(a.get_pixel(0, 0), a.get_pixel(5, 3), a.get_pixel(5, 3, False))
a.set_pixel(0, 0, 0)
b = sensor.snapshot()
print(a.get_pixel(0, 0) == b.get_pixel(0, 0))
print(sensor.set_windowing((224, 224)))
s = sensor.snapshot()
print(s, sensor.width())
lcd.display(s)
print(s.to_grayscale().resize(28, 28))
sensor.set_pixformat(sensor.GRAYSCALE)
g = sensor.snapshot()
print(g, g.get_pixel(0, 0), g.get_pixel(7, 2))
for bad in ((4, 4), (100, 96), (1, 2, 3)):
    try:
        sensor.set_windowing(bad)
    except ValueError as e:
        print('ValueError', e)
try:
    sensor.set_pixformat(1, 2)
except ValueError as e:
    print('ValueError', e)
