/* The KPU backend interface: the runtime hands each K210_CONV layer to a backend and reads and
 * writes KPU RAM through it. The software KPU (kpu_soft.h) implements it on any CPU; the K210
 * register backend (ports/k210) implements it on the real accelerator. */
#ifndef KPU_BACKEND_H
#define KPU_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_layer_arg.h"
#include "kpu_status.h"

#define KPU_RAM_BYTES (2u * 1024u * 1024u)
#define KPU_RAM_LINES 32768u
#define KPU_RAM_LINE_BYTES 64u

/* One KPU layer as the runtime submits it. The tables live in the model buffer. */
typedef struct kpu_conv_job {
    uint64_t arg[KPU_LAYER_ARG_WORDS]; /* as stored in the model (table addresses not patched) */
    const uint8_t *weights;            /* [oc][ic][ky][kx] or [c][ky][kx]; u8, or u16 LE */
    size_t weights_size;               /* bytes available at weights */
    const uint8_t *bn;                 /* OC x 8 bytes, kpu_batchnorm_argument_t */
    const uint8_t *act;                /* 144 bytes, kpu_activate_table_t */
    int eight_bit;                     /* 1: 8-bit weights; 0: 16-bit weights */
    uint8_t *stream_out;               /* send_data_out destination (compact CHW), or NULL */
    size_t stream_size;                /* bytes to deliver there: dma_total_byte + 1 */
} kpu_conv_job_t;

typedef struct kpu_backend_ops {
    const char *name;
    /* Starts one layer. The backend may finish it before returning (software) or later. */
    kpu_status_t (*submit)(void *self, const kpu_conv_job_t *job, kpu_diag_t *diag);
    /* Waits until the submitted layer is done (result in KPU RAM and stream_out). */
    kpu_status_t (*wait)(void *self, uint32_t timeout_ms, kpu_diag_t *diag);
    /* Byte access to KPU RAM (offset in bytes from line 0; offset + n <= KPU_RAM_BYTES). */
    kpu_status_t (*ram_read)(void *self, size_t offset, void *dst, size_t n);
    kpu_status_t (*ram_write)(void *self, size_t offset, const void *src, size_t n);
} kpu_backend_ops_t;

typedef struct kpu_backend {
    const kpu_backend_ops_t *ops;
    void *self;
} kpu_backend_t;

#endif
