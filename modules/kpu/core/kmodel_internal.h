/* Internals shared by the kmodel loader and its containers. Each container version (V3 now;
 * V4 and V5 later) is one kpu_container_t: the version-independent code in kmodel_load.c
 * detects the version, checks arguments and dispatches through this table. */
#ifndef KMODEL_INTERNAL_H
#define KMODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kmodel.h"

typedef struct kpu_container {
    uint32_t version;
    /* Checks the whole file before anything runs; allocates nothing. `swapped`: the file is a
     * word-swapped ("big-endian") copy and must be read through kpu_rd32 with swap set. */
    kpu_status_t (*validate)(const uint8_t *data, size_t size, int swapped, kpu_diag_t *diag);
    /* Builds m->state and main memory for an already validated file in host order (m->data). */
    kpu_status_t (*open)(kpu_model_t *m, kpu_diag_t *diag);
    /* Releases what open allocated (also after a failed open). */
    void (*close)(kpu_model_t *m);
    uint32_t (*layer_count)(const kpu_model_t *m);
    uint32_t (*output_count)(const kpu_model_t *m);
    kpu_status_t (*input_info)(const kpu_model_t *m, kpu_tensor_info_t *info, kpu_diag_t *diag);
    /* last_layer is already resolved and < layer_count. */
    kpu_status_t (*run)(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                        size_t input_size, uint32_t last_layer, kpu_diag_t *diag);
    /* i < output_count. */
    kpu_status_t (*output)(const kpu_model_t *m, uint32_t i, const uint8_t **data, size_t *size,
                           kpu_dtype_t *dtype, kpu_diag_t *diag);
    /* layer < layer_count for the three below. */
    kpu_status_t (*layer_info)(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                               kpu_diag_t *diag);
    kpu_status_t (*layer_output_info)(const kpu_model_t *m, uint32_t layer,
                                      kpu_tensor_info_t *info, kpu_diag_t *diag);
    kpu_status_t (*read_layer_output)(const kpu_model_t *m, const kpu_backend_t *backend,
                                      uint32_t layer, int32_t channel, void *dst, size_t dst_size,
                                      size_t *copied, kpu_diag_t *diag);
} kpu_container_t;

/* load_flash mode (kpu_api): K210_CONV bodies of the resident file are in the compact
 * "external blocks" form (kmodel_v3.h, KPU_V3_CONV_EXTERNAL) and each layer's weights,
 * batch-norm and activation blocks are fetched through this hook just before it runs. */
typedef struct kpu_conv_blocks {
    uint32_t weights_off, weights_size;  /* offsets in the original file, bytes available */
    uint32_t bn_off, bn_size;
    uint32_t act_off;                    /* 144 bytes */
    const uint8_t *weights, *bn, *act;   /* set by fetch; valid until the next fetch */
} kpu_conv_blocks_t;

typedef struct kpu_conv_stream {
    kpu_status_t (*fetch)(void *ctx, uint32_t layer, kpu_conv_blocks_t *blocks, kpu_diag_t *diag);
    void *ctx;
} kpu_conv_stream_t;

/* The V3 container (kmodel_v3.c). V4/V5 containers are added next to it in kmodel_load.c. */
extern const kpu_container_t kpu_container_v3;
/* The V5 container (kmodel_v5.c and the stackvm / k210 files, stackvm.h). */
extern const kpu_container_t kpu_container_v5;
/* The V4 container (kmodel_v4*.c and the v4_*.c node files, v4_internal.h). */
extern const kpu_container_t kpu_container_v4;

struct kpu_model {
    const kpu_container_t *container;
    kpu_allocator_t alloc;
    const uint8_t *data;      /* the file in host (little-endian) word order */
    size_t size;
    uint8_t *copy;            /* owned copy of the file (KPU_LOAD_COPY or conversion), or NULL */
    uint8_t *main_mem;        /* main memory (8-byte rounded, zeroed at load) */
    size_t main_size;         /* bytes of main_mem */
    size_t held;              /* bytes allocated for this model, struct included */
    int32_t last_run;         /* last layer of the previous successful run, or -1 */
    void *state;              /* container-specific */
    const kpu_conv_stream_t *stream; /* load_flash mode, else NULL */
};

/* Loads a compact load_flash image (host word order, owned by the caller until kpu_model_free)
 * whose K210_CONV blocks (V3) or kpu_conv2d tables (V4) come from stream. */
/* Checks a V4 load_flash image (kmodel_v4.c): the file's checks, conv tables in flash. */
kpu_status_t kpu_v4_validate_stream(const uint8_t *data, size_t size, kpu_diag_t *diag);
kpu_status_t kpu_model_load_stream(kpu_model_t **out, const uint8_t *data, size_t size,
                                   const kpu_conv_stream_t *stream, const kpu_allocator_t *alloc,
                                   kpu_diag_t *diag);

/* Allocation through the model's allocator, counted in m->held. */
void *kpu_model_alloc(kpu_model_t *m, size_t size, size_t align);
void kpu_model_release(kpu_model_t *m, void *ptr, size_t size);

/* Little-endian reads that never assume alignment; swap reads a word-swapped file. */
static inline uint32_t kpu_rd32(const uint8_t *p, int swap)
{
    if (swap)
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

/* Word at byte pos of a file, little-endian; with swap, as it reads in the file's converted
 * copy (kpu_kmodel_swap_words: whole 4-aligned words byte-reversed, a partial last word left as
 * is). Bodies of hostile files start anywhere, so a swapped word need not be aligned; reading it
 * this way makes validating a word-swapped file see exactly what loading its copy sees. */
static inline uint32_t kpu_rd32_at(const uint8_t *file, size_t file_size, uint64_t pos, int swap)
{
    uint64_t whole = file_size & ~(size_t)3;
    if (!swap || ((pos & 3) == 0 && pos + 4 <= whole))
        return kpu_rd32(file + pos, swap);
    uint32_t v = 0;
    for (uint64_t q = pos + 4; q-- > pos;)
        v = (v << 8) | file[q < whole ? (q & ~(uint64_t)3) + 3 - (q & 3) : q];
    return v;
}

static inline float kpu_rdf32(const uint8_t *p, int swap)
{
    uint32_t u = kpu_rd32(p, swap);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif
