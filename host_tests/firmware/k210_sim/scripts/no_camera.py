# The K210 lcd/sensor modules on the simulated registers (test_k210_glue.py checks the output).
import sensor

try:
    sensor.snapshot()
except TypeError as e:
    print('TypeError', e)
try:
    sensor.reset()
except OSError as e:
    print('OSError', e)
