/* MaixPy's KPU module logic over the kmodel runtime (spec maixpy-kpu-api.md): the "net" that
 * KPU.load / load_flash return, with MaixPy's limits, codes and feature-map descriptors, so the
 * MicroPython glue and the CPython module call the same functions. Portable C99, no global
 * state: module-wide figures live in a kpu_api_t the caller owns.
 *
 * Differences from MaixPy, all deliberate:
 *  - no limit of 5 models (MaixPy's 2009): nets are limited by memory only (2006);
 *  - forward with an end layer computes layers 0..end_layer and describes that layer's map
 *    (MaixPy's doc meaning; its firmware read an output index there);
 *  - the fmap of a non-K210_CONV layer has w = element count (MaixPy: byte count);
 *  - set_layers may stop after any layer, also K210_ADD_PADDING / K210_UPLOAD;
 *  - every detection is returned (MaixPy overflows an array of 10);
 *  - use after kpu_net_deinit is KPU_ERR_STATE, never a crash;
 *  - V4 nets run without set_outputs (no 2013): output shapes come from the graph
 *    (kpu_v4_output_info); a set_outputs shape, still checked, overrides them. */
#ifndef KPU_API_H
#define KPU_API_H

#include <stddef.h>
#include <stdint.h>
#include "face_feature.h"
#include "kmodel.h"
#include "yolo2.h"

#define KPU_API_MAX_MODEL_SIZE 0x600000u  /* MaixPy's "model size err" bound (6 MiB) */
#define KPU_API_OUTPUT_SLOTS 16u          /* set_outputs table of a V4 net */

/* Reads n bytes of flash at addr into dst; returns 0 on success. */
typedef int (*kpu_flash_read_fn)(void *ctx, uint32_t addr, void *dst, size_t n);

typedef struct kpu_flash {
    kpu_flash_read_fn read;
    void *ctx;
} kpu_flash_t;

/* Module-wide state: where nets get memory and what they hold (memtest). */
typedef struct kpu_api {
    kpu_allocator_t alloc;   /* every net allocation goes through here */
    size_t held;             /* bytes held by all live nets (requested sizes) */
    size_t peak;             /* highest held */
    uint32_t nets;           /* nets not yet destroyed */
    uint32_t max_model_size; /* 0 after init means KPU_API_MAX_MODEL_SIZE */
} kpu_api_t;

void kpu_api_init(kpu_api_t *api, const kpu_allocator_t *alloc);
/* 1 when this build runs kmodel V4 (selects MaixPy's 2002 text). */
int kpu_api_v4_build(void);
/* MaixPy's "load error" text for a status (kpu_maixpy_code_text of its code). */
const char *kpu_api_error_text(kpu_status_t st);

/* What a model's header says about it, read from flash (spec 6.1 / 6.2). */
typedef struct kpu_flash_model {
    uint32_t version;   /* 3, 4 or 5 */
    int big_endian;     /* word-swapped V3 (load_flash layout) */
    uint32_t size;      /* total bytes from the header tables */
} kpu_flash_model_t;

/* Reads the header at addr and computes the model size: V3 28 + 8*outputs + 8*layers +
 * sum(body_size); V4 40 + 32*inputs + 16*outputs + constants + 8*nodes + sum(body_size).
 * expect_big_endian: 1 for load_flash (a V3 must be word-swapped, a V4 in its original order,
 * V5 is refused), 0 for load (no word-swapped model).
 * Failures: erased flash (all 0xFF) / unknown kind / V5 -> KPU_ERR_VERSION (2002); body_size 0,
 * size 0 or > max_size -> KPU_ERR_FORMAT (2003); read failure -> KPU_ERR_READ (2005). */
kpu_status_t kpu_flash_model_info(const kpu_flash_t *flash, uint32_t addr, int expect_big_endian,
                                  uint32_t max_size, kpu_flash_model_t *info, kpu_diag_t *diag);

typedef struct kpu_net kpu_net_t; /* opaque */

typedef enum kpu_net_source {
    KPU_NET_FROM_FLASH = 0,      /* KPU.load(offset) */
    KPU_NET_FROM_MEMORY = 1,     /* KPU.load(path): the glue read the file */
    KPU_NET_FROM_FLASH_STREAM = 2, /* KPU.load_flash */
} kpu_net_source_t;

/* KPU.load(offset): reads the whole model (size from the header) into net memory. */
kpu_status_t kpu_net_load_flash(kpu_api_t *api, kpu_net_t **out, const kpu_flash_t *flash,
                                uint32_t addr, kpu_diag_t *diag);
/* KPU.load(path): data (a file the glue read) is copied into net memory. */
kpu_status_t kpu_net_load_memory(kpu_api_t *api, kpu_net_t **out, const uint8_t *data,
                                 size_t size, kpu_diag_t *diag);
/* KPU.load_flash: a word-swapped V3 model, or a V4 model in its original byte order, at addr.
 * Only the structure (headers, the layer arguments and CPU layer bodies) stays in memory; each
 * K210_CONV layer's (V4: kpu_conv2d node's) weights, BN and activation blocks are read through
 * flash (in batch_size chunks, 0 = whole blocks) into one buffer, or into two alternating ones
 * with dual_buf, just before the layer runs. flash must stay valid while the net lives. */
kpu_status_t kpu_net_load_flash_stream(kpu_api_t *api, kpu_net_t **out, const kpu_flash_t *flash,
                                       uint32_t addr, int dual_buf, uint32_t batch_size,
                                       kpu_diag_t *diag);
/* KPU.deinit: frees the model and everything else now; later calls give KPU_ERR_STATE. */
void kpu_net_deinit(kpu_net_t *net);
/* Finaliser: deinit plus the net itself. */
void kpu_net_destroy(kpu_net_t *net);

int kpu_net_loaded(const kpu_net_t *net);
kpu_net_source_t kpu_net_source(const kpu_net_t *net);
uint32_t kpu_net_model_addr(const kpu_net_t *net);   /* flash address (0 for memory loads) */
uint32_t kpu_net_model_size(const kpu_net_t *net);   /* bytes of the model file */
uint32_t kpu_net_version(const kpu_net_t *net);      /* 0 after deinit */
uint32_t kpu_net_layer_count(const kpu_net_t *net);  /* MaixPy's max_layers */
uint32_t kpu_net_output_count(const kpu_net_t *net);
size_t kpu_net_memory(const kpu_net_t *net);         /* bytes this net holds now */
kpu_status_t kpu_net_input_info(const kpu_net_t *net, kpu_tensor_info_t *info, kpu_diag_t *diag);

/* Image formats for kpu_net_check_image. */
#define KPU_IMAGE_OTHER 0
#define KPU_IMAGE_GRAYSCALE 1
#define KPU_IMAGE_RGB565 2

/* MaixPy's check_img_format (7.2) plus the input-shape step before it: KPU_ERR_FIRST_LAYER
 * when the model does not take an image; KPU_ERR_ARGUMENT with the exact line MaixPy prints in
 * diag->text (no "\r\n") when the image does not fit. */
kpu_status_t kpu_net_check_image(const kpu_net_t *net, int has_ai, uint32_t w, uint32_t h,
                                 int format, kpu_diag_t *diag);

/* set_layers: n <= 0 runs every layer, 1..layer_count runs layers 0..n-1 (their last map is
 * output 0). n > layer_count: KPU_ERR_INDEX with MaixPy's message in diag ("err: set
 * layers_length to %d, but max %d"). */
kpu_status_t kpu_net_set_layers(kpu_net_t *net, int32_t n, kpu_diag_t *diag);
int32_t kpu_net_active_layers(const kpu_net_t *net); /* 0: all */

/* set_outputs (V4 only, optional): V3 / V5 -> KPU_ERR_VERSION (2002), bad index ->
 * KPU_ERR_INDEX (2011), w*h*ch*4 != output bytes -> KPU_ERR_SIZE (2012). The shape replaces the
 * graph's in the maps of that output (typecode 'f'). */
kpu_status_t kpu_net_set_output_shape(kpu_net_t *net, uint32_t index, uint32_t w, uint32_t h,
                                      uint32_t ch, kpu_diag_t *diag);

/* forward: runs layers 0..end_layer (end_layer < 0: set_layers' count, or all) on input
 * (uint8 planar image, or float32 values for a float-input model). The backend is borrowed. */
kpu_status_t kpu_net_forward(kpu_net_t *net, const kpu_backend_t *backend, const void *input,
                             size_t input_size, int32_t end_layer, kpu_diag_t *diag);
/* Index of the last layer the previous forward computed, or -1. */
int32_t kpu_net_last_layer(const kpu_net_t *net);
/* Incremented by every forward and by deinit: a map taken earlier is stale when it differs. */
uint32_t kpu_net_generation(const kpu_net_t *net);

/* A feature map as MaixPy's kpu_fmap describes it (4.8). V3: w/h/ch/typecode of the last
 * computed layer: K210_CONV -> its output size and 'B'; other layers -> h = ch = 1, typecode
 * from 4.8.1 and w = element count (MaixPy's w = size is fixed). V4 / V5 ('B' uint8, 'f'
 * float32): after a partial run the layer as kpu_model_layer_output_info describes it; after a
 * full run V4 output i has the set_outputs shape ('f') or the graph's (kpu_v4_output_info), V5
 * output i the shape the model records (kpu_v5_output_info).
 * data points into net memory and is valid until the next forward or deinit. */
typedef struct kpu_fmap {
    const uint8_t *data;
    size_t size;          /* bytes */
    uint32_t index;       /* last computed layer */
    uint32_t w, h, ch;
    char typecode;        /* 'B', 'f' or '\0' */
    uint32_t layer_type;
    uint32_t generation;
} kpu_fmap_t;

/* 'B', 'f' or '\0' for a layer type (MaixPy's table, 4.8.1). */
char kpu_layer_typecode(uint32_t type);

/* get_output: output index of the last forward. After a full run every model output; after a
 * partial run (set_layers or an end layer) only 0, the last computed layer's map. */
kpu_status_t kpu_net_get_output(const kpu_net_t *net, uint32_t index, kpu_fmap_t *fmap,
                                kpu_diag_t *diag);

/* netinfo row (5.4): K210_CONV layers from their layer argument, every other layer all zeros
 * except para_size = body size (the original body size for load_flash nets). */
kpu_status_t kpu_net_layer_info(const kpu_net_t *net, uint32_t layer, kpu_layer_info_t *info,
                                kpu_diag_t *diag);

/* init_yolo2: threshold and nms in [0, 1], anchor_num > 0, 2*anchor_num anchors (copied).
 * KPU_ERR_ARGUMENT with MaixPy's exact message in diag->text. Replaces earlier arguments. */
kpu_status_t kpu_net_init_yolo2(kpu_net_t *net, float threshold, float nms, uint32_t anchor_num,
                                const float *anchors, kpu_diag_t *diag);
int kpu_net_has_yolo2(const kpu_net_t *net);
/* The stored arguments (anchors points into the net; NULL without init_yolo2). */
const float *kpu_net_yolo2_args(const kpu_net_t *net, float *threshold, float *nms,
                                uint32_t *anchor_num);
/* run_yolo2's decode step after kpu_net_forward: output 0 (float32) of the last run with the
 * shape of its map (V4: set_outputs or the graph; V5: a recorded shape) or, for V3, of the
 * last K210_CONV layer computed. Without init_yolo2: KPU_ERR_STATE. A shape that
 * does not fit the anchors: KPU_ERR_ARGUMENT ("region_layer_init err!"). *dets points into the
 * net and stays valid until the next decode or deinit; *count may be 0. */
kpu_status_t kpu_net_yolo2_decode(kpu_net_t *net, const kpu_yolo2_detection_t **dets,
                                  size_t *count, kpu_diag_t *diag);

#endif
