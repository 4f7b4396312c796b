# The K210 lcd/sensor modules on the simulated registers (test_k210_glue.py checks the output:
# MaixPy's exact exception, args included; the driver's finding is printed on a line before it).
import sensor

try:
    sensor.snapshot()
except TypeError as e:
    print('TypeError', e, e.args)
try:
    sensor.reset()
except OSError as e:
    print('OSError', e, e.args)
