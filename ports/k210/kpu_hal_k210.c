/* The KPU module's platform (modules/kpu/mp/kpu_hal.h) on the K210: models are read from the
 * SPI flash through SPI3 and held in the system heap (malloc, outside MicroPython's GC heap);
 * forward runs on the KPU registers (ports/k210/kpu) with CLINT time for the timeout. Plain C:
 * no MicroPython headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "k210_flash.h"
#include "k210_time.h"
#include "kpu_backend_k210.h"
#include "kpu_alloc_std.h"
#include "kpu_hal.h"

#ifndef MAIXKPU_K210_STREAM_BYTES
#define MAIXKPU_K210_STREAM_BYTES (256u * 1024u) /* largest send_data_out of one layer */
#endif

extern char __heap_start[];
extern char __heap_end[];

static int flash_read(void *ctx, uint32_t addr, void *dst, size_t n)
{
    (void)ctx;
    return k210_flash_read(addr, dst, n);
}

static const kpu_flash_t k210_flash = {flash_read, NULL};

const kpu_flash_t *kpu_hal_flash(void)
{
    return &k210_flash;
}

/* models live in the C heap (outside MicroPython's GC heap), through the core's malloc
 * allocator */
const kpu_allocator_t *kpu_hal_allocator(void)
{
    return kpu_alloc_std_shared();
}

size_t kpu_hal_sys_heap_free(size_t held)
{
    size_t total = (size_t)(__heap_end - __heap_start);
    return held < total ? total - held : 0;
}

const char *kpu_hal_strerror(int err)
{
    return strerror(err);
}

static kpu_k210_t k210_kpu;
static kpu_backend_t k210_backend;
static uint64_t *k210_stream_buf;

kpu_status_t kpu_hal_k210_backend(const kpu_backend_t **out, kpu_diag_t *diag)
{
    if (k210_stream_buf == NULL) {
        size_t words = (MAIXKPU_K210_STREAM_BYTES + 7u) / 8u;
        const kpu_allocator_t *heap = kpu_hal_allocator();
        k210_stream_buf = heap->alloc(heap->ctx, words * 8u, 64);
        if (k210_stream_buf == NULL) {
            return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1,
                                "no memory for the KPU output stream buffer (%lu bytes)",
                                (unsigned long)(words * 8u));
        }
        kpu_k210_init(&k210_kpu, k210_time_us, NULL, NULL, k210_stream_buf, words);
        k210_backend = kpu_k210_backend(&k210_kpu);
    }
    *out = &k210_backend;
    return KPU_OK;
}
