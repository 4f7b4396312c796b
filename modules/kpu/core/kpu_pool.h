/* KPU pooling (spec section 4.5): applied per output channel to the W x H activation plane. */
#ifndef KPU_POOL_H
#define KPU_POOL_H

#include <stdint.h>

#define KPU_POOL_TYPES 10u

/* Stride (= output size divisor) of a pool type: 1, 2 or 4; 0 for a type outside 0..9. */
uint32_t kpu_pool_stride(uint32_t pool_type);

/* Pools the w x h plane `in` into the (w / s) x (h / s) plane `out` (s = the stride; both sizes
 * at least 1 after the division). pool_type must be 0..9; out must not overlap in. */
void kpu_pool_plane(uint32_t pool_type, const uint8_t *in, uint32_t w, uint32_t h, uint8_t *out);

#endif
