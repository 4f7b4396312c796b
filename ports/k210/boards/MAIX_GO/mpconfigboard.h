// Sipeed Maix Go: M1 module with 16 MiB flash, 2.8" 320x240 LCD, OV2640 camera, STM32
// USB bridge, RGB LED, microphone, speaker.
#define MICROPY_HW_BOARD_NAME       "Sipeed Maix Go"
#include "../maix_common.h" // flash, console, LCD and camera pins shared by Sipeed boards
#define MICROPY_HW_LED_R_PIN       (14) // RGB LED (active low)
#define MICROPY_HW_LED_G_PIN       (13)
#define MICROPY_HW_LED_B_PIN       (12)
