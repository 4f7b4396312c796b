/* K210 KPU register backend (spec kmodel-v3-and-kpu.md 3.4, 3.5, 7.2, 7.3).
 *
 * Completion is polled (interrupt_raw.calc_done) with a timeout instead of the PLIC interrupt
 * kpu.c uses: MicroPython calls block anyway, and polling needs no interrupt plumbing. Written
 * from the register description only; it has not yet run on silicon (no board here). */
#include <string.h>
#include "kpu_backend_k210.h"

enum {
    REG_LAYER_ARGUMENT_FIFO = 0x00 / 8,
    REG_INTERRUPT_STATUS = 0x08 / 8,
    REG_INTERRUPT_RAW = 0x10 / 8,
    REG_INTERRUPT_MASK = 0x18 / 8,
    REG_INTERRUPT_CLEAR = 0x20 / 8,
    REG_FIFO_THRESHOLD = 0x28 / 8,
    REG_FIFO_DATA_OUT = 0x30 / 8,
    REG_FIFO_CTRL = 0x38 / 8,
    REG_EIGHT_BIT_MODE = 0x40 / 8,
};

#define INT_CALC_DONE 1u
#define INT_ALL 7u

static volatile uint64_t *regs(const kpu_k210_t *k) { return (volatile uint64_t *)k->regs_base; }

/* The KPU's DMA reads tables through the uncached alias: cached 0x80xxxxxx - 0x40000000. */
static int table_address(const void *p, size_t n, uint32_t *out)
{
    uintptr_t a = (uintptr_t)p;
    if (a < K210_SRAM_CACHED_BASE || a >= K210_SRAM_CACHED_END || n > K210_SRAM_CACHED_END - a)
        return 0;
    *out = (uint32_t)(a - K210_UNCACHED_OFFSET);
    return 1;
}

static kpu_status_t k210_submit(void *self, const kpu_conv_job_t *job, kpu_diag_t *diag)
{
    kpu_k210_t *k = self;
    kpu_layer_arg_t a;
    uint8_t bytes[KPU_LAYER_ARG_BYTES];
    for (int w = 0; w < KPU_LAYER_ARG_WORDS; w++)
        for (int b = 0; b < 8; b++)
            bytes[8 * w + b] = (uint8_t)(job->arg[w] >> (8 * b));
    kpu_layer_arg_decode(bytes, &a);
    size_t bn_size = (size_t)kpu_arg_oc(&a) * 8u;
    uint32_t weights_addr, bn_addr, act_addr;
    if (!table_address(job->weights, job->weights_size, &weights_addr) ||
        !table_address(job->bn, bn_size, &bn_addr) || !table_address(job->act, 144, &act_addr))
        return kpu_diag_set(diag, KPU_ERR_ARGUMENT, -1,
                            "KPU tables must be in cached SRAM 0x80000000-0x805fffff");
    if (job->stream_out != NULL && (job->stream_size + 7u) / 8u > k->stream_buf_words)
        return kpu_diag_set(diag, KPU_ERR_NO_MEMORY, -1, "output stream larger than its buffer");
    if (k->busy)
        return kpu_diag_set(diag, KPU_ERR_STATE, -1, "KPU busy: wait for the previous layer");

    uint64_t w[KPU_LAYER_ARG_WORDS];
    memcpy(w, job->arg, sizeof w);
    /* patch the table addresses the runtime would (spec 3.4) */
    w[4] = (w[4] & 0x00000000ffffffffull) | ((uint64_t)bn_addr << 32);
    w[5] = (w[5] & 0x00000000ffffffffull) | ((uint64_t)weights_addr << 32);
    w[7] = (w[7] & 0x00000000ffffffffull) | ((uint64_t)act_addr << 32);
    w[0] |= 1u; /* int_en: raise calc_done so polling sees the end of this layer */
    if (job->stream_out != NULL)
        w[11] |= 1u;
    else
        w[11] &= ~1ull;

    volatile uint64_t *r = regs(k);
    r[REG_INTERRUPT_CLEAR] = INT_ALL;
    r[REG_INTERRUPT_MASK] = INT_ALL;              /* polled: no CPU interrupt */
    r[REG_FIFO_THRESHOLD] = 10u | (1u << 4);      /* full 10, empty 1, as kpu.c */
    r[REG_EIGHT_BIT_MODE] = job->eight_bit ? 1u : 0u;
    for (int i = 0; i < KPU_LAYER_ARG_WORDS; i++)
        r[REG_LAYER_ARGUMENT_FIFO] = w[i];
    k->busy = 1;
    k->stream_out = job->stream_out;
    k->stream_size = job->stream_out != NULL ? job->stream_size : 0;
    return KPU_OK;
}

static kpu_status_t k210_wait(void *self, uint32_t timeout_ms, kpu_diag_t *diag)
{
    kpu_k210_t *k = self;
    if (!k->busy)
        return KPU_OK;
    volatile uint64_t *r = regs(k);
    uint64_t start = k->now_us();
    uint64_t limit = (uint64_t)timeout_ms * 1000u;
    if (k->stream_out != NULL) {
        size_t words = (k->stream_size + 7u) / 8u;
        if (k->stream != NULL) {
            if (k->stream(k->stream_ctx, &r[REG_FIFO_DATA_OUT], k->stream_buf, words, timeout_ms)) {
                k->busy = 0;
                return kpu_diag_set(diag, KPU_ERR_TIMEOUT, -1, "KPU output stream timed out");
            }
        } else {
            for (size_t i = 0; i < words; i++)
                k->stream_buf[i] = r[REG_FIFO_DATA_OUT];
        }
        memcpy(k->stream_out, k->stream_buf, k->stream_size);
    }
    while ((r[REG_INTERRUPT_RAW] & INT_CALC_DONE) == 0) {
        if (k->now_us() - start > limit) {
            k->busy = 0;
            r[REG_INTERRUPT_CLEAR] = INT_ALL;
            return kpu_diag_set(diag, KPU_ERR_TIMEOUT, -1, "KPU did not finish within %lu ms",
                                (unsigned long)timeout_ms);
        }
    }
    r[REG_INTERRUPT_CLEAR] = INT_ALL;
    k->busy = 0;
    return KPU_OK;
}

static kpu_status_t k210_ram_read(void *self, size_t offset, void *dst, size_t n)
{
    kpu_k210_t *k = self;
    if (offset > KPU_RAM_BYTES || n > KPU_RAM_BYTES - offset)
        return KPU_ERR_BOUNDS;
    memcpy(dst, (const void *)(k->ram_base + offset), n);
    return KPU_OK;
}

static kpu_status_t k210_ram_write(void *self, size_t offset, const void *src, size_t n)
{
    kpu_k210_t *k = self;
    if (offset > KPU_RAM_BYTES || n > KPU_RAM_BYTES - offset)
        return KPU_ERR_BOUNDS;
    memcpy((void *)(k->ram_base + offset), src, n);
    return KPU_OK;
}

static const kpu_backend_ops_t k210_ops = {
    "k210", k210_submit, k210_wait, k210_ram_read, k210_ram_write,
};

void kpu_k210_init(kpu_k210_t *k, uint64_t (*now_us)(void), kpu_k210_stream_fn stream,
                   void *stream_ctx, uint64_t *stream_buf, size_t stream_buf_words)
{
    memset(k, 0, sizeof *k);
    k->regs_base = K210_KPU_REGS_BASE;
    k->ram_base = K210_KPU_RAM_UNCACHED;
    k->now_us = now_us;
    k->stream = stream;
    k->stream_ctx = stream_ctx;
    k->stream_buf = stream_buf;
    k->stream_buf_words = stream_buf_words;
}

kpu_backend_t kpu_k210_backend(kpu_k210_t *k)
{
    kpu_backend_t b = {&k210_ops, k};
    return b;
}
