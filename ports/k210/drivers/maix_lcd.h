/* MaixPy's `lcd` behaviour (spec maixpy-image-subset.md section 4) on the ST7789 of the Maix
 * boards, without MicroPython: init, rotation/mirror, clear, fill_rectangle and display of a
 * gray or RGB565 image with MaixPy's roi/oft rules. Colours are raw values (spec 1.2). */
#ifndef MAIX_LCD_H
#define MAIX_LCD_H

#include <stdint.h>
#include "maix_status.h"
#include "st7789.h"

typedef struct {
    int io_cs, io_rst, io_dc, io_wr; /* K210 IO numbers (FPIOA) */
    int spi_ss;                      /* SPI0 chip select routed to io_cs (0..3) */
    int dc_gpiohs, rst_gpiohs;       /* GPIOHS numbers routed to io_dc / io_rst */
    uint32_t io_banks_1v8;           /* sysctl power_sel bits for the panel's IO banks */
} maix_lcd_pins_t;

typedef struct {
    int inited;
    int panel_w, panel_h; /* as given to init (rotation 0) */
    int rotation, mirror;
    uint32_t freq;        /* SCLK set, Hz */
    st7789_pins_t panel;
} maix_lcd_t;

/* An image to show: bpp 1 (gray) or 2 (RGB565 raw layout), rows packed. */
typedef struct {
    int w, h, bpp;
    const uint8_t *pixels;
} maix_view_t;

typedef struct {
    int x, y, w, h;
} maix_rect_t;

/* MADCTL for MaixPy's rotation (0..3) and mirror flag. */
uint8_t maix_lcd_madctl(int rotation, int mirror);
maix_status_t maix_lcd_init(maix_lcd_t *lcd, const maix_lcd_pins_t *pins, uint32_t freq,
                            int width, int height, int invert, uint16_t color);
int maix_lcd_width(const maix_lcd_t *lcd);  /* current (rotated) size */
int maix_lcd_height(const maix_lcd_t *lcd);
maix_status_t maix_lcd_set_rotation(maix_lcd_t *lcd, int rotation);
maix_status_t maix_lcd_set_mirror(maix_lcd_t *lcd, int mirror);
maix_status_t maix_lcd_clear(maix_lcd_t *lcd, uint16_t color);
/* MaixPy fill_rectangle(x, y, w, h): every corner must be on the panel. */
maix_status_t maix_lcd_fill_rectangle(maix_lcd_t *lcd, int x, int y, int w, int h,
                                      uint16_t color);
/* roi NULL: the whole image; oft NULL (or negative): centred with black bars / centre crop. */
maix_status_t maix_lcd_display(maix_lcd_t *lcd, const maix_view_t *img, const maix_rect_t *roi,
                               const int *oft);
/* Spec 2.8: clip roi to the image (the ROI rules lcd.display and image.copy share). */
maix_status_t maix_roi_clip(int img_w, int img_h, maix_rect_t *roi);

#endif
