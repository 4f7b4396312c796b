# The K210 sensor module's frame buffers on the simulated registers (test_k210_glue.py).
import sensor

for dual in (False, True):
    sensor.reset(dual_buff=dual)
    sensor.set_pixformat(sensor.RGB565)
    sensor.set_framesize(sensor.QQVGA)
    print(sensor.get_fb())
    a = sensor.snapshot()
    a.set_pixel(0, 0, 0xFFFF)
    b = sensor.snapshot()
    # one buffer: b overwrote a's pixels; two: a keeps the drawing one frame longer
    print(dual, a.get_pixel(0, 0, False), b.get_pixel(0, 0, False))
    print(sensor.get_fb().get_pixel(0, 0, False) == b.get_pixel(0, 0, False))
