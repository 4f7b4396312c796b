// Sipeed Maix Bit: K210 with 16 MiB flash, 2.4" 320x240 LCD, OV2640 camera.
#define MICROPY_HW_BOARD_NAME       "Sipeed Maix Bit"
#include "../maix_common.h" // flash, console, LCD and camera pins shared by Sipeed boards
