/* Dense 1x1 convolutions with 8-bit weights as int16 dot products (kpu_conv.c uses them).
 *
 * The input is repacked pixel-major (HWC) as int16 with the channels padded by zeros to a
 * multiple of 16, and the weights of up to 4 output channels likewise. A pixel's sum
 * S = sum(x * w) is then a dot product over the channels, a reduction compilers turn into
 * widening multiply-adds (pmaddwd on x86, 8 products per instruction); 4 output channels and 2
 * pixels per pass share every load. x and w are 0..255, so every partial sum of a layer the
 * KPU can run (< 1024 * 255 * 255) fits in int32 and the result equals the exact sum. */
#ifndef KPU_CONV_DOT_H
#define KPU_CONV_DOT_H

#include <stddef.h>
#include <stdint.h>

#define KPU_DOT_OUTPUTS 4 /* output channels per pass */

/* Channels padded: ic rounded up to a multiple of 16. */
size_t kpu_dot_padded(uint32_t ic);

/* x[p * icp + c] = planes[c * plane_stride + p] for p < pixels, c < ic; 0 for c >= ic. */
void kpu_dot_pack_input(int16_t *x, const uint8_t *planes, size_t plane_stride, uint32_t ic,
                        size_t icp, size_t pixels);

/* w[j * icp + c] = weight (o0 + j, c) for j < count, c < ic; 0 elsewhere (j < 4). weights is
 * the [oc][ic] uint8 table. */
void kpu_dot_pack_weights(int16_t *w, const uint8_t *weights, uint32_t ic, size_t icp,
                          uint32_t o0, uint32_t count);

/* acc[j * acc_stride + p] = sum over c of x[p * icp + c] * w[j * icp + c] for j < 4, p < n
 * (n even). */
void kpu_dot_run(int32_t *acc, size_t acc_stride, const int16_t *x, const int16_t *w, size_t icp,
                 size_t n);

#endif
