/* ST7789 panel controller on the 8-bit MCU interface: commands with DC low, parameters and
 * pixel data with DC high, over SPI0 (k210_spi0) with DC and RST on GPIOHS pins. */
#ifndef ST7789_H
#define ST7789_H

#include <stddef.h>
#include <stdint.h>

/* Command bytes (ST7789 datasheet, system function commands). */
#define ST7789_SWRESET 0x01u
#define ST7789_SLPOUT 0x11u
#define ST7789_NORON 0x13u
#define ST7789_INVOFF 0x20u
#define ST7789_INVON 0x21u
#define ST7789_DISPON 0x29u
#define ST7789_CASET 0x2Au
#define ST7789_RASET 0x2Bu
#define ST7789_RAMWR 0x2Cu
#define ST7789_MADCTL 0x36u
#define ST7789_COLMOD 0x3Au

/* MADCTL bits: row/column exchange and the address directions (MaixPy's direction values). */
#define ST7789_MADCTL_MY 0x80u
#define ST7789_MADCTL_MX 0x40u
#define ST7789_MADCTL_MV 0x20u

typedef struct {
    int dc_gpiohs;  /* GPIOHS number driving DC (D/CX) */
    int rst_gpiohs; /* GPIOHS number driving RESX */
} st7789_pins_t;

/* 0, or K210_SPI0_TIMEOUT from the bus. */
int st7789_command(const st7789_pins_t *p, uint8_t cmd, const uint8_t *params, size_t n);
/* Hardware reset, software reset, sleep out, 16-bit colour, memory access direction madctl,
 * inversion on/off, normal mode, display on. */
int st7789_init(const st7789_pins_t *p, int invert, uint8_t madctl);
/* CASET/RASET for the inclusive window, then RAMWR: the panel takes pixel data next. */
int st7789_window(const st7789_pins_t *p, uint16_t x0, uint16_t y0, uint16_t x1, uint16_t y1);
/* Pixel data (2 bytes per pixel, high byte first) after st7789_window. */
int st7789_data(const st7789_pins_t *p, const uint8_t *bytes, size_t n);
int st7789_fill(const st7789_pins_t *p, uint8_t hi, uint8_t lo, size_t pixels);

#endif
