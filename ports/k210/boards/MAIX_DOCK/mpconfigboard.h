// Sipeed Maix Dock (M1 / M1W): K210 module with 16 MiB flash, 2.4" 320x240 LCD, OV2640.
#define MICROPY_HW_BOARD_NAME       "Sipeed Maix Dock"
#include "../maix_common.h" // flash, console, LCD and camera pins shared by Sipeed boards
