/* Helpers shared by the image core's sources (not part of the interface). */
#ifndef IMG_INTERNAL_H
#define IMG_INTERNAL_H

#include "img.h"

/* The stored value of pixel i (gray byte or raw little-endian word). */
static inline uint32_t img_px_get(const img_t *img, size_t i)
{
    if (img->format == IMG_RGB565) {
        return (uint32_t)img->pixels[2 * i] | ((uint32_t)img->pixels[2 * i + 1] << 8);
    }
    return img->pixels[i];
}

/* Store a value into pixel i (the low 8 bits for gray, low 16 for RGB565). */
static inline void img_px_set(img_t *img, size_t i, uint32_t v)
{
    if (img->format == IMG_RGB565) {
        img->pixels[2 * i] = (uint8_t)v;
        img->pixels[2 * i + 1] = (uint8_t)(v >> 8);
    } else {
        img->pixels[i] = (uint8_t)v;
    }
}

/* Set pixels x0..x1, y0..y1 (inclusive), skipping whatever is off the image. */
void img_fill_box(img_t *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t v);

/* C's float -> integer conversion of a value already known to be in range, or saturated. */
static inline int64_t img_trunc_f(float f)
{
    if (!(f == f)) {
        return 0;
    }
    if (f >= 9.0e18f) {
        return INT64_MAX;
    }
    if (f <= -9.0e18f) {
        return INT64_MIN;
    }
    return (int64_t)f;
}

static inline int64_t img_trunc_d(double d)
{
    if (!(d == d)) {
        return 0;
    }
    if (d >= 9.0e18) {
        return INT64_MAX;
    }
    if (d <= -9.0e18) {
        return INT64_MIN;
    }
    return (int64_t)d;
}

/* Whether two byte ranges share memory. */
int img_overlaps(const void *a, size_t a_len, const void *b, size_t b_len);

#endif
