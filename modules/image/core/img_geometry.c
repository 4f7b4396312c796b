/* cut and the scaled copy/crop (image-subset spec 2.8). */
#include <string.h>

#include "img_internal.h"

img_status_t img_cut(img_t *dst, const img_t *src, int x, int y)
{
    img_status_t st = img_check(src);
    if (st == IMG_OK) {
        st = img_check(dst);
    }
    if (st != IMG_OK) {
        return st;
    }
    if (dst->format != src->format) {
        return IMG_ERR_ARGUMENT;
    }
    size_t bpp = (size_t)src->format;
    if (img_overlaps(dst->pixels, img_pixels_size(dst->w, dst->h, dst->format), src->pixels,
                     img_pixels_size(src->w, src->h, src->format))) {
        return IMG_ERR_OVERLAP;
    }
    img_clear(dst);
    /* Only the overlap is copied: MaixPy reads out of bounds for negative x/y (fixed here). */
    int64_t xa = x > 0 ? x : 0, ya = y > 0 ? y : 0;
    int64_t xb = (int64_t)x + dst->w, yb = (int64_t)y + dst->h;
    xb = xb < src->w ? xb : src->w;
    yb = yb < src->h ? yb : src->h;
    if (xa >= xb || ya >= yb) {
        return IMG_OK;
    }
    for (int64_t sy = ya; sy < yb; sy++) {
        const uint8_t *from = src->pixels + ((size_t)sy * (size_t)src->w + (size_t)xa) * bpp;
        uint8_t *to = dst->pixels +
                      ((size_t)(sy - y) * (size_t)dst->w + (size_t)(xa - x)) * bpp;
        memcpy(to, from, (size_t)(xb - xa) * bpp);
    }
    return IMG_OK;
}

static img_status_t scaled_size(int size, double scale, img_status_t zero, int *out)
{
    float f = (float)size * (float)scale;
    if (!(f < 2147483647.0f)) {
        return IMG_ERR_NO_MEMORY; /* far more than any heap */
    }
    int64_t n = img_trunc_f(f);
    if (n < 1) {
        return zero;
    }
    *out = (int)n;
    return IMG_OK;
}

img_status_t img_copy_size(const img_t *src, const img_rect_t *roi, double x_scale,
                           double y_scale, img_rect_t *clipped, int *out_w, int *out_h)
{
    if (clipped == NULL || out_w == NULL || out_h == NULL) {
        return IMG_ERR_ARGUMENT;
    }
    img_status_t st = img_clip_roi(src, roi, clipped);
    if (st != IMG_OK) {
        return st;
    }
    /* NaN fails these checks too (MaixPy compares with <, so NaN would pass there). */
    if (!(x_scale >= 0)) {
        return IMG_ERR_X_SCALE;
    }
    if (!(y_scale >= 0)) {
        return IMG_ERR_Y_SCALE;
    }
    st = scaled_size(clipped->w, x_scale, IMG_ERR_OUT_WIDTH_ZERO, out_w);
    if (st == IMG_OK) {
        st = scaled_size(clipped->h, y_scale, IMG_ERR_OUT_HEIGHT_ZERO, out_h);
    }
    return st;
}

/* offset + trunc(i * (1 / scale)) in float32, kept on the image. */
static size_t scaled_index(int offset, int i, float step, int limit)
{
    int64_t v = offset + img_trunc_f((float)i * step);
    return (size_t)(v < 0 ? 0 : v >= limit ? limit - 1 : v);
}

img_status_t img_copy(img_t *dst, const img_t *src, const img_rect_t *clipped, double x_scale,
                      double y_scale)
{
    img_status_t st = img_check(src);
    if (st == IMG_OK) {
        st = img_check(dst);
    }
    if (st != IMG_OK) {
        return st;
    }
    if (clipped == NULL || dst->format != src->format || !(x_scale > 0) || !(y_scale > 0) ||
        clipped->x < 0 || clipped->y < 0 || clipped->w < 1 || clipped->h < 1 ||
        (int64_t)clipped->x + clipped->w > src->w || (int64_t)clipped->y + clipped->h > src->h) {
        return IMG_ERR_ARGUMENT;
    }
    if (img_overlaps(dst->pixels, img_pixels_size(dst->w, dst->h, dst->format), src->pixels,
                     img_pixels_size(src->w, src->h, src->format))) {
        return IMG_ERR_OVERLAP;
    }
    float xstep = 1.0f / (float)x_scale, ystep = 1.0f / (float)y_scale;
    for (int y = 0; y < dst->h; y++) {
        size_t sy = scaled_index(clipped->y, y, ystep, src->h);
        for (int x = 0; x < dst->w; x++) {
            size_t sx = scaled_index(clipped->x, x, xstep, src->w);
            img_px_set(dst, (size_t)y * (size_t)dst->w + (size_t)x,
                       img_px_get(src, sy * (size_t)src->w + sx));
        }
    }
    return IMG_OK;
}
