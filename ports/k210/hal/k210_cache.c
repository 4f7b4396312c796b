/* D-cache eviction by reading: the 64 KiB from the start of SRAM (the firmware image, which is
 * never a DVP buffer) through the cached alias, twice the cache size. */
#include <stdint.h>
#include "k210_cache.h"

#define EVICT_FROM 0x80000000u
#define EVICT_BYTES (64u * 1024u)
#define LINE 64u

void k210_dcache_evict(void)
{
    uint32_t sum = 0;
    for (uintptr_t a = EVICT_FROM; a < EVICT_FROM + EVICT_BYTES; a += LINE) {
        sum += *(volatile const uint32_t *)a;
    }
    (void)sum;
}
