/* Image basics: validity, sizes, get/set_pixel, clear and the ROI helper (spec 2.4, 2.8). */
#include <string.h>

#include "img_internal.h"

img_status_t img_check(const img_t *img)
{
    if (img == NULL || img->w < 0 || img->h < 0) {
        return IMG_ERR_ARGUMENT;
    }
    if (img->format != IMG_GRAYSCALE && img->format != IMG_RGB565) {
        return IMG_ERR_FORMAT;
    }
    if (img->pixels == NULL && img->w > 0 && img->h > 0) {
        return IMG_ERR_ARGUMENT;
    }
    return IMG_OK;
}

size_t img_pixels_size(int w, int h, img_format_t fmt)
{
    if (w <= 0 || h <= 0) {
        return 0;
    }
    return (size_t)w * (size_t)h * (fmt == IMG_RGB565 ? 2u : 1u);
}

size_t img_pix_ai_size(const img_t *img)
{
    size_t n = img_pixels_size(img->w, img->h, IMG_GRAYSCALE);
    return img->format == IMG_RGB565 ? 3 * n : n;
}

size_t img_pix_ai_alloc_size(const img_t *img)
{
    if (img->format != IMG_RGB565) {
        return img_pix_ai_size(img);
    }
    if (img->w <= 0 || img->h <= 0) {
        return 0;
    }
    return (((size_t)img->w + 63u) & ~(size_t)63u) * (size_t)img->h * 3u;
}

static int inside(const img_t *img, int x, int y)
{
    return x >= 0 && y >= 0 && x < img->w && y < img->h;
}

img_status_t img_get_pixel(const img_t *img, int x, int y, uint32_t *value)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK || value == NULL) {
        return st != IMG_OK ? st : IMG_ERR_ARGUMENT;
    }
    if (!inside(img, x, y)) {
        return IMG_NONE;
    }
    *value = img_px_get(img, (size_t)y * (size_t)img->w + (size_t)x);
    return IMG_OK;
}

img_status_t img_get_pixel_rgb(const img_t *img, int x, int y, uint8_t rgb[3])
{
    uint32_t v = 0;
    img_status_t st = img_get_pixel(img, x, y, &v);
    if (st != IMG_OK) {
        return st;
    }
    uint16_t q = img->format == IMG_RGB565 ? (uint16_t)v : img_rgb565_from_gray((uint8_t)v);
    img_rgb888_from_rgb565(q, &rgb[0], &rgb[1], &rgb[2]);
    return IMG_OK;
}

img_status_t img_set_pixel(img_t *img, int x, int y, uint32_t color)
{
    img_status_t st = img_check(img);
    if (st == IMG_OK && inside(img, x, y)) {
        img_px_set(img, (size_t)y * (size_t)img->w + (size_t)x, color);
    }
    return st;
}

img_status_t img_clear(img_t *img)
{
    img_status_t st = img_check(img);
    if (st == IMG_OK) {
        size_t n = img_pixels_size(img->w, img->h, img->format);
        if (n > 0) {
            memset(img->pixels, 0, n);
        }
    }
    return st;
}

img_status_t img_clip_roi(const img_t *img, const img_rect_t *roi, img_rect_t *out)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK || out == NULL) {
        return st != IMG_OK ? st : IMG_ERR_ARGUMENT;
    }
    if (roi == NULL) {
        out->x = 0, out->y = 0, out->w = img->w, out->h = img->h;
        return IMG_OK;
    }
    if (roi->w < 1 || roi->h < 1) {
        return IMG_ERR_ROI_DIMENSIONS;
    }
    int64_t x0 = roi->x > 0 ? roi->x : 0, y0 = roi->y > 0 ? roi->y : 0;
    int64_t x1 = (int64_t)roi->x + roi->w, y1 = (int64_t)roi->y + roi->h;
    if (x1 > img->w) {
        x1 = img->w;
    }
    if (y1 > img->h) {
        y1 = img->h;
    }
    if (x1 <= x0 || y1 <= y0) {
        return IMG_ERR_ROI_OVERLAP;
    }
    out->x = (int)x0, out->y = (int)y0, out->w = (int)(x1 - x0), out->h = (int)(y1 - y0);
    return IMG_OK;
}

int img_overlaps(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a == NULL || b == NULL || a_len == 0 || b_len == 0) {
        return 0;
    }
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + b_len && pb < pa + a_len;
}

void img_fill_box(img_t *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t v)
{
    if (x0 < 0) {
        x0 = 0;
    }
    if (y0 < 0) {
        y0 = 0;
    }
    if (x1 > img->w - 1) {
        x1 = img->w - 1;
    }
    if (y1 > img->h - 1) {
        y1 = img->h - 1;
    }
    if (x0 > x1) {
        return; /* also spares the row loop on a zero-width image */
    }
    for (int64_t y = y0; y <= y1; y++) {
        size_t row = (size_t)y * (size_t)img->w;
        for (int64_t x = x0; x <= x1; x++) {
            img_px_set(img, row + (size_t)x, v);
        }
    }
}
