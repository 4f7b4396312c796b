/* Public API of the kmodel runtime: load (validate everything first), run all layers or up to a
 * layer, read outputs and feature maps, describe layers. Portable C99, no global state. */
#ifndef KMODEL_H
#define KMODEL_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_alloc.h"
#include "kpu_backend.h"
#include "kpu_status.h"

typedef struct kpu_model kpu_model_t; /* opaque */

typedef enum kpu_dtype {
    KPU_DTYPE_UINT8 = 0,
    KPU_DTYPE_FLOAT32 = 1,
} kpu_dtype_t;

/* V3 layer types (spec 2.5); V4/V5 models describe their KPU layers with K210_CONV too. */
enum {
    KL_INVALID = 0, KL_ADD = 1, KL_QUANTIZED_ADD = 2, KL_GLOBAL_MAX_POOL2D = 3,
    KL_QUANTIZED_GLOBAL_MAX_POOL2D = 4, KL_GLOBAL_AVERAGE_POOL2D = 5,
    KL_QUANTIZED_GLOBAL_AVERAGE_POOL2D = 6, KL_MAX_POOL2D = 7, KL_QUANTIZED_MAX_POOL2D = 8,
    KL_AVERAGE_POOL2D = 9, KL_QUANTIZED_AVERAGE_POOL2D = 10, KL_QUANTIZE = 11,
    KL_DEQUANTIZE = 12, KL_REQUANTIZE = 13, KL_L2_NORMALIZATION = 14, KL_SOFTMAX = 15,
    KL_CONCAT = 16, KL_QUANTIZED_CONCAT = 17, KL_FULLY_CONNECTED = 18,
    KL_QUANTIZED_FULLY_CONNECTED = 19, KL_TENSORFLOW_FLATTEN = 20,
    KL_QUANTIZED_TENSORFLOW_FLATTEN = 21, KL_RESIZE_NEAREST_NEIGHBOR = 22,
    KL_QUANTIZED_RESIZE_NEAREST_NEIGHBOR = 23, KL_CHANNELWISE_DEQUANTIZE = 24, KL_LOGISTIC = 25,
    KL_K210_CONV = 10240, KL_K210_ADD_PADDING = 10241, KL_K210_REMOVE_PADDING = 10242,
    KL_K210_UPLOAD = 10243,
};

/* Name without the "KL_" prefix ("K210_CONV"), or NULL for an unknown type. */
const char *kpu_layer_type_name(uint32_t type);

/* Load flags. */
#define KPU_LOAD_CONVERT_BIG_ENDIAN 1u /* accept a word-swapped V3 file by converting a copy */
#define KPU_LOAD_COPY               2u /* copy the file into memory owned by the model */

/* Validates the whole file, then creates a model with its main memory. Unless the model made a
 * copy (flags), data must stay valid and unchanged until kpu_model_free. */
kpu_status_t kpu_model_load(kpu_model_t **out, const uint8_t *data, size_t size, uint32_t flags,
                            const kpu_allocator_t *alloc, kpu_diag_t *diag);
/* Validation only (same checks as load, no allocation beyond a constant). */
kpu_status_t kpu_model_validate(const uint8_t *data, size_t size, uint32_t flags, kpu_diag_t *diag);
void kpu_model_free(kpu_model_t *m);

/* Container version from the first bytes (3, 4, 5), or 0 if not a kmodel. Sets *big_endian
 * when the file is a word-swapped V3 file. Needs at least 8 bytes. */
uint32_t kpu_kmodel_version(const uint8_t *data, size_t size, int *big_endian);
/* Byte-swaps every 32-bit word in place (size rounded down to 4): LE <-> "BE" (model_le2be). */
void kpu_kmodel_swap_words(uint8_t *data, size_t size);

uint32_t kpu_model_version(const kpu_model_t *m);
uint32_t kpu_model_layer_count(const kpu_model_t *m);
/* Bytes the model holds (main memory + copies + tables), and main memory alone. */
size_t kpu_model_memory(const kpu_model_t *m);
size_t kpu_model_main_memory(const kpu_model_t *m);

/* A tensor's shape as MaixPy reports it: w, h, c (1 where absent) and the element type. */
typedef struct kpu_tensor_info {
    uint32_t w, h, c;
    kpu_dtype_t dtype;
    size_t size;              /* bytes */
} kpu_tensor_info_t;

/* The model input: uint8 planar (K210_CONV first) or float32 (FULLY_CONNECTED first). */
kpu_status_t kpu_model_input_info(const kpu_model_t *m, kpu_tensor_info_t *info, kpu_diag_t *diag);

/* Runs layers 0..last_layer (last_layer < 0: all) on input (size must equal the input size).
 * Afterwards the outputs and the feature map of last_layer (and of earlier layers whose memory
 * was not reused) can be read. The backend is only borrowed for the call. */
kpu_status_t kpu_model_run(kpu_model_t *m, const kpu_backend_t *backend, const void *input,
                           size_t input_size, int32_t last_layer, kpu_diag_t *diag);
/* Index of the last layer the previous run computed, or -1 if the model has not run. */
int32_t kpu_model_last_run_layer(const kpu_model_t *m);

uint32_t kpu_model_output_count(const kpu_model_t *m);
/* Output i: a pointer into the model's main memory, its size in bytes and element type. The
 * data is only meaningful after a run that reached the layer writing it. */
kpu_status_t kpu_model_output(const kpu_model_t *m, uint32_t i, const uint8_t **data, size_t *size,
                              kpu_dtype_t *dtype, kpu_diag_t *diag);

/* Per-layer description for netinfo. For non-conv layers the KPU fields are 0 except what the
 * layer defines (wi..cho from its shapes where it has them). */
typedef struct kpu_layer_info {
    uint32_t index;
    uint32_t type;
    uint32_t wi, hi, chi, wo, ho, cho;
    uint32_t dw, kernel_type, pool_type, para_size;
    uint32_t body_offset, body_size;  /* where the layer lives in the file (V3) */
    uint32_t flags;                   /* body flags word (V3) */
} kpu_layer_info_t;
kpu_status_t kpu_model_layer_info(const kpu_model_t *m, uint32_t layer, kpu_layer_info_t *info,
                                  kpu_diag_t *diag);

/* Shape of a layer's output (K210_CONV: OW x OH x OC uint8; CPU layers: from their bodies). */
kpu_status_t kpu_model_layer_output_info(const kpu_model_t *m, uint32_t layer,
                                         kpu_tensor_info_t *info, kpu_diag_t *diag);
/* Copies a computed layer output: channel < 0 gives the whole compact CHW tensor, channel >= 0
 * one W x H plane. The layer must be <= the last layer of the previous run, and no later layer
 * of that run may have written over the memory holding it (else KPU_ERR_STATE). Maps in KPU RAM
 * are read through backend (may be NULL for outputs in main memory). dst_size must be at
 * least the bytes copied; *copied receives them. */
kpu_status_t kpu_model_read_layer_output(const kpu_model_t *m, const kpu_backend_t *backend,
                                         uint32_t layer, int32_t channel, void *dst,
                                         size_t dst_size, size_t *copied, kpu_diag_t *diag);

#endif
