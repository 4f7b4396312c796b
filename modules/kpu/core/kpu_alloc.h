/* The caller owns memory: every allocation the core makes goes through this table, so the
 * MicroPython glue can use its system heap, the host can use malloc, and memtest can count. */
#ifndef KPU_ALLOC_H
#define KPU_ALLOC_H

#include <stddef.h>

typedef struct kpu_allocator {
    /* Returns size bytes aligned to align (a power of two <= 256), or NULL. */
    void *(*alloc)(void *ctx, size_t size, size_t align);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} kpu_allocator_t;

#endif
