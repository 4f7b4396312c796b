/* The software KPU: a bit-exact model of the K210 KPU (spec sections 4 and 5) behind the
 * kpu_backend_t interface. It owns a 2 MiB KPU RAM image and scratch space from the allocator. */
#ifndef KPU_SOFT_H
#define KPU_SOFT_H

#include "kpu_alloc.h"
#include "kpu_backend.h"

typedef enum kpu_soft_rounding {
    KPU_ROUND_V02 = 0,  /* nncase v0.2 / v1 kernels: RNE_buggy, segment x_start < B (default) */
    KPU_ROUND_V01 = 1,  /* nncase v0.1 emulator: CS (round half up), segment x_start <= B */
} kpu_soft_rounding_t;

typedef struct kpu_soft kpu_soft_t; /* opaque */

/* Creates a software KPU; its KPU RAM starts zeroed. */
kpu_status_t kpu_soft_create(kpu_soft_t **out, const kpu_allocator_t *alloc,
                             kpu_soft_rounding_t rounding);
void kpu_soft_destroy(kpu_soft_t *soft);
kpu_backend_t kpu_soft_backend(kpu_soft_t *soft);
void kpu_soft_set_rounding(kpu_soft_t *soft, kpu_soft_rounding_t rounding);
/* Direct view of the 2 MiB KPU RAM (tests and debugging). */
uint8_t *kpu_soft_ram(kpu_soft_t *soft);
/* Bytes this instance holds (RAM image + scratch). */
size_t kpu_soft_memory(const kpu_soft_t *soft);

#endif
