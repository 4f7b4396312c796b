/* Per-pixel conversions: to_grayscale, to_rgb565, invert, pix_to_ai/ai_to_pix, stretch and
 * strech_char (image-subset spec 2.5, 2.6, 2.12, 2.13). */
#include <string.h>

#include "img_internal.h"

static size_t npix(const img_t *img) { return img_pixels_size(img->w, img->h, IMG_GRAYSCALE); }

static img_status_t check_same_size(const img_t *dst, const img_t *src)
{
    img_status_t st = img_check(src);
    if (st != IMG_OK) {
        return st;
    }
    if (dst == NULL || dst->w != src->w || dst->h != src->h ||
        (dst->pixels == NULL && npix(src) > 0)) {
        return IMG_ERR_ARGUMENT;
    }
    return IMG_OK;
}

img_status_t img_to_grayscale(img_t *dst, const img_t *src, img_firmware_t fw)
{
    img_status_t st = check_same_size(dst, src);
    if (st != IMG_OK) {
        return st;
    }
    size_t n = npix(src);
    const uint8_t *in = src->pixels;
    uint8_t *out = dst->pixels;
    if (in != out && img_overlaps(in, img_pixels_size(src->w, src->h, src->format), out, n)) {
        return IMG_ERR_OVERLAP;
    }
    if (src->format == IMG_GRAYSCALE) {
        if (n > 0 && in != out) {
            memcpy(out, in, n);
        }
    } else {
        /* Pixel i reads bytes 2i, 2i+1 before byte i is written: safe in place. */
        for (size_t i = 0; i < n; i++) {
            uint16_t q = (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8));
            out[i] = img_gray_from_rgb565(q, fw);
        }
    }
    dst->format = IMG_GRAYSCALE;
    return IMG_OK;
}

img_status_t img_to_rgb565(img_t *dst, const img_t *src)
{
    img_status_t st = check_same_size(dst, src);
    if (st != IMG_OK) {
        return st;
    }
    size_t n = npix(src);
    if (img_overlaps(src->pixels, img_pixels_size(src->w, src->h, src->format), dst->pixels,
                     2 * n)) {
        return src->format == IMG_GRAYSCALE ? IMG_ERR_RGB565_IN_PLACE : IMG_ERR_OVERLAP;
    }
    dst->format = IMG_RGB565;
    if (src->format == IMG_RGB565) {
        if (n > 0) {
            memcpy(dst->pixels, src->pixels, 2 * n);
        }
        return IMG_OK;
    }
    for (size_t i = 0; i < n; i++) {
        img_px_set(dst, i, img_rgb565_from_gray(src->pixels[i]));
    }
    return IMG_OK;
}

img_status_t img_invert(img_t *img)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    /* NOT of every word is NOT of both its bytes. */
    size_t bytes = img_pixels_size(img->w, img->h, img->format);
    for (size_t i = 0; i < bytes; i++) {
        img->pixels[i] = (uint8_t)~img->pixels[i];
    }
    return IMG_OK;
}

img_status_t img_pix_to_ai(img_t *img)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    size_t n = npix(img);
    if (img->pix_ai == NULL) {
        return n > 0 ? IMG_ERR_NO_PIX_AI : IMG_OK;
    }
    if (img->format == IMG_GRAYSCALE) {
        if (n > 0 && img->pix_ai != img->pixels) {
            memmove(img->pix_ai, img->pixels, n);
        }
        return IMG_OK;
    }
    if (img_overlaps(img->pix_ai, 3 * n, img->pixels, 2 * n)) {
        return IMG_ERR_OVERLAP;
    }
    for (size_t i = 0; i < n; i++) {
        img_rgb888_from_rgb565((uint16_t)img_px_get(img, i), &img->pix_ai[i],
                               &img->pix_ai[n + i], &img->pix_ai[2 * n + i]);
    }
    return IMG_OK;
}

img_status_t img_ai_to_pix(img_t *img)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK || img->pix_ai == NULL) {
        return st;
    }
    size_t n = npix(img);
    if (img->format == IMG_GRAYSCALE) {
        if (n > 0 && img->pix_ai != img->pixels) {
            memmove(img->pixels, img->pix_ai, n);
        }
        return IMG_OK;
    }
    if (img_overlaps(img->pix_ai, 3 * n, img->pixels, 2 * n)) {
        return IMG_ERR_OVERLAP;
    }
    const uint8_t *ai = img->pix_ai;
    for (size_t i = 0; i < n; i++) {
        img_px_set(img, i, img_rgb565_compose(img_rb825[ai[i]], img_g826[ai[n + i]],
                                              img_rb825[ai[2 * n + i]]));
    }
    return IMG_OK;
}

/* C integer division (truncation toward zero); b != 0. */
static int64_t c_div(int64_t a, int64_t b)
{
    return a / b;
}

img_status_t img_stretch(img_t *img, int low, int high)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    if (img->format != IMG_GRAYSCALE) {
        return IMG_ERR_FORMAT;
    }
    int w = img->w, h = img->h;
    if (w < 3 || h < 3) {
        return IMG_OK; /* MaixPy reads an out-of-bounds start pixel here; nothing changes */
    }
    uint8_t *p = img->pixels;
    int min0 = 255, max0 = 0;
    for (int y = 1; y < h - 1; y++) {
        for (int x = 1; x < w - 1; x++) {
            int v = p[(size_t)y * (size_t)w + (size_t)x];
            min0 = v < min0 ? v : min0;
            max0 = v > max0 ? v : max0;
        }
    }
    if (max0 == min0) {
        return IMG_OK;
    }
    int64_t scale = c_div((int64_t)high - low, max0 - min0);
    if (scale > 5) {
        scale = 5;
    }
    size_t n = npix(img);
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(((int64_t)p[i] - min0) * scale + low);
    }
    return IMG_OK;
}

img_status_t img_strech_char(img_t *img, int de_dark)
{
    img_status_t st = img_check(img);
    if (st != IMG_OK) {
        return st;
    }
    if (img->format != IMG_GRAYSCALE) {
        return IMG_ERR_FORMAT;
    }
    size_t n = npix(img);
    if (n == 0) {
        return IMG_OK;
    }
    uint8_t *p = img->pixels;
    uint64_t sum = 0;
    int gmax = 0;
    for (size_t i = 0; i < n; i++) {
        sum += p[i];
        gmax = p[i] > gmax ? p[i] : gmax;
    }
    int64_t gate = (int64_t)(sum / n);
    int w = img->w, h = img->h;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            int64_t v = 0; /* gmax == gate: RISC-V's x/0 = -1, clamped to 0 */
            if (gmax != gate) {
                v = c_div((p[i] - gate) * 255, gmax - gate);
                v = v < 0 ? 0 : v > 255 ? 255 : v;
            }
            if (de_dark) {
                int64_t dx = x - w / 2, dy = y - h / 2;
                float r2 = (float)(dx * dx + dy * dy);
                float factor = 1.0f + 32.0f * r2 * r2 / (float)w / (float)w / (float)h / (float)h;
                v = img_trunc_f((float)v / factor);
            }
            p[i] = (uint8_t)v;
        }
    }
    return IMG_OK;
}
