/* Face feature encoding and comparison, bit for bit as MaixPy's KPU.face_encode / face_compare
 * (spec maixpy-kpu-api.md sections 4.14 and 9), so features users stored with MaixPy compare
 * the same here. Portable C99, no state, no allocation. */
#ifndef FACE_FEATURE_H
#define FACE_FEATURE_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_status.h"

/* MaixPy's limit on the feature length (its error text wrongly says 200). */
#define KPU_FACE_FEATURE_MAX 512u

/* Encode flags. */
#define KPU_FACE_ENCODE_MAIXPY   0u /* exact MaixPy bytes: f >= 0.25 gives 128, stored as -128 */
#define KPU_FACE_ENCODE_SATURATE 1u /* f >= 0.25 gives 127 instead (not MaixPy-compatible) */

/* Encodes n floats to n int8: clamp to [-0.25, 0.25], times 512, truncate toward zero, keep the
 * low byte. NaN clamps to -0.25 (like RISC-V fmax) and gives -128 in both modes. By default
 * (KPU_FACE_ENCODE_MAIXPY) the upper clamp value 0.25 gives 128, which wraps to -128: a MaixPy
 * quirk kept because stored features contain it. n > KPU_FACE_FEATURE_MAX: KPU_ERR_ARGUMENT. */
kpu_status_t kpu_face_encode(const float *features, size_t n, uint32_t flags, int8_t *out,
                             kpu_diag_t *diag);

/* Similarity score of two int8 features, 50 * (1 + cosine), in 0..100, computed like MaixPy:
 * 64-bit integer dot product and squared norms, then
 * (float)(((double)(0.5f * (float)dot) / sqrt((double)(na * nb)) + 0.5) * 100.0).
 * An all-zero vector gives 0 / 0 = NaN, as in MaixPy (kept: a caller can test for it, and any
 * number would claim a similarity that was never measured). na * nb is formed in double (the
 * same value while it fits in 64 bits, i.e. below 2^18 elements; MaixPy would overflow beyond
 * that). Different lengths:
 * KPU_ERR_ARGUMENT ("compare feature must in same dim"). No length limit otherwise. */
kpu_status_t kpu_face_compare(const int8_t *a, size_t na, const int8_t *b, size_t nb,
                              float *score, kpu_diag_t *diag);

#endif
