/* Host allocator on top of malloc: over-allocates to honour the alignment and keeps the raw
 * pointer and the requested size in a small header just below the returned block. */
#include "kpu_alloc_std.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct block_header {
    void *raw;
    size_t size;
} block_header_t;

static void *std_alloc(void *ctx, size_t size, size_t align)
{
    kpu_alloc_std_stats_t *stats = ctx;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (align > 256 || (align & (align - 1)) != 0)
        return NULL;
    if (stats && stats->limit && (size > stats->limit || stats->in_use > stats->limit - size)) {
        stats->failures++;
        return NULL;
    }
    size_t extra = sizeof(block_header_t) + align;
    if (size > SIZE_MAX - extra) {
        if (stats)
            stats->failures++;
        return NULL;
    }
    void *raw = malloc(size + extra);
    if (!raw) {
        if (stats)
            stats->failures++;
        return NULL;
    }
    uintptr_t base = (uintptr_t)raw + sizeof(block_header_t);
    uintptr_t user = (base + align - 1) & ~(uintptr_t)(align - 1);
    block_header_t hdr = {raw, size};
    memcpy((void *)(user - sizeof(block_header_t)), &hdr, sizeof hdr);
    if (stats) {
        stats->in_use += size;
        if (stats->in_use > stats->peak)
            stats->peak = stats->in_use;
        stats->allocs++;
    }
    return (void *)user;
}

static void std_free(void *ctx, void *ptr)
{
    kpu_alloc_std_stats_t *stats = ctx;
    if (!ptr)
        return;
    block_header_t hdr;
    memcpy(&hdr, (const uint8_t *)ptr - sizeof(block_header_t), sizeof hdr);
    if (stats) {
        stats->in_use -= hdr.size;
        stats->frees++;
    }
    free(hdr.raw);
}

kpu_allocator_t kpu_alloc_std(void)
{
    kpu_allocator_t a = {std_alloc, std_free, NULL};
    return a;
}

const kpu_allocator_t *kpu_alloc_std_shared(void)
{
    static const kpu_allocator_t shared = {std_alloc, std_free, NULL}; /* stateless */
    return &shared;
}

kpu_allocator_t kpu_alloc_std_counting(kpu_alloc_std_stats_t *stats)
{
    kpu_allocator_t a = {std_alloc, std_free, stats};
    return a;
}
