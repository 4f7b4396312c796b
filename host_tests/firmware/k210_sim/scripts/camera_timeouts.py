# The K210 lcd/sensor modules on the simulated registers (test_k210_glue.py checks the output:
# MaixPy's exact exception, args included; the driver's finding is printed on a line before it).
import sensor

sensor.reset()
sensor.set_pixformat(sensor.RGB565)
sensor.set_framesize(sensor.QVGA)
for f in (sensor.snapshot, sensor.skip_frames):
    try:
        f()
    except RuntimeError as e:
        print('RuntimeError', e, e.args)
try:
    sensor.set_framesize(sensor.SXGA)
except OSError as e:
    print('OSError', e, e.args)
