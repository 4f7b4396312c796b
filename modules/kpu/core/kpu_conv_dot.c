/* Dense 1x1 convolutions with 8-bit weights as int16 dot products (see kpu_conv_dot.h). */
#include "kpu_conv_dot.h"

#include <string.h>
#include "kpu_simd.h"

size_t kpu_dot_padded(uint32_t ic)
{
    return ((size_t)ic + 15u) & ~(size_t)15;
}

void kpu_dot_pack_input(int16_t *x, const uint8_t *planes, size_t plane_stride, uint32_t ic,
                        size_t icp, size_t pixels)
{
    /* blocks of 16 pixels keep the 16 source runs and the destination rows in cache */
    for (size_t p0 = 0; p0 < pixels; p0 += 16) {
        size_t pn = pixels - p0 < 16 ? pixels - p0 : 16;
        int16_t *blk = x + p0 * icp;
        for (size_t p = 0; p < pn; p++)
            for (size_t c = ic; c < icp; c++)
                blk[p * icp + c] = 0;
        for (uint32_t c = 0; c < ic; c++) {
            const uint8_t *src = planes + (size_t)c * plane_stride + p0;
            int16_t *dst = blk + c;
            for (size_t p = 0; p < pn; p++)
                dst[p * icp] = src[p];
        }
    }
}

void kpu_dot_pack_weights(int16_t *w, const uint8_t *weights, uint32_t ic, size_t icp,
                          uint32_t o0, uint32_t count)
{
    memset(w, 0, KPU_DOT_OUTPUTS * icp * sizeof(int16_t));
    for (uint32_t j = 0; j < count && j < KPU_DOT_OUTPUTS; j++) {
        const uint8_t *src = weights + (size_t)(o0 + j) * ic;
        for (uint32_t c = 0; c < ic; c++)
            w[j * icp + c] = src[c];
    }
}

/* 4 output channels x 2 pixels: eight reductions over n channels (n a multiple of 16). */
/* GCC recognises these reductions as dot products only when the function is compiled on its
 * own; inlined into the pixel loop it falls back to scalar code (hence KPU_KERNEL). */
KPU_KERNEL static void dot4x2(int32_t *restrict out, size_t stride, const int16_t *restrict x0,
                   const int16_t *restrict x1, const int16_t *restrict w, size_t n)
{
    const int16_t *restrict w0 = w, *restrict w1 = w + n, *restrict w2 = w + 2 * n,
                            *restrict w3 = w + 3 * n;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    n &= ~(size_t)15;
    for (size_t i = 0; i < n; i++) {
        int32_t u = x0[i], v = x1[i];
        a0 += u * w0[i];
        b0 += v * w0[i];
        a1 += u * w1[i];
        b1 += v * w1[i];
        a2 += u * w2[i];
        b2 += v * w2[i];
        a3 += u * w3[i];
        b3 += v * w3[i];
    }
    out[0] = a0;
    out[1] = b0;
    out[stride] = a1;
    out[stride + 1] = b1;
    out[2 * stride] = a2;
    out[2 * stride + 1] = b2;
    out[3 * stride] = a3;
    out[3 * stride + 1] = b3;
}

void kpu_dot_run(int32_t *acc, size_t acc_stride, const int16_t *x, const int16_t *w, size_t icp,
                 size_t n)
{
    for (size_t p = 0; p + 1 < n; p += 2)
        dot4x2(acc + p, acc_stride, x + p * icp, x + (p + 1) * icp, w, icp);
}
