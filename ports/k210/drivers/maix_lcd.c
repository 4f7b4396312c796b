/* MaixPy lcd semantics over st7789.c. Pixels go out high byte first, which is the order of the
 * raw RGB565 layout in memory, so RGB565 rows are sent as they are; gray g is shown as the
 * standard RGB565 ((g>>3)<<11)|((g>>2)<<5)|(g>>3) (spec 4.2). */
#include <stddef.h>
#include "k210_fpioa.h"
#include "k210_spi0.h"
#include "k210_sysctl.h"
#include "maix_lcd.h"

/* rotation -> MADCTL without and with mirror (MaixPy's YX_RLDU, XY_RLUD, YX_LRUD, XY_LRDU and
 * their mirrored YX_RLUD, XY_LRUD, YX_LRDU, XY_RLDU) */
static const uint8_t madctl_plain[4] = {0xA0, 0x00, 0x60, 0xC0};
static const uint8_t madctl_mirror[4] = {0x20, 0x40, 0xE0, 0x80};

uint8_t maix_lcd_madctl(int rotation, int mirror)
{
    rotation &= 3;
    return mirror ? madctl_mirror[rotation] : madctl_plain[rotation];
}

static maix_status_t bus(int status)
{
    return status == 0 ? MAIX_OK : MAIX_ERR_LCD_BUS;
}

maix_status_t maix_lcd_init(maix_lcd_t *lcd, const maix_lcd_pins_t *pins, uint32_t freq,
                            int width, int height, int invert, uint16_t color)
{
    lcd->inited = 0;
    if (width < 1 || height < 1 || width > 0xFFFF || height > 0xFFFF || pins->spi_ss < 0 ||
        pins->spi_ss > 3) {
        return MAIX_ERR_LCD_RECT;
    }
    if (k210_fpioa_set(pins->io_cs, K210_FUNC_SPI0_SS0 + (uint32_t)pins->spi_ss,
                       K210_PIN_OUTPUT) != 0 ||
        k210_fpioa_set(pins->io_wr, K210_FUNC_SPI0_SCLK, K210_PIN_OUTPUT) != 0 ||
        k210_fpioa_set(pins->io_dc, K210_FUNC_GPIOHS0 + (uint32_t)pins->dc_gpiohs,
                       K210_PIN_GPIO) != 0 ||
        k210_fpioa_set(pins->io_rst, K210_FUNC_GPIOHS0 + (uint32_t)pins->rst_gpiohs,
                       K210_PIN_GPIO) != 0) {
        return MAIX_ERR_LCD_RECT;
    }
    k210_sysctl_set_io_banks_1v8(pins->io_banks_1v8);
    k210_sysctl_spi0_dvp_data_pins(1); /* SPI0 D0-D7 (the panel's data bus) on their pins */
    lcd->panel.dc_gpiohs = pins->dc_gpiohs;
    lcd->panel.rst_gpiohs = pins->rst_gpiohs;
    lcd->freq = k210_spi0_init((uint32_t)pins->spi_ss, freq);
    lcd->panel_w = width;
    lcd->panel_h = height;
    lcd->rotation = 0;
    lcd->mirror = 0;
    maix_status_t st = bus(st7789_init(&lcd->panel, invert, maix_lcd_madctl(0, 0)));
    if (st != MAIX_OK) {
        return st;
    }
    lcd->inited = 1;
    return maix_lcd_clear(lcd, color);
}

int maix_lcd_width(const maix_lcd_t *lcd)
{
    return (lcd->rotation & 1) ? lcd->panel_h : lcd->panel_w;
}

int maix_lcd_height(const maix_lcd_t *lcd)
{
    return (lcd->rotation & 1) ? lcd->panel_w : lcd->panel_h;
}

static maix_status_t send_madctl(maix_lcd_t *lcd)
{
    uint8_t v = maix_lcd_madctl(lcd->rotation, lcd->mirror);
    return bus(st7789_command(&lcd->panel, ST7789_MADCTL, &v, 1));
}

maix_status_t maix_lcd_set_rotation(maix_lcd_t *lcd, int rotation)
{
    if (rotation < 0 || rotation > 3) {
        return MAIX_ERR_LCD_ROTATION;
    }
    lcd->rotation = rotation;
    return lcd->inited ? send_madctl(lcd) : MAIX_OK;
}

maix_status_t maix_lcd_set_mirror(maix_lcd_t *lcd, int mirror)
{
    lcd->mirror = mirror != 0;
    return lcd->inited ? send_madctl(lcd) : MAIX_OK;
}

/* Fill the panel rectangle (already on the panel, may be empty). */
static maix_status_t fill(maix_lcd_t *lcd, int x, int y, int w, int h, uint16_t color)
{
    if (w <= 0 || h <= 0) {
        return MAIX_OK;
    }
    int st = st7789_window(&lcd->panel, (uint16_t)x, (uint16_t)y, (uint16_t)(x + w - 1),
                           (uint16_t)(y + h - 1));
    if (st == 0) {
        st = st7789_fill(&lcd->panel, (uint8_t)(color & 0xFFu), (uint8_t)(color >> 8),
                         (size_t)w * (size_t)h);
    }
    return bus(st);
}

maix_status_t maix_lcd_clear(maix_lcd_t *lcd, uint16_t color)
{
    if (!lcd->inited) {
        return MAIX_OK; /* MaixPy: nothing before init */
    }
    return fill(lcd, 0, 0, maix_lcd_width(lcd), maix_lcd_height(lcd), color);
}

maix_status_t maix_lcd_fill_rectangle(maix_lcd_t *lcd, int x, int y, int w, int h,
                                      uint16_t color)
{
    if (!lcd->inited) {
        return MAIX_ERR_LCD_NOT_INIT;
    }
    int W = maix_lcd_width(lcd), H = maix_lcd_height(lcd);
    if (x < 0 || y < 0 || w < 0 || h < 0 || x >= W || y >= H || (int64_t)x + w >= W ||
        (int64_t)y + h >= H) {
        return MAIX_ERR_LCD_RECT;
    }
    return fill(lcd, x, y, w, h, color);
}

maix_status_t maix_roi_clip(int img_w, int img_h, maix_rect_t *roi)
{
    if (roi->w < 1 || roi->h < 1) {
        return MAIX_ERR_ROI_DIMENSIONS;
    }
    int64_t x0 = roi->x > 0 ? roi->x : 0, y0 = roi->y > 0 ? roi->y : 0;
    int64_t x1 = (int64_t)roi->x + roi->w, y1 = (int64_t)roi->y + roi->h;
    if (x1 > img_w) {
        x1 = img_w;
    }
    if (y1 > img_h) {
        y1 = img_h;
    }
    if (x0 >= x1 || y0 >= y1) {
        return MAIX_ERR_ROI_OUTSIDE;
    }
    roi->x = (int)x0;
    roi->y = (int)y0;
    roi->w = (int)(x1 - x0);
    roi->h = (int)(y1 - y0);
    return MAIX_OK;
}

/* One image row segment as panel bytes. */
static int send_row(maix_lcd_t *lcd, const maix_view_t *img, int x, int y, int w)
{
    if (img->bpp == 2) {
        return st7789_data(&lcd->panel, img->pixels + ((size_t)y * img->w + x) * 2, (size_t)w * 2);
    }
    uint8_t buf[128];
    const uint8_t *src = img->pixels + (size_t)y * img->w + x;
    while (w > 0) {
        int n = w < 64 ? w : 64;
        for (int i = 0; i < n; i++) {
            unsigned g = src[i];
            unsigned s = ((g >> 3) << 11) | ((g >> 2) << 5) | (g >> 3);
            buf[2 * i] = (uint8_t)(s >> 8);
            buf[2 * i + 1] = (uint8_t)s;
        }
        int st = st7789_data(&lcd->panel, buf, (size_t)n * 2);
        if (st != 0) {
            return st;
        }
        src += n;
        w -= n;
    }
    return 0;
}

maix_status_t maix_lcd_display(maix_lcd_t *lcd, const maix_view_t *img, const maix_rect_t *roi,
                               const int *oft)
{
    if (img->bpp != 1 && img->bpp != 2) {
        return MAIX_ERR_LCD_FORMAT;
    }
    maix_rect_t r = roi ? *roi : (maix_rect_t){0, 0, img->w, img->h};
    maix_status_t st = maix_roi_clip(img->w, img->h, &r);
    if (st != MAIX_OK || !lcd->inited) {
        return st;
    }
    int W = maix_lcd_width(lcd), H = maix_lcd_height(lcd);
    int px, py;
    if (oft == NULL || oft[0] < 0 || oft[1] < 0) {
        /* each axis: centre crop when larger than the panel, centre with black bars when
         * smaller (the bars are painted on every call) */
        int l = 0, t = 0, rp = 0, b = 0;
        if (r.w > W) {
            r.x += (r.w - W) / 2;
            r.w = W;
        } else {
            l = (W - r.w) / 2;
            rp = W - r.w - l;
        }
        if (r.h > H) {
            r.y += (r.h - H) / 2;
            r.h = H;
        } else {
            t = (H - r.h) / 2;
            b = H - r.h - t;
        }
        if ((st = fill(lcd, 0, 0, W, t, 0)) != MAIX_OK ||
            (st = fill(lcd, 0, H - b, W, b, 0)) != MAIX_OK ||
            (st = fill(lcd, 0, t, l, H - t - b, 0)) != MAIX_OK ||
            (st = fill(lcd, W - rp, t, rp, H - t - b, 0)) != MAIX_OK) {
            return st;
        }
        px = l;
        py = t;
    } else {
        /* at oft, no bars; what falls off the panel is not sent */
        px = oft[0];
        py = oft[1];
        if (px >= W || py >= H) {
            return MAIX_OK;
        }
        if (r.w > W - px) {
            r.w = W - px;
        }
        if (r.h > H - py) {
            r.h = H - py;
        }
    }
    int s = st7789_window(&lcd->panel, (uint16_t)px, (uint16_t)py, (uint16_t)(px + r.w - 1),
                          (uint16_t)(py + r.h - 1));
    for (int y = r.y; s == 0 && y < r.y + r.h; y++) {
        s = send_row(lcd, img, r.x, y, r.w);
    }
    return bus(s);
}
