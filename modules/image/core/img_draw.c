/* Shapes: draw_rectangle as MaixPy (spec 2.9); draw_line, draw_circle and draw_cross as the
 * Python module draws them (outside the spec: Bresenham line, midpoint circle, square brush). */
#include "img_internal.h"

/* Python's floor division by 2 (C's / truncates toward zero). */
static int64_t floor_half(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

img_status_t img_draw_rectangle(img_t *img, int x, int y, int w, int h, uint32_t color,
                                int thickness, int fill)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    int64_t right = (int64_t)x + w - 1, bottom = (int64_t)y + h - 1;
    if (fill) {
        img_fill_box(img, x, y, right, bottom, color);
        return IMG_OK;
    }
    if (thickness <= 0) {
        return IMG_OK;
    }
    /* Bands centred on the 1-pixel outline; even thicknesses grow one more pixel outward. */
    int64_t t0 = thickness / 2, t1 = (thickness - 1) / 2;
    img_fill_box(img, x - t0, y - t0, right + t1, y + t1, color);
    img_fill_box(img, x - t0, bottom - t0, right + t1, bottom + t1, color);
    img_fill_box(img, x - t0, y - t0, x + t1, bottom + t1, color);
    img_fill_box(img, right - t0, y - t0, right + t1, bottom + t1, color);
    return IMG_OK;
}

static void line(img_t *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t color,
                 int thickness)
{
    int64_t lo = floor_half(thickness), hi = floor_half((int64_t)thickness - 1);
    int64_t dx = x1 > x0 ? x1 - x0 : x0 - x1, dy = y1 > y0 ? y1 - y0 : y0 - y1;
    int64_t sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int64_t err = dx > dy ? dx / 2 : -(dy / 2);
    for (int64_t step = 0; step <= dx + dy; step++) {
        img_fill_box(img, x0 - lo, y0 - lo, x0 + hi, y0 + hi, color);
        if (x0 == x1 && y0 == y1) {
            break;
        }
        int64_t e2 = err;
        if (e2 > -dx) {
            err -= dy;
            x0 += sx;
        }
        if (e2 < dy) {
            err += dx;
            y0 += sy;
        }
    }
}

img_status_t img_draw_line(img_t *img, int x0, int y0, int x1, int y1, uint32_t color,
                           int thickness)
{
    img_status_t st = img_check(img);
    if (st == IMG_OK && thickness > 0) {
        line(img, x0, y0, x1, y1, color, thickness);
    }
    return st;
}

img_status_t img_draw_cross(img_t *img, int x, int y, uint32_t color, int size, int thickness)
{
    img_status_t st = img_check(img);
    if (st == IMG_OK && thickness > 0) {
        line(img, (int64_t)x - size, y, (int64_t)x + size, y, color, thickness);
        line(img, x, (int64_t)y - size, x, (int64_t)y + size, color, thickness);
    }
    return st;
}

static void plot(img_t *img, int64_t x, int64_t y, uint32_t color)
{
    if (x >= 0 && y >= 0 && x < img->w && y < img->h) {
        img_px_set(img, (size_t)y * (size_t)img->w + (size_t)x, color);
    }
}

static void circle(img_t *img, int64_t cx, int64_t cy, int64_t r, uint32_t color)
{
    int64_t x = r, y = 0, err = 1 - r;
    while (x >= y) {
        plot(img, cx + x, cy + y, color), plot(img, cx + y, cy + x, color);
        plot(img, cx - y, cy + x, color), plot(img, cx - x, cy + y, color);
        plot(img, cx - x, cy - y, color), plot(img, cx - y, cy - x, color);
        plot(img, cx + y, cy - x, color), plot(img, cx + x, cy - y, color);
        y++;
        if (err < 0) {
            err += 2 * y + 1;
        } else {
            x--;
            err += 2 * (y - x + 1);
        }
    }
}

img_status_t img_draw_circle(img_t *img, int cx, int cy, int radius, uint32_t color,
                             int thickness, int fill)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    int64_t r = radius;
    if (fill) {
        /* Only the rows and columns on the image are visited. */
        int64_t y0 = -r > -(int64_t)cy ? -r : -(int64_t)cy;
        int64_t y1 = r < (int64_t)img->h - 1 - cy ? r : (int64_t)img->h - 1 - cy;
        int64_t x0 = -r > -(int64_t)cx ? -r : -(int64_t)cx;
        int64_t x1 = r < (int64_t)img->w - 1 - cx ? r : (int64_t)img->w - 1 - cx;
        for (int64_t oy = y0; oy <= y1; oy++) {
            for (int64_t ox = x0; ox <= x1; ox++) {
                if ((uint64_t)(ox * ox) + (uint64_t)(oy * oy) <= (uint64_t)(r * r)) {
                    plot(img, cx + ox, cy + oy, color);
                }
            }
        }
        return IMG_OK;
    }
    int64_t first = r - floor_half(thickness), last = r + floor_half((int64_t)thickness - 1);
    for (int64_t ri = first; ri <= last; ri++) {
        if (ri >= 0) {
            circle(img, cx, cy, ri, color);
        }
    }
    return IMG_OK;
}
