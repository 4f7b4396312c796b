/* draw_image with MaixPy's semantics (image-subset spec 2.11): nearest-neighbour placement,
 * source values copied raw (a gray byte lands in RGB565 as the raw word g; an RGB565 word lands
 * in gray as its low byte), alpha blending through raw-RGB565 decoding, optional mask. */
#include "img_internal.h"

/* trunc(size * scale) in float32, saturated to int range. */
static int64_t out_size(int size, double scale)
{
    float f = (float)size * (float)scale;
    return f >= 2147483647.0f ? INT32_MAX : img_trunc_f(f);
}

static int mask_set(const img_t *mask, int64_t sx, int64_t sy, img_firmware_t fw)
{
    if (sx >= mask->w || sy >= mask->h) {
        return 0;
    }
    uint32_t v = img_px_get(mask, (size_t)sy * (size_t)mask->w + (size_t)sx);
    return (mask->format == IMG_RGB565 ? img_gray_from_rgb565((uint16_t)v, fw) : v) > 127;
}

static uint32_t blend(uint32_t p, uint32_t d, int alpha)
{
    uint8_t s8[3], d8[3];
    img_rgb888_from_rgb565((uint16_t)p, &s8[0], &s8[1], &s8[2]);
    img_rgb888_from_rgb565((uint16_t)d, &d8[0], &d8[1], &d8[2]);
    /* Black source pixels are transparent: the weight uses the OR of the three channels. */
    float t = ((float)alpha / 256.0f) * ((float)(s8[0] | s8[1] | s8[2]) / 256.0f);
    float u = 1.0f - t;
    uint32_t c[3];
    for (int i = 0; i < 3; i++) {
        int64_t v = img_trunc_f((float)s8[i] * t + (float)d8[i] * u);
        c[i] = (uint32_t)(v > 255 ? 255 : v);
    }
    return img_rgb565_compose(img_rb825[c[0]], img_g826[c[1]], img_rb825[c[2]]);
}

img_status_t img_draw_image(img_t *dst, const img_t *src, int x, int y, double x_scale,
                            double y_scale, int alpha, const img_t *mask, img_firmware_t fw)
{
    if (!(x_scale >= 0)) {
        return IMG_ERR_X_SCALE;
    }
    if (!(y_scale >= 0)) {
        return IMG_ERR_Y_SCALE;
    }
    if (alpha < 0 || alpha > 256) {
        return IMG_ERR_ALPHA;
    }
    img_status_t st = img_check(dst);
    if (st == IMG_OK) {
        st = img_check(src);
    }
    if (st == IMG_OK && mask != NULL) {
        st = img_check(mask);
    }
    if (st != IMG_OK) {
        return st;
    }
    size_t dst_bytes = img_pixels_size(dst->w, dst->h, dst->format);
    if (img_overlaps(dst->pixels, dst_bytes, src->pixels,
                     img_pixels_size(src->w, src->h, src->format)) ||
        (mask != NULL && img_overlaps(dst->pixels, dst_bytes, mask->pixels,
                                      img_pixels_size(mask->w, mask->h, mask->format)))) {
        return IMG_ERR_OVERLAP;
    }
    int64_t out_w = out_size(src->w, x_scale), out_h = out_size(src->h, y_scale);
    if (out_w <= 0 || out_h <= 0) {
        return IMG_OK;
    }
    /* Only the part of the output area that lands on the destination. */
    int64_t i0 = x < 0 ? -(int64_t)x : 0, j0 = y < 0 ? -(int64_t)y : 0;
    int64_t i1 = (int64_t)dst->w - x < out_w ? (int64_t)dst->w - x : out_w;
    int64_t j1 = (int64_t)dst->h - y < out_h ? (int64_t)dst->h - y : out_h;
    if (i0 >= i1 || j0 >= j1) {
        return IMG_OK;
    }
    float xstep = 1.0f / (float)x_scale, ystep = 1.0f / (float)y_scale;
    for (int64_t j = j0; j < j1; j++) {
        int64_t sy = img_trunc_f((float)j * ystep);
        sy = sy < src->h ? sy : src->h - 1;
        size_t drow = (size_t)(y + j) * (size_t)dst->w;
        for (int64_t i = i0; i < i1; i++) {
            int64_t sx = img_trunc_f((float)i * xstep);
            sx = sx < src->w ? sx : src->w - 1;
            if (mask != NULL && !mask_set(mask, sx, sy, fw)) {
                continue;
            }
            size_t at = drow + (size_t)(x + i);
            uint32_t p = img_px_get(src, (size_t)sy * (size_t)src->w + (size_t)sx);
            /* alpha 256: rb825/g826 undo rb528/g628, so the word is the source value. */
            img_px_set(dst, at, alpha >= 256 ? p : blend(p, img_px_get(dst, at), alpha));
        }
    }
    return IMG_OK;
}
