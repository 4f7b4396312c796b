# The K210 lcd module's rectangles, text and deinit on the simulated registers (test_k210_glue.py).
import lcd

lcd.init(color=lcd.WHITE)
lcd.fill_rectangle(10, 20, 30, 40, lcd.GREEN)
try:
    lcd.fill_rectangle(300, 0, 30, 10, lcd.GREEN)
except ValueError as e:
    print('ValueError', e)
lcd.draw_string(8, 16, "Hi", lcd.WHITE, lcd.BLUE)
lcd.draw_string(400, 0, "off the panel")
try:
    lcd.init(type=7)
except ValueError as e:
    print('ValueError', e)
print(lcd.width())
try:
    lcd.fill_rectangle(0, 0, 1, 1, 0)
except ValueError as e:
    print('ValueError', e)
