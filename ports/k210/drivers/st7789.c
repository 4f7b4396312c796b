/* ST7789 bring-up with the datasheet's timing: RESX low >= 10 us, 120 ms after reset before
 * SLPOUT, 120 ms after SLPOUT (the supply and clock settle) before the panel is driven. */
#include "k210_gpiohs.h"
#include "k210_spi0.h"
#include "k210_time.h"
#include "st7789.h"

#define COLMOD_16BIT 0x55u /* 65K colours (RGB interface) and 16 bits/pixel (MCU interface) */

int st7789_command(const st7789_pins_t *p, uint8_t cmd, const uint8_t *params, size_t n)
{
    k210_gpiohs_write(p->dc_gpiohs, 0);
    int status = k210_spi0_write(&cmd, 1);
    if (status == 0 && n > 0) {
        k210_gpiohs_write(p->dc_gpiohs, 1);
        status = k210_spi0_write(params, n);
    }
    return status;
}

int st7789_data(const st7789_pins_t *p, const uint8_t *bytes, size_t n)
{
    k210_gpiohs_write(p->dc_gpiohs, 1);
    return k210_spi0_write(bytes, n);
}

int st7789_fill(const st7789_pins_t *p, uint8_t hi, uint8_t lo, size_t pixels)
{
    const uint8_t px[2] = {hi, lo};
    k210_gpiohs_write(p->dc_gpiohs, 1);
    return k210_spi0_write_repeat(px, 2, pixels);
}

int st7789_init(const st7789_pins_t *p, int invert, uint8_t madctl)
{
    static const uint8_t colmod = COLMOD_16BIT;
    k210_gpiohs_output(p->dc_gpiohs, 1);
    k210_gpiohs_output(p->rst_gpiohs, 1);
    k210_gpiohs_write(p->rst_gpiohs, 0);
    k210_time_delay_us(20);
    k210_gpiohs_write(p->rst_gpiohs, 1);
    k210_time_delay_us(120000);
    int status = st7789_command(p, ST7789_SWRESET, NULL, 0);
    k210_time_delay_us(120000); /* the panel is in sleep-in after SWRESET */
    if (status == 0) {
        status = st7789_command(p, ST7789_SLPOUT, NULL, 0);
    }
    k210_time_delay_us(120000);
    if (status == 0) {
        status = st7789_command(p, ST7789_COLMOD, &colmod, 1);
    }
    if (status == 0) {
        status = st7789_command(p, ST7789_MADCTL, &madctl, 1);
    }
    if (status == 0) {
        status = st7789_command(p, invert ? ST7789_INVON : ST7789_INVOFF, NULL, 0);
    }
    if (status == 0) {
        status = st7789_command(p, ST7789_NORON, NULL, 0);
    }
    if (status == 0) {
        status = st7789_command(p, ST7789_DISPON, NULL, 0);
    }
    return status;
}

int st7789_window(const st7789_pins_t *p, uint16_t x0, uint16_t y0, uint16_t x1, uint16_t y1)
{
    const uint8_t cols[4] = {(uint8_t)(x0 >> 8), (uint8_t)x0, (uint8_t)(x1 >> 8), (uint8_t)x1};
    const uint8_t rows[4] = {(uint8_t)(y0 >> 8), (uint8_t)y0, (uint8_t)(y1 >> 8), (uint8_t)y1};
    int status = st7789_command(p, ST7789_CASET, cols, 4);
    if (status == 0) {
        status = st7789_command(p, ST7789_RASET, rows, 4);
    }
    if (status == 0) {
        status = st7789_command(p, ST7789_RAMWR, NULL, 0);
    }
    return status;
}
