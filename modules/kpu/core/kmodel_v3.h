/* Internals of the V3 container (spec kmodel-v3-and-kpu.md sections 1, 2, 6, 7): the parsed
 * header and layer table, and the description every layer gets from its body. */
#ifndef KMODEL_V3_H
#define KMODEL_V3_H

#include <stddef.h>
#include <stdint.h>
#include "kmodel_internal.h"

#define KPU_V3_HEADER_BYTES 28u
#define KPU_V3_CONV_TIMEOUT_MS 5000u

typedef struct kpu_v3_header {
    uint32_t version, flags, arch, layers_length, max_start_address, main_mem_usage, output_count;
} kpu_v3_header_t;

typedef struct kpu_v3_layer {
    uint32_t type;
    uint32_t body_size;      /* as declared */
    uint64_t body_offset;    /* from the start of the file */
    uint32_t body_avail;     /* bytes of the body present in the file (final one may be short) */
} kpu_v3_layer_t;

typedef struct kpu_v3_state {
    kpu_v3_header_t hdr;
    kpu_v3_layer_t *layers;
} kpu_v3_state_t;

/* Compact K210_CONV body of a load_flash image: flags word bit 31 set, words 3..5 are offsets
 * of the weights, BN and activation blocks in the original file, words 6 and 7 the weights and
 * BN bytes available there; the layer argument stays resident at word 2's offset. Such bodies
 * are refused unless the model has a stream (kpu_model_load_stream). */
#define KPU_V3_CONV_EXTERNAL 0x80000000u
#define KPU_V3_CONV_EXTERNAL_BODY 32u

/* One layer body as the validators and CPU kernels see it. */
typedef struct kpu_v3_body {
    const uint8_t *file;     /* start of the file (absolute offsets in K210_CONV bodies) */
    uint64_t offset;         /* body offset in the file */
    uint32_t size;           /* bytes present (never past the end of the file) */
    int swap;                /* the file is word-swapped (validation of big-endian files) */
    size_t file_size;        /* the whole file's bytes (swapped reads, kpu_rd32_at) */
} kpu_v3_body_t;

enum { KPU_V3_SPACE_NONE = 0, KPU_V3_SPACE_MAIN = 1, KPU_V3_SPACE_KPU = 2 };

/* What a layer produces and which memory it writes, derived from its (validated) body. */
typedef struct kpu_v3_desc {
    kpu_tensor_info_t out;       /* output shape (1 where absent), element type, bytes */
    uint32_t wi, hi, chi;        /* input shape where the body has one, else 0 */
    int out_space;               /* where the output can be read */
    uint64_t out_main;           /* main-memory offset (out_space MAIN) */
    uint32_t out_line;           /* KPU RAM line of a W x H x C map (out_space KPU) */
    uint64_t wr_main, wr_main_size;  /* main-memory bytes the layer writes */
    uint64_t wr_kpu, wr_kpu_size;    /* KPU RAM bytes the layer writes */
} kpu_v3_desc_t;

/* Word i of a body (the caller has checked 4 * i + 4 <= size). */
static inline uint32_t kpu_v3_word(const kpu_v3_body_t *b, uint32_t i)
{
    return kpu_rd32_at(b->file, b->file_size, b->offset + 4u * i, b->swap);
}

/* a * b, saturating at UINT64_MAX (sizes from hostile files must not wrap). */
static inline uint64_t kpu_v3_mul(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static inline uint64_t kpu_v3_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Validates one body of any known type against the file and a main memory of main_size bytes
 * and describes it. header_flags is the header's flags word (bit 0: 8-bit weights). */
kpu_status_t kpu_v3_describe(uint32_t type, const kpu_v3_body_t *b, uint32_t header_flags,
                             uint64_t main_size, kpu_v3_desc_t *d, kpu_diag_t *diag, int32_t layer);

/* Body view of layer i of an open model. */
kpu_v3_body_t kpu_v3_body(const kpu_model_t *m, uint32_t i);

/* Validation of a compact load_flash image (external K210_CONV bodies allowed). */
kpu_status_t kpu_v3_validate_stream(const uint8_t *data, size_t size, kpu_diag_t *diag);

/* kmodel_v3_run.c */
kpu_status_t kpu_v3_run(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                        size_t input_size, uint32_t last_layer, kpu_diag_t *diag);
kpu_status_t kpu_v3_input_info(const kpu_model_t *m, kpu_tensor_info_t *info, kpu_diag_t *diag);
kpu_status_t kpu_v3_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                      uint32_t layer, int32_t channel, void *dst,
                                      size_t dst_size, size_t *copied, kpu_diag_t *diag);

#endif
