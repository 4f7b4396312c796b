/* Face feature encode / compare (see face_feature.h). */
#include "face_feature.h"

#include <math.h>

static int8_t encode_one(float f, uint32_t flags)
{
    /* clamp: the lower bound first, written so that NaN also becomes -0.25 */
    if (!(f >= -0.25f))
        f = -0.25f;
    if (f > 0.25f)
        f = 0.25f;
    const int32_t v = (int32_t)(f * 512.0f); /* in [-128, 128]; C truncates toward zero */
    if (v == 128 && (flags & KPU_FACE_ENCODE_SATURATE))
        return 127;
    /* keep the low byte: 128 becomes -128 like MaixPy's byte store */
    return (int8_t)(v == 128 ? -128 : v);
}

kpu_status_t kpu_face_encode(const float *features, size_t n, uint32_t flags, int8_t *out,
                             kpu_diag_t *diag)
{
    if (n > KPU_FACE_FEATURE_MAX)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "feature length %lu > %u",
                            (unsigned long)n, KPU_FACE_FEATURE_MAX);
    if (n != 0 && (features == NULL || out == NULL))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "face_encode: missing buffer");
    for (size_t i = 0; i < n; i++)
        out[i] = encode_one(features[i], flags);
    return KPU_OK;
}

kpu_status_t kpu_face_compare(const int8_t *a, size_t na, const int8_t *b, size_t nb,
                              float *score, kpu_diag_t *diag)
{
    if (na != nb)
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "compare feature must in same dim (%lu != %lu)", (unsigned long)na,
                            (unsigned long)nb);
    if (score == NULL || (na != 0 && (a == NULL || b == NULL)))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1, "face_compare: missing buffer");
    /* |a_i * b_i| <= 16384, so the sums cannot overflow for any length a size_t can hold
     * below 2^49 elements; larger inputs cannot exist in memory next to each other anyway. */
    int64_t dot = 0;
    uint64_t sa = 0, sb = 0;
    for (size_t i = 0; i < na; i++) {
        const int32_t x = a[i], y = b[i];
        dot += (int64_t)(x * y);
        sa += (uint64_t)(x * x);
        sb += (uint64_t)(y * y);
    }
    /* sa and sb are exact in double (< 2^53), so their double product is the exactly rounded
     * integer product: MaixPy's (double)(na * nb), without its 64-bit overflow on long input */
    const double norms = (double)sa * (double)sb;
    const float half_dot = 0.5f * (float)dot; /* (float)dot rounds above 2^24, as MaixPy */
    *score = (float)(((double)half_dot / sqrt(norms) + 0.5) * 100.0);
    return KPU_OK;
}
