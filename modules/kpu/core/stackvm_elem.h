/* Unaligned little-endian element access for the stackvm tensor functions. */
#ifndef STACKVM_ELEM_H
#define STACKVM_ELEM_H

#include <stdint.h>
#include <string.h>
#include "stackvm.h"

static inline float sv_get_f32(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                 ((uint32_t)p[3] << 24);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void sv_put_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

/* Integer element of datatype dt (sign- or zero-extended). */
static inline int64_t sv_get_i(const uint8_t *p, uint32_t dt)
{
    uint32_t n = v5_dtype_size(dt);
    uint64_t u = 0;
    for (uint32_t i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    switch (dt) {
    case V5_DT_I8: return (int8_t)(uint8_t)u;
    case V5_DT_I16: return (int16_t)(uint16_t)u;
    case V5_DT_I32: return (int32_t)(uint32_t)u;
    default: return (int64_t)u;
    }
}

/* Stores the low bytes of v (C conversion to a narrower integer type wraps). */
static inline void sv_put_i(uint8_t *p, uint32_t dt, int64_t v)
{
    uint32_t n = v5_dtype_size(dt);
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

/* Float to integer toward zero; NaN and out-of-range give INT64_MIN (the x86 result). */
static inline int64_t sv_f32_to_i64(float f)
{
    if (f != f || f >= 9.2233720368547758e18f || f < -9.2233720368547758e18f)
        return INT64_MIN;
    return (int64_t)f;
}

/* Element as float, for f32 or integer tensors. */
static inline float sv_get_as_f32(const uint8_t *p, uint32_t dt)
{
    return dt == V5_DT_F32 ? sv_get_f32(p) : (float)sv_get_i(p, dt);
}

#endif
