// What the Sipeed Maix boards share: MCU, 16 MiB flash, console, and Sipeed's common LCD/DVP
// pin layout (K210 IO numbers, FPIOA) that the lcd and sensor modules use (ports/k210/README.md).
// Pin numbers are those of Sipeed's schematics and MaixPy's defaults; unverified on hardware
// here. Each board's mpconfigboard.h includes it.
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
// The panel's 8 data lines are SPI0 D0-D7 on their dedicated pins (sysctl spi_dvp_data).
#define MICROPY_HW_LCD_SPI_SS       (3)  // the SPI0 chip select routed to MICROPY_HW_LCD_PIN_CS
#define MICROPY_HW_LCD_DC_GPIOHS    (2)  // GPIOHS numbers routed to the DC and RST pins
#define MICROPY_HW_LCD_RST_GPIOHS   (3)
#define MICROPY_HW_LCD_FREQ         (15000000) // lcd.init default (MaixPy's CONFIG_LCD_DEFAULT_FREQ)
#define MICROPY_HW_CAMERA_MODEL     "OV2640"
#define MICROPY_HW_DVP_PIN_SDA      (40) // SCCB
#define MICROPY_HW_DVP_PIN_SCL      (41)
#define MICROPY_HW_DVP_PIN_RST      (42)
#define MICROPY_HW_DVP_PIN_VSYNC    (43)
#define MICROPY_HW_DVP_PIN_PWDN     (44)
#define MICROPY_HW_DVP_PIN_HREF     (45)
#define MICROPY_HW_DVP_PIN_XCLK     (46)
#define MICROPY_HW_DVP_PIN_PCLK     (47)
// The camera's data bus D0-D7 is on dedicated pins; IO banks 6 and 7 (IO 36-47: LCD and DVP
// control pins) run at 1.8 V on these boards, as Sipeed's own firmware sets them.
#define MICROPY_HW_DVP_IO_BANKS_1V8 (0xC0)
#define MICROPY_HW_CAMERA_XCLK      (24000000) // sensor.reset(freq=) default
#endif
