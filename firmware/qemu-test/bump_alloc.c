#include <stdint.h>
#include "bump_alloc.h"

extern uint8_t __heap_start[], __heap_end[];

typedef struct bump {
    uintptr_t next, last;
} bump_t;

static bump_t heap_state; /* the only mutable global: the bare-metal program owns one heap */

static void *bump_alloc_fn(void *ctx, size_t size, size_t align)
{
    bump_t *b = ctx;
    if (b->next == 0)
        b->next = (uintptr_t)__heap_start;
    if (align < 8)
        align = 8;
    uintptr_t p = (b->next + align - 1) & ~(uintptr_t)(align - 1);
    if (p > (uintptr_t)__heap_end || size > (uintptr_t)__heap_end - p)
        return NULL;
    b->last = p;
    b->next = p + size;
    return (void *)p;
}

static void bump_free_fn(void *ctx, void *ptr)
{
    bump_t *b = ctx;
    if (ptr != NULL && (uintptr_t)ptr == b->last) {
        b->next = b->last;
        b->last = 0;
    }
}

kpu_allocator_t bump_allocator(void)
{
    kpu_allocator_t a = {bump_alloc_fn, bump_free_fn, &heap_state};
    return a;
}

size_t bump_allocated(void)
{
    return heap_state.next ? heap_state.next - (uintptr_t)__heap_start : 0;
}
