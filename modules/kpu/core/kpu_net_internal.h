/* Internals shared by kpu_net.c (net lifetime, running, maps, yolo2) and kpu_flash_load.c
 * (flash size, flash loads and the load_flash stream). */
#ifndef KPU_NET_INTERNAL_H
#define KPU_NET_INTERNAL_H

#include "kmodel_internal.h"
#include "kpu_api.h"

struct kpu_net {
    kpu_api_t *api;
    kpu_allocator_t alloc;      /* counting wrapper over api->alloc (ctx = this net) */
    size_t held;                /* bytes held through alloc, the struct included */
    kpu_net_source_t source;
    uint32_t addr, model_size;
    uint8_t *file;              /* owned model bytes (compact image for load_flash) */
    size_t file_size;
    kpu_model_t *model;         /* NULL after deinit */
    uint32_t layer_count;
    int32_t active_layers;      /* set_layers, 0: all */
    int32_t last_layer;         /* -1: not run */
    uint32_t generation;
    uint8_t *map;               /* last layer's map after a partial run */
    size_t map_cap, map_size;
    /* yolo2 */
    int has_yolo2;
    float threshold, nms;
    uint32_t anchor_num;
    float *anchors;
    kpu_yolo2_detection_t *dets;
    size_t dets_cap;
    /* V4 set_outputs table */
    uint16_t out_shape[KPU_API_OUTPUT_SLOTS][3];
    /* load_flash */
    kpu_flash_t flash;
    uint32_t *body_sizes;       /* original body sizes (netinfo) */
    uint8_t *stream_buf[2];
    size_t stream_cap;
    unsigned stream_next;
    int dual_buf;
    int stream_swapped;         /* the model in flash is word-swapped (V3) */
    uint32_t batch_size;
    kpu_conv_stream_t stream;
};

/* Allocation through the net's counting allocator (NULL on failure). */
void *kpu_net_alloc(kpu_net_t *net, size_t size, size_t align);
void kpu_net_release(kpu_net_t *net, void *ptr);

/* A new net in the state "loading" (no model yet). */
kpu_status_t kpu_net_create(kpu_api_t *api, kpu_net_source_t source, kpu_net_t **out,
                            kpu_diag_t *diag);
/* Finishes a load: layer count etc. from net->model. */
void kpu_net_loaded_model(kpu_net_t *net);

/* Flash reads with word swapping (big-endian files), relative to a model base address. */
kpu_status_t kpu_flash_read_le(const kpu_flash_t *flash, uint32_t base, uint64_t off, void *dst,
                               size_t n, int swap, uint32_t batch, kpu_diag_t *diag);

/* load_flash: the fetch hook of net->stream (reads a conv layer's tables into a stream
 * buffer), and the resident image of `image` bytes (net->file) with the one or two stream
 * buffers of net->stream_cap bytes. */
kpu_status_t kpu_net_stream_fetch(void *ctx, uint32_t layer, kpu_conv_blocks_t *b,
                                  kpu_diag_t *diag);
kpu_status_t kpu_net_stream_alloc(kpu_net_t *net, size_t image, kpu_diag_t *diag);
/* load_flash of a kmodel V4 in its original byte order (kpu_flash_stream_v4.c): builds the
 * resident image in net->file and loads net->model from it. */
kpu_status_t kpu_flash_load_stream_v4(kpu_net_t *net, const kpu_flash_t *flash,
                                      kpu_diag_t *diag);

#endif
