/* The K210 KPU register backend: drives the real accelerator through its registers
 * (kmodel-v3-and-kpu.md section 3.5) behind kpu_backend_t. Needs no Kendryte SDK. */
#ifndef KPU_BACKEND_K210_H
#define KPU_BACKEND_K210_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_backend.h"

#define K210_KPU_REGS_BASE 0x40800000u
#define K210_KPU_RAM_UNCACHED 0x40600000u
#define K210_KPU_RAM_CACHED 0x80600000u
#define K210_SRAM_CACHED_BASE 0x80000000u
#define K210_SRAM_CACHED_END 0x80600000u   /* 6 MiB general SRAM; the KPU RAM follows */
#define K210_UNCACHED_OFFSET 0x40000000u   /* cached 0x80xxxxxx -> uncached 0x40xxxxxx */

/* Delivers the output stream (send_data_out) from the fifo_data_out register to memory. On the
 * K210 this is a DMA with handshake 22 (SYSCTL_DMA_SELECT_AI_RX_REQ); the port supplies it.
 * words: 64-bit words to move. Returns 0 on success. */
typedef int (*kpu_k210_stream_fn)(void *ctx, volatile const uint64_t *fifo, uint64_t *dst,
                                  size_t words, uint32_t timeout_ms);

typedef struct kpu_k210 {
    uintptr_t regs_base;           /* K210_KPU_REGS_BASE (a test can point it at fake memory) */
    uintptr_t ram_base;            /* K210_KPU_RAM_UNCACHED */
    uint64_t (*now_us)(void);      /* monotonic microseconds for timeouts (required) */
    kpu_k210_stream_fn stream;     /* NULL: the CPU reads the FIFO word by word */
    void *stream_ctx;
    /* state of the submitted layer */
    int busy;
    uint8_t *stream_out;
    size_t stream_size;
    uint64_t *stream_buf;          /* scratch of (stream_size + 7) / 8 words, owned by the port */
    size_t stream_buf_words;
} kpu_k210_t;

/* Fills k with the chip's addresses and the port's hooks. */
void kpu_k210_init(kpu_k210_t *k, uint64_t (*now_us)(void), kpu_k210_stream_fn stream,
                   void *stream_ctx, uint64_t *stream_buf, size_t stream_buf_words);
kpu_backend_t kpu_k210_backend(kpu_k210_t *k);

#endif
