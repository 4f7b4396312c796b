/* The CPU's data cache, for buffers a DMA master (the DVP) writes. */
#ifndef K210_CACHE_H
#define K210_CACHE_H

/* Write back every dirty line of the 32 KiB data cache by reading 64 KiB of other memory, so
 * no line of a buffer just zeroed through the cache is written back over what the DVP writes
 * later (the K210 has no cache maintenance instruction for this). */
void k210_dcache_evict(void);

#endif
