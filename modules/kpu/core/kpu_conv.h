/* One KPU layer in software (spec sections 4.1-4.6): convolution, batch norm, 16-segment
 * activation and pooling, bit-exact to the nncase reference kernels. kpu_conv_prepare checks
 * and decodes a job; kpu_conv_run computes it from a KPU RAM image into the same image. */
#ifndef KPU_CONV_H
#define KPU_CONV_H

#include <stddef.h>
#include <stdint.h>
#include "kpu_act.h"
#include "kpu_backend.h"
#include "kpu_ram_layout.h"
#include "kpu_status.h"

/* Rounding of the activation step and segment choice (mirrors kpu_soft_rounding_t). */
typedef enum kpu_conv_rounding {
    KPU_CONV_ROUND_RNE_BUGGY = 0, /* v0.2 / v1: RNE_buggy, segment with x_start < B */
    KPU_CONV_ROUND_CS = 1,        /* v0.1: carry shift (half up), segment with x_start <= B */
} kpu_conv_rounding_t;

/* A checked, decoded layer. Pointers borrow the job's tables. */
typedef struct kpu_conv_layer {
    uint32_t ic, oc, iw, ih, ow, oh;
    uint32_t k;          /* kernel size, 1 or 3 */
    uint32_t pool_type;  /* 0..9 */
    int depthwise;
    int eight_bit;
    kpu_conv_rounding_t rounding;
    uint8_t pad_value;
    uint8_t shr_x, shr_w;
    int32_t arg_x, arg_w;
    int64_t arg_add;
    uint32_t src_line, dst_line;
    kpu_ram_layout_t in_layout, out_layout;
    const uint8_t *weights; /* [oc][ic][ky][kx] or [c][ky][kx], u8 or u16 LE */
    const uint8_t *bn;      /* oc x 8 bytes */
    kpu_act_t act;
    /* derived geometry of the scratch planes */
    uint32_t pw, ph;        /* padded input plane: (iw + k - 1) x (ih + k - 1) */
    size_t plane_stride;    /* elements per padded plane, a multiple of 16 with slack */
    uint32_t tile_rows;     /* output rows accumulated at a time */
} kpu_conv_layer_t;

/* Checks and decodes a job (arg words, tables, weight width). Returns KPU_ERR_ARGUMENT for
 * missing pointers, KPU_ERR_FORMAT for a layer the KPU cannot run (kernel_type > 1, pool_type
 * > 9, depthwise with IC != OC, output size not the pooled input size), KPU_ERR_BOUNDS for maps
 * outside the 2 MiB RAM or too few weight bytes. bn must hold OC x 8 bytes and act 144 bytes;
 * the caller guarantees those (the job carries no size for them). */
kpu_status_t kpu_conv_prepare(kpu_conv_layer_t *layer, const kpu_conv_job_t *job,
                              kpu_conv_rounding_t rounding, kpu_diag_t *diag);

/* Scratch bytes kpu_conv_run needs for this layer (64-byte aligned blocks inside). */
size_t kpu_conv_scratch_size(const kpu_conv_layer_t *layer);

/* Computes the layer: reads the input map from ram (KPU_RAM_BYTES bytes), writes the output map
 * into ram (only its pixels) and, if stream is not NULL, the compact CHW result into
 * stream[0..stream_size) (bytes past the OC x OH x OW result are set to 0). scratch must be
 * 64-byte aligned and hold kpu_conv_scratch_size bytes. */
void kpu_conv_run(const kpu_conv_layer_t *layer, uint8_t *ram, void *scratch, uint8_t *stream,
                  size_t stream_size);

#endif
