// What the Sipeed Maix boards share: MCU, 16 MiB flash, console, and Sipeed's common LCD/DVP
// pin layout (K210 IO numbers, FPIOA) for the LCD and camera drivers this port does not have
// yet (ports/k210/README.md); unverified on hardware. Each board's mpconfigboard.h includes it.
#ifndef MAIX_COMMON_H
#define MAIX_COMMON_H
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
#endif
