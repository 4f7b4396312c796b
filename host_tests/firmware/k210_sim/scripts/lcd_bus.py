# The K210 lcd module when SPI0 never drains (test_k210_glue.py checks the output: MaixPy's
# OSError(EIO), args included, after the driver's finding on a line of its own).
import lcd

try:
    lcd.init()
except OSError as e:
    print('OSError', e, e.args)
print(lcd.width())
