/* MaixPy's resize (image-subset spec 2.7) with its float32 index maths and quirks kept:
 * gray bilinear with edge extrapolation, the gray box average (inclusive boxes, columns scaled
 * by the vertical ratio, reads past the image), RGB565 nearest / 5-6-5-bit bilinear.
 * Float results outside 0..255 wrap modulo 256 after truncation (spec 9, question 2). */
#include <string.h>

#include "img_internal.h"

/* (i + 0.5) * scale - 0.5 in float32: half-pixel source positions. */
static float centre(int i, float scale) { return ((float)i + 0.5f) * scale - 0.5f; }

static int64_t clamp_index(int64_t i, int n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

static uint8_t wrap_u8(float f) { return (uint8_t)(img_trunc_f(f) & 0xFF); }

static void gray_bilinear(img_t *dst, const img_t *src)
{
    int w0 = src->w, h0 = src->h, w = dst->w, h = dst->h;
    float sx = (float)w0 / (float)w, sy = (float)h0 / (float)h;
    const uint8_t *p = src->pixels;
    for (int y = 0; y < h; y++) {
        float yf = centre(y, sy);
        int64_t y0 = clamp_index(img_trunc_f(yf), h0), y1 = y0 + 1;
        int64_t y1c = y0 >= h0 - 1 ? y0 : y1; /* samples clamp, weights do not */
        float wya = (float)y1 - yf, wyb = yf - (float)y0;
        const uint8_t *r0 = p + (size_t)y0 * (size_t)w0, *r1 = p + (size_t)y1c * (size_t)w0;
        for (int x = 0; x < w; x++) {
            float xf = centre(x, sx);
            int64_t x0 = clamp_index(img_trunc_f(xf), w0), x1 = x0 + 1;
            int64_t x1c = x0 >= w0 - 1 ? x0 : x1;
            float wxa = (float)x1 - xf, wxb = xf - (float)x0;
            float a = r0[x0], b = r0[x1c], c = r1[x0], d = r1[x1c];
            float total = a * wxa * wya + b * wxb * wya + c * wxa * wyb + d * wxb * wyb;
            dst->pixels[(size_t)y * (size_t)w + (size_t)x] = wrap_u8(total);
        }
    }
}

/* Byte k of the source's backing memory; zero past what is readable. */
static uint32_t backing_at(const img_t *src, size_t avail, int64_t k)
{
    return k >= 0 && (uint64_t)k < avail ? src->pixels[k] : 0u;
}

/* Each box is (trunc(sy) + 1 or 2)^2 reads, as in MaixPy: shrinking a tall image to a few
 * pixels is quadratic in h0 / h (the columns use sy too). */
static void gray_box(img_t *dst, const img_t *src, size_t avail)
{
    int w0 = src->w, h0 = src->h, w = dst->w, h = dst->h;
    float sy = (float)h0 / (float)h;
    for (int y = 0; y < h; y++) {
        int64_t ya = img_trunc_f((float)y * sy), yb = img_trunc_f((float)(y + 1) * sy);
        for (int x = 0; x < w; x++) {
            /* MaixPy's bug: columns use the vertical scale too. */
            int64_t xa = img_trunc_f((float)x * sy), xb = img_trunc_f((float)(x + 1) * sy);
            uint64_t sum = 0;
            for (int64_t yy = ya; yy <= yb; yy++) {
                for (int64_t xx = xa; xx <= xb; xx++) {
                    sum += backing_at(src, avail, yy * w0 + xx);
                }
            }
            uint64_t count = (uint64_t)(yb - ya + 1) * (uint64_t)(xb - xa + 1);
            dst->pixels[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(sum / count);
        }
    }
}

static uint16_t word_at(const img_t *img, int64_t x, int64_t y)
{
    return (uint16_t)img_px_get(img, (size_t)y * (size_t)img->w + (size_t)x);
}

static void rgb565_nearest(img_t *dst, const img_t *src, float sx, float sy)
{
    for (int y = 0; y < dst->h; y++) {
        int64_t yi = clamp_index(img_trunc_f((float)y * sy), src->h);
        for (int x = 0; x < dst->w; x++) {
            int64_t xi = clamp_index(img_trunc_f((float)x * sx), src->w);
            img_px_set(dst, (size_t)y * (size_t)dst->w + (size_t)x, word_at(src, xi, yi));
        }
    }
}

static uint32_t chan(uint16_t q, int c)
{
    return c == 0 ? (q >> 3) & 31u : c == 1 ? (((q & 7u) << 3) | (q >> 13)) : (q >> 8) & 31u;
}

static void rgb565_bilinear(img_t *dst, const img_t *src, float sx, float sy)
{
    int w0 = src->w, h0 = src->h;
    for (int y = 0; y < dst->h; y++) {
        float ys = centre(y, sy);
        int64_t y1 = img_trunc_f(ys);
        y1 = y1 < 0 ? 0 : y1; /* (uint16) of a small negative position is 0 */
        int64_t y2 = y1 + 1;
        float wy2 = (float)y2 - ys, wy1 = ys - (float)y1;
        for (int x = 0; x < dst->w; x++) {
            float xs = centre(x, sx);
            int64_t x1 = img_trunc_f(xs);
            x1 = x1 < 0 ? 0 : x1;
            int64_t x2 = x1 + 1;
            size_t at = (size_t)y * (size_t)dst->w + (size_t)x;
            x1 = clamp_index(x1, w0);
            int64_t yy1 = clamp_index(y1, h0);
            uint16_t p11 = word_at(src, x1, yy1);
            if (x2 >= w0 || y2 >= h0) {
                img_px_set(dst, at, p11); /* right/bottom border: no interpolation */
                continue;
            }
            uint16_t p21 = word_at(src, x2, yy1), p12 = word_at(src, x1, y2);
            uint16_t p22 = word_at(src, x2, y2);
            float wx2 = (float)x2 - xs, wx1 = xs - (float)x1;
            uint32_t out[3];
            for (int c = 0; c < 3; c++) {
                float top = wx2 * (float)chan(p11, c) + wx1 * (float)chan(p21, c);
                float bottom = wx2 * (float)chan(p12, c) + wx1 * (float)chan(p22, c);
                out[c] = wrap_u8(wy2 * top + wy1 * bottom);
            }
            img_px_set(dst, at, img_rgb565_compose(out[0], out[1], out[2]));
        }
    }
}

img_status_t img_resize(img_t *dst, const img_t *src, size_t src_bytes)
{
    img_status_t st = img_check(src);
    if (st != IMG_OK) {
        return st;
    }
    st = img_check(dst);
    if (st != IMG_OK) {
        return st;
    }
    if (dst->format != src->format) {
        return IMG_ERR_ARGUMENT;
    }
    size_t src_size = img_pixels_size(src->w, src->h, src->format);
    size_t avail = src_bytes > src_size ? src_bytes : src_size;
    if (img_overlaps(dst->pixels, img_pixels_size(dst->w, dst->h, dst->format), src->pixels,
                     avail)) {
        return IMG_ERR_OVERLAP;
    }
    if (dst->w == 0 || dst->h == 0) {
        return IMG_OK;
    }
    if (src->w == 0 || src->h == 0) {
        return IMG_ERR_ARGUMENT; /* nothing to sample from */
    }
    if (src->format == IMG_GRAYSCALE) {
        if (dst->w >= src->w || dst->h >= src->h) {
            gray_bilinear(dst, src);
        } else {
            gray_box(dst, src, avail);
        }
        return IMG_OK;
    }
    if (dst->w == src->w && dst->h == src->h) {
        memcpy(dst->pixels, src->pixels, src_size);
        return IMG_OK;
    }
    float sx = (float)src->w / (float)dst->w, sy = (float)src->h / (float)dst->h;
    if (src->w >= dst->w || src->h > dst->h) {
        rgb565_nearest(dst, src, sx, sy);
    } else {
        rgb565_bilinear(dst, src, sx, sy);
    }
    return IMG_OK;
}
