// Sipeed Maix Go: M1 module with 16 MiB flash, 2.8" 320x240 LCD, OV2640 camera, STM32
// USB bridge, RGB LED, microphone, speaker.
// Pins are K210 IO numbers (FPIOA) of Sipeed's common LCD/DVP layout, for the LCD and camera
// drivers that this port does not have yet (ports/k210/README.md); unverified on hardware.
#define MICROPY_HW_BOARD_NAME       "Sipeed Maix Go"
#define MICROPY_HW_MCU_NAME         "Kendryte K210"
#define MICROPY_HW_FLASH_SIZE       (16 * 1024 * 1024)
#define MICROPY_HW_FLASH_BAUD_DIV   (8)
#define MICROPY_HW_CONSOLE_BAUD     (115200)
#define MICROPY_HW_BOOT_PIN         (16)
#define MICROPY_HW_LCD_MODEL        "ST7789"
#define MICROPY_HW_LCD_WIDTH        (320)
#define MICROPY_HW_LCD_HEIGHT       (240)
#define MICROPY_HW_LCD_PIN_CS       (36) // SPI0 SS3
#define MICROPY_HW_LCD_PIN_RST      (37)
#define MICROPY_HW_LCD_PIN_DC       (38)
#define MICROPY_HW_LCD_PIN_WR       (39) // SPI0 SCLK
#define MICROPY_HW_CAMERA_MODEL     "OV2640"
#define MICROPY_HW_DVP_PIN_SDA      (40) // SCCB
#define MICROPY_HW_DVP_PIN_SCL      (41)
#define MICROPY_HW_DVP_PIN_RST      (42)
#define MICROPY_HW_DVP_PIN_VSYNC    (43)
#define MICROPY_HW_DVP_PIN_PWDN     (44)
#define MICROPY_HW_DVP_PIN_HREF     (45)
#define MICROPY_HW_DVP_PIN_XCLK     (46)
#define MICROPY_HW_DVP_PIN_PCLK     (47)
#define MICROPY_HW_LED_R_PIN       (14) // RGB LED (active low)
#define MICROPY_HW_LED_G_PIN       (13)
#define MICROPY_HW_LED_B_PIN       (12)
