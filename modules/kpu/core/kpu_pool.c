/* KPU pooling, exactly per the table of spec 4.5 (the nncase v0.2 / v1 reference kernels). */
#include "kpu_pool.h"

#include <string.h>

uint32_t kpu_pool_stride(uint32_t pool_type)
{
    switch (pool_type) {
    case 0: case 8: case 9:
        return 1;
    case 1: case 2: case 5: case 6:
        return 2;
    case 3: case 4: case 7:
        return 4;
    default:
        return 0;
    }
}

/* Max (is_max) or floor(sum / n^2) over the n x n window at (oy * n, ox * n). For these types
 * ow = w / n and oh = h / n, so the window never leaves the plane. */
static void pool_window(const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out, uint32_t n,
                        int is_max)
{
    uint32_t ow = w / n, oh = h / n;
    for (uint32_t oy = 0; oy < oh; oy++) {
        for (uint32_t ox = 0; ox < ow; ox++) {
            const uint8_t *p = in + (size_t)oy * n * w + (size_t)ox * n;
            uint32_t acc = 0;
            for (uint32_t dy = 0; dy < n; dy++, p += w)
                for (uint32_t dx = 0; dx < n; dx++)
                    if (is_max)
                        acc = p[dx] > acc ? p[dx] : acc;
                    else
                        acc += p[dx];
            out[(size_t)oy * ow + ox] = (uint8_t)(is_max ? acc : acc / (n * n));
        }
    }
}

/* Pixel (oy * n, ox * n + dx) of each n x n window (types 5, 6, 7). */
static void pool_pick(const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out, uint32_t n,
                      uint32_t dx)
{
    uint32_t ow = w / n, oh = h / n;
    for (uint32_t oy = 0; oy < oh; oy++) {
        const uint8_t *row = in + (size_t)oy * n * w + dx;
        for (uint32_t ox = 0; ox < ow; ox++)
            out[(size_t)oy * ow + ox] = row[(size_t)ox * n];
    }
}

/* Type 8, mean_2_s1: 2x2 window at every pixel; taps past the last row or column re-use the
 * last row or column (clamped index, as the reference kernel does), divisor always 4. */
static void pool_mean_2_s1(const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out)
{
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *r0 = in + (size_t)y * w;
        const uint8_t *r1 = in + (size_t)(y + 1 < h ? y + 1 : y) * w;
        for (uint32_t x = 0; x < w; x++) {
            uint32_t x1 = x + 1 < w ? x + 1 : x;
            out[(size_t)y * w + x] = (uint8_t)((r0[x] + r0[x1] + r1[x] + r1[x1]) / 4u);
        }
    }
}

/* Type 9, max_2_s1: 2x2 window at every pixel; taps past the last row or column count as 0, so
 * they never win against the in-range taps (all values are >= 0). */
static void pool_max_2_s1(const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out)
{
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *r0 = in + (size_t)y * w;
        const uint8_t *r1 = y + 1 < h ? r0 + w : NULL;
        for (uint32_t x = 0; x < w; x++) {
            uint8_t m = r0[x];
            if (x + 1 < w && r0[x + 1] > m)
                m = r0[x + 1];
            if (r1 != NULL) {
                if (r1[x] > m)
                    m = r1[x];
                if (x + 1 < w && r1[x + 1] > m)
                    m = r1[x + 1];
            }
            out[(size_t)y * w + x] = m;
        }
    }
}

void kpu_pool_plane(uint32_t pool_type, const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out)
{
    switch (pool_type) {
    case 0:
        memcpy(out, in, (size_t)w * h);
        break;
    case 1: pool_window(in, w, h, out, 2, 1); break;
    case 2: pool_window(in, w, h, out, 2, 0); break;
    case 3: pool_window(in, w, h, out, 4, 1); break;
    case 4: pool_window(in, w, h, out, 4, 0); break;
    case 5: pool_pick(in, w, h, out, 2, 0); break;
    case 6: pool_pick(in, w, h, out, 2, 1); break;
    case 7: pool_pick(in, w, h, out, 4, 0); break;
    case 8: pool_mean_2_s1(in, w, h, out); break;
    case 9: pool_max_2_s1(in, w, h, out); break;
    default:
        break; /* rejected before: kpu_conv_prepare accepts 0..9 only */
    }
}
