/* A malloc-based kpu_allocator_t for hosts (tests, CLI, benchmarks). The core never calls
 * malloc itself; firmware builds leave this file out and pass their own allocator. */
#ifndef KPU_ALLOC_STD_H
#define KPU_ALLOC_STD_H

#include <stddef.h>
#include "kpu_alloc.h"

/* Counters of a counting allocator. limit > 0 makes allocations fail once in_use would exceed
 * it (to test out-of-memory paths). */
typedef struct kpu_alloc_std_stats {
    size_t in_use;    /* bytes currently allocated (as requested) */
    size_t peak;      /* highest in_use */
    size_t allocs;    /* successful allocations */
    size_t frees;     /* frees of non-NULL pointers */
    size_t failures;  /* refused allocations */
    size_t limit;     /* 0: no limit */
} kpu_alloc_std_stats_t;

/* Plain malloc/free allocator without counters. */
kpu_allocator_t kpu_alloc_std(void);
/* The same allocator as one shared constant (it holds no state), for HALs that hand out a
 * pointer. */
const kpu_allocator_t *kpu_alloc_std_shared(void);
/* Same, counting into *stats (which must outlive every allocation made through it). */
kpu_allocator_t kpu_alloc_std_counting(kpu_alloc_std_stats_t *stats);

#endif
